"""The one helper for outside values in log lines and error messages."""

from __future__ import annotations

import io
import logging

import pytest

from moodmoji.bot.printable import EscapingFormatter, Verbatim, printable


@pytest.mark.parametrize(
    "value, expected",
    [
        ("/v1/analyze", "/v1/analyze"),
        ("/x\nERROR forged", "/x\\nERROR forged"),
        ("/x\r\n", "/x\\r\\n"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("a\ud800b", "a\\ud800b"),
        ("line\u2028sep", "line\\u2028sep"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("café 🎉 日本", "café 🎉 日本"),
        (42, "42"),
    ],
)
def test_printable_escapes_what_could_forge_or_break_a_line(value: object, expected: str) -> None:
    assert printable(value) == expected
    printable(value).encode("utf-8")  # always writable


def test_long_values_are_cut() -> None:
    assert printable("x" * 500, limit=10) == "x" * 10 + "..."


def _format(formatter: logging.Formatter, msg: str, *args: object) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("tests.printable")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning(msg, *args)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_the_formatter_escapes_every_string_argument() -> None:
    line = _format(EscapingFormatter("%(message)s"), "refused %s (%d)", "/a\nERROR x", 3)
    assert line == "refused /a\\nERROR x (3)\n"


def test_verbatim_arguments_keep_their_lines() -> None:
    text = _format(EscapingFormatter("%(message)s"), "failed:\n%s", Verbatim("  a.py:1\n  b.py:2"))
    assert text == "failed:\n  a.py:1\n  b.py:2\n"
