"""``moodmoji chat``: the terminal chat loop, in process and as a real subprocess."""

from __future__ import annotations

import io
from pathlib import Path

from bot.chat import run_chat
from bot.messages import Platform
from tests.bot.test_cli import moodmoji
from tests.conftest import BotFactory


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
    assert "🎂" in text  # generic: the topical birthday cake
    assert "candidates: 🎂" in text and "thresholds: reaction 0.85" in text  # /why
    assert "now on telegram" in text and "platforms: generic, discord, telegram" in text
    grief = text.split("now on telegram")[1]
    assert "sadness" in grief and "sympathize" in grief
    assert "never read" not in text


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
