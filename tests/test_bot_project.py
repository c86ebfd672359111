"""moodmoji inside a typical bot project with its own ``bot.py``, ``inference.py``, ``adapters/``.

Before the import names moved under ``moodmoji.``, such a project broke
``load_extension("adapters.discord")`` with "No module named 'bot.decision'; 'bot' is not a
package". Here a throwaway project is run in a subprocess of the current interpreter with its own
folder first on ``sys.path`` and nothing else added (``-P``: not the repository root, not the
working directory), so moodmoji is the installed package.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Run inside the project folder; every check prints one line and a failure raises.
CHECKS = """
import asyncio
import sys
from pathlib import Path

project = Path.cwd().resolve()
repo = Path(sys.argv[1]).resolve()
paths = [Path(p).resolve() for p in sys.path if p]
assert repo not in paths, sys.path
assert "" not in sys.path, sys.path

# (a) the project's own modules win for the project's own names
import adapters
import bot
import inference

assert Path(bot.__file__).resolve() == project / "bot.py", bot.__file__
assert bot.MY_BOT == "mine"
assert Path(inference.__file__).resolve() == project / "inference.py", inference.__file__
assert Path(adapters.__file__).resolve() == project / "adapters" / "__init__.py"

import moodmoji

location = Path(moodmoji.__file__).resolve()
assert not location.is_relative_to(project), location
print("moodmoji from", location.parent)

# (b) discord.py: the extension loads into the project's own bot, and unloads
import discord
from discord.ext import commands


async def discord_check() -> None:
    intents = discord.Intents.default()
    intents.message_content = True
    bot_instance = commands.Bot(command_prefix="!", intents=intents)
    try:
        await bot_instance.load_extension("moodmoji.adapters.discord")
        assert bot_instance.get_cog("moodmoji") is not None
        assert "moodmoji.adapters.discord" in bot_instance.extensions
        await bot_instance.unload_extension("moodmoji.adapters.discord")
        assert bot_instance.get_cog("moodmoji") is None
    finally:
        await bot_instance.close()


asyncio.run(discord_check())
print("discord extension loaded and unloaded")

# (c) python-telegram-bot: the handlers go into the project's own Application
from telegram.ext import Application

from moodmoji.adapters.telegram import TelegramMoodmoji
from moodmoji.adapters.telegram.plugin import HANDLER_GROUP
from moodmoji.bot.config import load_config

application = Application.builder().token("123456:TEST-TOKEN-NOT-USED").build()
mood = TelegramMoodmoji.from_config(load_config())
mood.install(application)
assert len(application.handlers[HANDLER_GROUP]) == len(mood.handlers())
asyncio.run(mood.aclose())
print("telegram handlers installed")

assert sys.modules["bot"] is bot and "bot.decision" not in sys.modules
print("ok")
"""


def make_project(folder: Path, bundle: Path) -> None:
    """A bot project as people write them: top-level ``bot.py``, ``inference.py``, ``adapters/``."""
    (folder / "bot.py").write_text('MY_BOT = "mine"\n', encoding="utf-8")
    (folder / "inference.py").write_text("def infer() -> str:\n    return 'mine'\n")
    (folder / "adapters").mkdir()
    (folder / "adapters" / "__init__.py").write_text('NAME = "my adapters"\n', encoding="utf-8")
    (folder / "config.yaml").write_text(
        f"model:\n  path: {bundle}\nstore:\n  path: project.sqlite3\n", encoding="utf-8"
    )


def test_moodmoji_in_a_project_with_its_own_bot_inference_and_adapters(
    tmp_path: Path, tiny_bundle: Path
) -> None:
    pytest.importorskip("discord")
    pytest.importorskip("telegram")
    project = tmp_path / "my-bot"
    project.mkdir()
    make_project(project, tiny_bundle)
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "PYTHONSAFEPATH" and not key.startswith("MOODMOJI_")
    }
    env["PYTHONPATH"] = str(project)  # the project's folder, as `python main.py` there puts it
    env["MOODMOJI_CACHE_DIR"] = str(tmp_path / "cache")
    result = subprocess.run(
        [sys.executable, "-P", "-c", textwrap.dedent(CHECKS), str(ROOT)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-3:] == [
        "discord extension loaded and unloaded",
        "telegram handlers installed",
        "ok",
    ]
    assert "Traceback" not in result.stderr
    assert (project / "project.sqlite3").is_file()  # the project's config.yaml was used
