"""``moodmoji chat``: the terminal chat loop, in process and as a real subprocess."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from moodmoji.bot.decision import Decision, Gate, Reaction
from moodmoji.bot.messages import Platform
from moodmoji.tools.chat import format_decision, run_chat
from tests.conftest import BotFactory
from tests.tools.test_cli import moodmoji


def test_chat_loop_shows_each_message_and_explains(make_bot: BotFactory) -> None:
    out = io.StringIO()
    typed = [
        "Happy birthday to my best friend!\n",
        "/why\n",
        "/platform telegram\n",
        "My grandmother passed away last night\n",
        "\n",
        "/platform klingon\n",
        "/help\n",
        "/quit\n",
        "never read\n",
    ]
    count = run_chat(make_bot(), typed, out, prompt=False)
    text = out.getvalue()
    assert count == 2
    assert text.count("reactions:") == 2 and text.count("moods:") == 2
    assert text.count("gate:        reader would react") == 2
    assert "🎂" in text  # generic: the topical birthday cake
    assert "candidates: 🎂" in text and "thresholds: reaction 0.85" in text  # /why
    assert "now on telegram" in text and "platforms: generic, discord, telegram" in text
    grief = text.split("now on telegram")[1]
    assert "sadness" in grief and "sympathize" in grief
    assert "never read" not in text


def test_a_reaction_shows_the_value_that_passed_the_threshold() -> None:
    # the reaction's candidate scores 0.52, under the chat's 0.65; the trigger (0.91) passed
    decision = Decision(reactions=(Reaction("🎉", 0.52),), gate=Gate(0.91, 0.65, "trigger"))
    lines = format_decision(decision)
    assert lines[:2] == [
        "  reactions:   🎉",
        "  gate:        reader would react 0.91 ≥ threshold 0.65 (passed)",
    ]
    assert decision.as_dict()["gate"] == {
        "basis": "trigger",
        "score": 0.91,
        "threshold": 0.65,
        "passed": True,
    }
    assert decision.as_dict()["reactions"] == [{"emoji": "🎉", "score": 0.52}]
    refused = Decision(gate=Gate(0.8496, 0.85, "best-candidate"))
    assert format_decision(refused)[1] == (
        "  gate:        best candidate 0.8496 < threshold 0.85 (not passed)"
    )
    assert not any(line.startswith("  gate:") for line in format_decision(Decision()))


def test_chat_prompt_names_the_platform(make_bot: BotFactory) -> None:
    out = io.StringIO()
    run_chat(make_bot(), ["ok\n"], out, platform=Platform.DISCORD, prompt=True)
    assert out.getvalue().count("you (discord)> ") == 2


def test_moodmoji_chat_subprocess(tmp_path: Path) -> None:
    result = moodmoji(
        "chat",
        "--platform",
        "telegram",
        cwd=tmp_path,
        stdin="We won the championship!!!\nThe meeting moved to 3pm\n/why\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("reactions:") == 2
    assert "confidence-gate" in result.stdout  # /why on the logistics message
    assert "championship" not in result.stderr and "Traceback" not in result.stderr


def _in_a_terminal(args: list[str], keys: list[bytes], cwd: Path) -> str:
    """Runs ``moodmoji ARGS`` on a pseudo-terminal, types ``keys``, returns what it showed."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "moodmoji.tools.cli", *args],
        stdin=child,
        stdout=child,
        stderr=child,
        cwd=cwd,
        env={**os.environ, "TERM": "xterm", "PYTHONIOENCODING": "utf-8"},
        close_fds=True,
    )
    os.close(child)
    screen = bytearray()

    def drain(until: Callable[[], bool], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not until() and time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(main, 65536)
                except OSError:  # the program closed the terminal
                    return
                screen.extend(chunk)

    try:
        drain(lambda: b"> " in screen, 120)  # the first prompt, once the model is loaded
        for key in keys:
            prompts = screen.count(b"> ")
            os.write(main, key)
            if key == keys[-1]:
                drain(lambda: process.poll() is not None, 60)
            elif key.endswith(b"\r"):
                drain(lambda seen=prompts: screen.count(b"> ") > seen, 60)  # a new prompt
            else:
                drain(lambda: False, 0.5)  # the line editor redraws
    finally:
        process.kill()
        os.close(main)
    return screen.decode("utf-8", "replace")


def test_the_terminal_chat_edits_lines_and_recalls_history(
    tmp_path: Path, tiny_bundle: Path
) -> None:
    # the Up arrow brings back the last line (it printed ^[[A before line editing)
    screen = _in_a_terminal(
        ["chat", "--model", str(tiny_bundle)],
        [b"happy day\r", b"\x1b[A", b"\r", b"/quit\r"],
        tmp_path,
    )
    assert "^[[A" not in screen
    assert screen.count("happy day") >= 2, screen
    assert screen.count("reactions:") == 2, screen
