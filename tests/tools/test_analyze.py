"""``moodmoji analyze`` on chat logs: reading JSON lines, the progress bar, author and time."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from moodmoji.bot.core import MoodBot
from moodmoji.bot.messages import Platform
from moodmoji.tools.analyze import (
    InputItem,
    items_from_jsonl,
    items_from_texts,
    parse_line,
    run_analyze,
)


class Pipe(io.StringIO):
    """A stream that cannot seek, like stdin from a pipe."""

    def seekable(self) -> bool:
        return False


def test_parse_line_keeps_author_and_time() -> None:
    line = parse_line(3, json.dumps({"text": "hi", "author": "ann", "time": "2024-05-01T10:00"}))
    assert line == InputItem(line=3, text="hi", author="ann", time="2024-05-01T10:00")
    numbers = parse_line(4, json.dumps({"text": "hi", "author": 42, "time": 1714557600}))
    assert (numbers.author, numbers.time) == ("42", 1714557600)
    odd = parse_line(5, json.dumps({"text": "hi", "author": ["x"], "time": True, "extra": 1}))
    assert (odd.text, odd.author, odd.time) == ("hi", None, None)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("{broken", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"author": "bob"}', "field 'text'"),
        ('{"text": null}', "field 'text'"),
    ],
)
def test_unreadable_lines_carry_their_number(raw: str, error: str) -> None:
    item = parse_line(9, raw)
    assert item.line == 9 and item.text is None
    assert item.error is not None and error in item.error


def test_a_file_is_counted_for_the_progress_bar(tmp_path: Path) -> None:
    log = tmp_path / "chat.jsonl"
    log.write_text('{"text": "a"}\n\n{"text": "b"}\n{bad\n', encoding="utf-8")
    with log.open(encoding="utf-8") as stream:
        items = items_from_jsonl(stream)
        assert items.total == 3  # blank lines do not count
        assert [(i.line, i.text) for i in items] == [(1, "a"), (3, "b"), (4, None)]
    assert items_from_jsonl(Pipe('{"text": "a"}\n')).total is None


def test_run_analyze_on_a_log(
    make_bot: Callable[..., MoodBot], capsys: pytest.CaptureFixture[str]
) -> None:
    log = "\n".join(
        [
            json.dumps({"text": "We won the final!!", "author": "ann", "time": "2024-05-01T10:00"}),
            "{not json",
            json.dumps({"text": "The meeting moved to 3pm", "author": "bob"}),
        ]
    )
    out = io.StringIO()
    failures = run_analyze(
        make_bot(),
        items_from_jsonl(io.StringIO(log)),
        out,
        platform=Platform.TELEGRAM,
        batch_size=2,
        top_k=2,
    )
    assert failures == 1
    won, bad, meeting = (json.loads(line) for line in out.getvalue().splitlines())
    assert (won["text"], won["author"], won["time"]) == (
        "We won the final!!",
        "ann",
        "2024-05-01T10:00",
    )
    assert [r["emoji"] for r in won["reactions"]] == ["🎉"]  # telegram's rules
    # next to each reaction's own score, the value that passed the threshold
    assert won["gate"]["basis"] == "trigger" and won["gate"]["passed"] is True
    assert won["gate"]["score"] >= won["gate"]["threshold"] == 0.85
    assert bad == {
        "line": 2,
        "error": "not valid JSON (Expecting property name enclosed in double quotes)",
    }
    assert meeting["author"] == "bob" and "time" not in meeting and meeting["reactions"] == []
    assert meeting["gate"]["passed"] is False
    assert "3/3" in capsys.readouterr().err  # the progress bar, on stderr


def test_no_progress_bar_for_a_few_texts(
    make_bot: Callable[..., MoodBot], capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()
    run_analyze(
        make_bot(),
        items_from_texts(["hello"]),
        out,
        platform=Platform.GENERIC,
        batch_size=4,
        top_k=1,
    )
    assert json.loads(out.getvalue())["text"] == "hello"
    assert capsys.readouterr().err == ""


def analyze_jsonl(log: Path, bundle: Path) -> subprocess.CompletedProcess[str]:
    """Runs ``moodmoji analyze --jsonl LOG`` on ``bundle`` in the log's folder."""
    return subprocess.run(
        [
            *(sys.executable, "-m", "moodmoji.tools.cli", "analyze"),
            *("--model", str(bundle), "--jsonl", str(log)),
        ],
        cwd=log.parent,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=120,
        check=False,
    )


def test_analyze_jsonl_command_shows_progress(tmp_path: Path, tiny_bundle: Path) -> None:
    log = tmp_path / "chat.jsonl"
    lines = [json.dumps({"text": f"happy day {i}", "author": "ann"}) for i in range(5)]
    log.write_text("\n".join([*lines[:2], "{oops", *lines[2:]]) + "\n", encoding="utf-8")
    result = analyze_jsonl(log, tiny_bundle)
    assert result.returncode == 1  # one line could not be read
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("line") for r in records if "error" in r] == [3]
    assert all(r["author"] == "ann" for r in records if "error" not in r)
    assert "analyze" in result.stderr and "6/6" in result.stderr
    assert "happy day" not in result.stderr and "Traceback" not in result.stderr


def test_a_lone_surrogate_is_replaced_and_the_log_goes_on(
    tmp_path: Path, tiny_bundle: Path
) -> None:
    # '{"text": "a \ud800 b"}' is valid JSON whose string cannot be written as UTF-8
    log = tmp_path / "chat.jsonl"
    log.write_text(
        '{"text": "a \\ud800 b", "author": "x\\udfff"}\n{"text": "happy day"}\n', encoding="utf-8"
    )
    result = analyze_jsonl(log, tiny_bundle)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in records] == ["a \ufffd b", "happy day"]
    assert records[0]["author"] == "x\ufffd"
