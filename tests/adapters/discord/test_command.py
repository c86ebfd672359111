"""``moodmoji discord`` as a real subprocess against the fake Discord: token, sync, signals."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from moodmoji.adapters.discord.texts import NO_CONTENT_NOTE
from moodmoji.tools.cli import main
from tests.adapters.discord.conftest import TOKEN, World
from tests.adapters.discord.fake_discord import MESSAGE_CONTENT

ROOT = Path(__file__).resolve().parents[3]
SECRET = "Happy birthday to my best friend Quxbaz!"


def write_config(
    tmp_path: Path,
    *,
    message_content: bool = True,
    token_env: str | None = None,
    model: Path | None = None,
) -> Path:
    lines = [
        "logging:",
        "  level: DEBUG",  # the strictest setting for the privacy checks below
        "store:",
        "  path: s.sqlite3",
        "discord:",
        f"  message_content: {'true' if message_content else 'false'}",
        "  workers: 2",
    ]
    if token_env:
        lines.append(f"  token_env: {token_env}")
    if model is not None:  # a tiny real bundle where the test does not need the real model
        lines += ["model:", f"  path: {model}"]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Child:
    """``moodmoji discord`` in a subprocess; its output goes to a file (no pipe to fill)."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    @property
    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def stop(self, number: signal.Signals = signal.SIGTERM) -> int:
        self.process.send_signal(number)
        return await asyncio.wait_for(self.process.wait(), 60)

    async def wait(self) -> int:
        return await asyncio.wait_for(self.process.wait(), 90)

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()


async def start(world: World, config: Path, *args: str, token: str = TOKEN) -> Child:
    log = config.parent / "stderr.log"
    env = os.environ | {"MOODMOJI_DISCORD_TOKEN": token}
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.adapters.discord.launch",
            world.fake.base_url,
            world.fake.gateway_url,
            "--config",
            str(config),
            "discord",
            *args,
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
        )
    return Child(process, log)


async def test_sync_registers_the_commands_and_sigterm_exits_cleanly(
    world: World, tmp_path: Path
) -> None:
    fake = world.fake
    child = await start(world, write_config(tmp_path), "--sync", "--guild", str(fake.guild.id))
    try:
        route = rf"/applications/{fake.app_id}/guilds/{fake.guild.id}/commands"
        await fake.wait_for(lambda: fake.requests_to("PUT", route) and fake.received(2), timeout=90)
        message = await fake.post(world.alice, world.general, SECRET)
        await fake.wait_for(lambda: fake.reactions_on(message), timeout=60)
        status = await child.stop(signal.SIGTERM)
    finally:
        child.kill()

    assert status == 0, child.stderr
    (sync,) = fake.requests_to("PUT", route)
    assert sync.status == 200
    assert {c["name"] for c in sync.body} >= {"mood", "why", "moodmoji", "Suggest replies"}
    assert fake.requests_to("PUT", rf"/applications/{fake.app_id}/commands") == []
    (identify,) = fake.received(2)
    assert identify["d"]["token_ok"] and identify["d"]["intents"] & MESSAGE_CONTENT
    log = child.stderr
    assert "synced 7 application commands to server" in log
    assert "stopped cleanly" in log
    assert "Traceback" not in log and "Unclosed" not in log
    assert TOKEN not in log
    assert "Quxbaz" not in log and "birthday" not in log


async def test_a_plain_start_does_not_sync_and_says_once_that_it_cannot_read(
    world: World, tmp_path: Path, tiny_bundle: Path
) -> None:
    fake = world.fake
    child = await start(world, write_config(tmp_path, message_content=False, model=tiny_bundle))
    try:
        await fake.wait_for(lambda: fake.received(2) and fake.heartbeats, timeout=90)
        status = await child.stop(signal.SIGINT)
    finally:
        child.kill()

    assert status == 0, child.stderr
    assert fake.requests_to("PUT", r"/applications/.*") == []
    (identify,) = fake.received(2)
    assert not identify["d"]["intents"] & MESSAGE_CONTENT
    assert child.stderr.count(NO_CONTENT_NOTE) == 1
    assert TOKEN not in child.stderr


async def test_a_refused_token_fails_with_one_line(
    world: World, tmp_path: Path, tiny_bundle: Path
) -> None:
    wrong = "MTIz.wrong-token-for-the-fake.abcdefghijklmnopqrstuvwxyz"
    child = await start(world, write_config(tmp_path, model=tiny_bundle), token=wrong)
    try:
        status = await child.wait()
    finally:
        child.kill()
    assert status == 1
    assert "moodmoji: error: Discord refused the token in MOODMOJI_DISCORD_TOKEN" in child.stderr
    assert wrong not in child.stderr and "Traceback" not in child.stderr
    (login,) = world.fake.requests_to("GET", "/users/@me")
    assert login.status == 401


def test_a_missing_token_exits_2_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MY_DISCORD_TOKEN", raising=False)
    config = write_config(tmp_path, token_env="MY_DISCORD_TOKEN")
    assert main(["--config", str(config), "discord"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "MY_DISCORD_TOKEN" in err[0]


def test_guild_without_sync_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOODMOJI_DISCORD_TOKEN", TOKEN)
    assert main(["--config", str(write_config(tmp_path)), "discord", "--guild", "123"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["moodmoji: error: --guild only goes with --sync"]
