"""``moodmoji telegram`` as a real subprocess against the fake Bot API server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.adapters.telegram.fake_bot_api import FakeBotAPI
from tests.adapters.telegram.harness import HAPPY, TOKEN

ENV_NAME = "MOODMOJI_TEST_TELEGRAM_TOKEN"
SECRET_TEXT = "my secret plan is pineapple pizza and I love it so much"


def write_config(tmp_path: Path, fake: FakeBotAPI) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        "logging:\n"
        "  level: DEBUG\n"
        "store:\n"
        "  path: s.sqlite3\n"
        "telegram:\n"
        f"  token_env: {ENV_NAME}\n"
        f"  base_url: {fake.base_url}\n"
        "  poll_timeout_s: 1\n",
        encoding="utf-8",
    )
    return config


async def start(config: Path, token: str | None) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k != ENV_NAME}
    if token is not None:
        env[ENV_NAME] = token
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "moodmoji.tools.cli",
        "--config",
        str(config),
        "telegram",
        env=env,
        cwd=config.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_the_standalone_bot_reacts_and_stops_cleanly_on_sigterm(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    fake.add_chat(-800)
    fake.add_chat(-801)  # its own chat: the default pacing allows one reaction per chat at first
    config = write_config(tmp_path, fake)
    process = await start(config, TOKEN)
    assert process.stderr is not None and process.stdout is not None
    stderr = asyncio.create_task(process.stderr.read())  # drained while it runs
    happy = 0
    try:  # model loading takes a while: send once it polls, so the message is not stale
        await fake.wait_for(lambda: bool(fake.calls("getUpdates")), timeout=180, what="polling")
        happy = fake.send(-800, 1, HAPPY)
        fake.send(-801, 2, SECRET_TEXT)
        await fake.wait_for(lambda: (-800, happy) in fake.reactions, timeout=60, what="reaction")
        await fake.wait_for(lambda: fake.pending == 0, what="updates confirmed")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(process.wait(), 60)
        log = (await stderr).decode("utf-8", "replace")
        print(log[-3000:])  # shown by pytest when the test fails
    assert status == 0, log[-2000:]
    assert fake.reactions[(-800, happy)] == ["❤"]
    assert [c["command"] for c in fake.commands][:3] == ["suggest", "mood", "why"]
    assert "telegram: stopped" in log
    assert "listening" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert HAPPY not in log and SECRET_TEXT not in log and "pineapple" not in log
    assert (await process.stdout.read()) == b""


async def test_a_missing_token_variable_exits_2_naming_it(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"telegram:\n  token_env: {ENV_NAME}\n", encoding="utf-8")
    for token in (None, "  "):
        process = await start(config, token)
        out, err = await asyncio.wait_for(process.communicate(), 60)
        lines = err.decode().strip().splitlines()
        assert process.returncode == 2
        assert len(lines) == 1 and ENV_NAME in lines[0]
        assert out == b""


async def test_a_refused_token_exits_1_without_printing_it(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    config = write_config(tmp_path, fake)
    wrong = "7012345678:AAH-this-is-not-the-right-token-0000"
    process = await start(config, wrong)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    log = err.decode()
    assert process.returncode == 1
    assert (
        log.strip().splitlines()[-1] == "moodmoji: error: Telegram refused the bot token (check it)"
    )
    assert wrong not in log
    assert [r.method for r in fake.requests] == ["unauthorized"]


async def test_without_python_telegram_bot_the_error_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['telegram'] = None\n"
        "import moodmoji.adapters.telegram as package\n"
        "assert package.ADAPTER.extra == 'telegram'  # the registry entry needs no library\n"
        "try:\n"
        "    package.TelegramMoodmoji\n"
        "except ModuleNotFoundError as exc:\n"
        "    print(exc.name, exc)\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert out.decode().strip() == (
        "telegram the Telegram adapter needs python-telegram-bot: pip install 'moodmoji[telegram]'"
    )
