r"""One helper for values that a request or a file puts into a log line or an error message.

A request path may carry ``%0a`` (a new line: a forged log record), ``%1b`` (a terminal escape)
or a lone surrogate (which cannot be written as UTF-8 at all). :func:`printable` escapes every
such character the way Python spells it in a string literal (``\\n``, ``\\x1b``, ``\\ud800``)
and cuts long values, so that a value can never start a line of its own, colour a terminal or
break the encoder. :class:`EscapingFormatter` applies it to the arguments of every text log
record, so that code that forgot to call it still writes one line per record.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULT_LIMIT", "EscapingFormatter", "Verbatim", "escape_args", "printable"]

#: Most characters of a value kept by :func:`printable`.
DEFAULT_LIMIT = 200
#: Most characters of one log argument kept by :class:`EscapingFormatter`.
LOG_ARGUMENT_LIMIT = 2000
#: Unicode categories escaped: controls, format characters, surrogates, private use,
#: unassigned, and the line and paragraph separators.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def printable(value: object, limit: int = DEFAULT_LIMIT) -> str:
    """``value`` as text safe for one log line or error message.

    Args:
        value: Anything; a non-string is converted with ``str``.
        limit: Most characters kept of ``value`` (an ellipsis marks a cut).

    Returns:
        The text with control, format, surrogate and separator characters escaped.
    """
    text = value if isinstance(value, str) else str(value)
    cut = len(text) > limit
    out = [_escape(ch) for ch in text[:limit]]
    if cut:
        out.append("...")
    return "".join(out)


def _escape(ch: str) -> str:
    if unicodedata.category(ch) not in _ESCAPED_CATEGORIES:
        return ch
    return ch.encode("unicode_escape", "backslashreplace").decode("ascii")


class Verbatim(str):
    """A log argument the program made itself, kept as it is by :class:`EscapingFormatter`.

    For a stack of file names and line numbers, whose new lines are the program's own.
    """

    __slots__ = ()


class EscapingFormatter(logging.Formatter):
    """A text formatter that passes every string argument of a record through :func:`printable`.

    The message template is the program's own and keeps its layout; only the values
    interpolated into it are escaped (:class:`Verbatim` ones excepted).
    """

    def format(self, record: logging.LogRecord) -> str:
        """Formats ``record`` with its string arguments escaped."""
        args = record.args
        if args:
            record = logging.makeLogRecord(record.__dict__)
            record.args = escape_args(args)
        return super().format(record)


def escape_args(args: tuple[Any, ...] | Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
    """A log record's arguments with every string (but :class:`Verbatim`) escaped.

    For code that formats a record's message early (the log-record factory that redacts
    secrets does), so that the escaping still happens.
    """
    if isinstance(args, Mapping):
        return {k: _escaped(v) for k, v in args.items()}
    return tuple(_escaped(a) for a in args)


def _escaped(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, Verbatim):
        return printable(value, LOG_ARGUMENT_LIMIT)
    return value
