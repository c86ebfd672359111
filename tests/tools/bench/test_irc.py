"""The IRC log parser of ``moodmoji bench --irc``, on small logs written here."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodmoji.tools.bench.irc import interleave, parse_log, read_logs

LOG = [
    "[23:58] <alice> hi all, anyone around?",
    "=== bob [~bob@example.net]  has joined #ubuntu",
    "[23:58] <bob> alice: yes 🙂 what's up",
    "[23:58] <carol> Note: the mirror is down",
    "[23:59]  * alice dances",
    "[23:59] <dave>",
    "[23:59] <dave>    ",
    "this line has no time",
    "[99:99] <eve> a time that cannot be",
    "[00:01] <ubottu> alice: see https://help.ubuntu.com/community/Wine",
    "[00:01] <bob> こんにちは、元気？ \u202eevil\u202c \ufeffok",
    "[00:01] <carol> BOB, stop shouting",
    "[00:02] <alice> thanks bob!!! 😂😂\r",
    "",
]


def test_messages_actions_and_what_is_skipped() -> None:
    log = parse_log(LOG, "chat-a")
    assert log.chat == "chat-a"
    assert [m.nick for m in log.messages] == [
        "alice",
        "bob",
        "carol",
        "alice",
        "ubottu",
        "bob",
        "carol",
        "alice",
    ]
    # the join, two blank messages, the line without a time, the impossible time, the empty line
    assert log.skipped == 6
    assert [m.line for m in log.messages] == [1, 3, 4, 5, 10, 11, 12, 13]
    action = log.messages[3]
    assert action.action and action.text == "alice dances"
    assert log.messages[-1].text == "thanks bob!!! 😂😂"  # CR of a CRLF file dropped
    assert all(m.chat == "chat-a" for m in log.messages)


def test_unicode_text_is_kept_as_written() -> None:
    (message,) = [m for m in parse_log(LOG, "c").messages if m.line == 11]
    assert message.text == "こんにちは、元気？ \u202eevil\u202c \ufeffok"


def test_addressing_is_kept_in_the_text_and_noted() -> None:
    by_line = {m.line: m for m in parse_log(LOG, "c").messages}
    assert by_line[3].text == "alice: yes 🙂 what's up"
    assert by_line[3].addressee == "alice" and by_line[3].bare_text == "yes 🙂 what's up"
    assert by_line[12].addressee == "BOB"  # nicks compare without case
    assert by_line[12].bare_text == "stop shouting"
    assert by_line[4].addressee is None  # "Note:" is no nick of this log
    assert by_line[4].bare_text == by_line[4].text
    assert by_line[1].addressee is None
    assert by_line[5].addressee is None  # actions are not addressed


def test_channel_bots_are_marked() -> None:
    bots = {m.nick for m in parse_log(LOG, "c").messages if m.bot}
    assert bots == {"ubottu"}
    more = parse_log(["[10:00] <ubotu> x", "[10:00] <FloodBot1> y", "[10:00] <robotdevil> z"], "c")
    assert [m.bot for m in more.messages] == [True, True, False]


def test_times_spread_over_the_minute_and_roll_over_midnight() -> None:
    seconds = [m.seconds for m in parse_log(LOG, "c").messages]
    # three messages at 23:58, one at 23:59, three at 00:01 (the next day), one at 00:02
    assert seconds[:3] == pytest.approx([10.0, 30.0, 50.0])
    assert seconds[3] == pytest.approx(90.0)
    assert seconds[4:7] == pytest.approx([190.0, 210.0, 230.0])
    assert seconds[7] == pytest.approx(270.0)
    assert seconds == sorted(seconds)


def test_a_log_without_messages() -> None:
    log = parse_log(["=== x has quit", "[10:00] <x>", ""], "empty")
    assert log.messages == () and log.skipped == 3


def test_read_logs_makes_each_file_a_chat_and_interleave_keeps_their_order(
    tmp_path: Path,
) -> None:
    (tmp_path / "2005-01-01_00.raw.txt").write_text(
        "[10:00] <a> one\n[10:00] <b> two\n[10:05] <a> three\n", encoding="utf-8"
    )
    (tmp_path / "2004-01-01_00.raw.txt").write_text(
        "[22:00] <c> first\n[22:03] <d> second\n", encoding="utf-8"
    )
    (tmp_path / "2004-01-01_00.annotation.txt").write_text("1000 1001 -\n", encoding="utf-8")
    logs = read_logs(tmp_path)
    assert [log.chat for log in logs] == ["2004-01-01_00", "2005-01-01_00"]
    stream = interleave(logs)
    assert [m.text for m in stream] == ["one", "first", "two", "second", "three"]
    for log in logs:
        assert [m for m in stream if m.chat == log.chat] == list(log.messages)


def test_read_logs_of_a_folder_without_logs(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("[10:00] <a> hi\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no IRC logs"):
        read_logs(tmp_path)
