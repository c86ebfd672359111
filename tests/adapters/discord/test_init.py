"""The extension: ``await bot.load_extension("moodmoji.adapters.discord")`` and its unloading."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path

import discord
import pytest

from moodmoji.bot.chats import ChatsUnavailable
from moodmoji.bot.config import load_config
from moodmoji.bot.core import MoodBot
from moodmoji.bot.store import SettingsStore
from tests.adapters.discord.conftest import HAPPY, JOB, TOKEN, World, make_discord_bot

OUR_COMMANDS = {"mood", "why", "optout", "optin", "forgetme", "moodmoji"}


def workers() -> list[str]:
    return sorted(
        t.get_name()
        for t in asyncio.all_tasks()
        if t.get_name().startswith("moodmoji-discord-worker")
    )


def command_names(bot: discord.Client) -> tuple[set[str], set[str]]:
    tree = bot.tree  # type: ignore[attr-defined]
    chat = {c.name for c in tree.get_commands(type=discord.AppCommandType.chat_input)}
    menus = {c.name for c in tree.get_commands(type=discord.AppCommandType.message)}
    return chat, menus


async def test_loading_and_unloading_leaves_no_command_or_task_behind(
    world: World, moodbot: MoodBot, store: SettingsStore
) -> None:
    fake = world.fake
    bot = make_discord_bot()
    bot.moodbot = moodbot  # type: ignore[attr-defined]  # the host bot shares its own core
    await bot.login(TOKEN)
    connection = asyncio.create_task(bot.connect())
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 20)
        before = len(bot.extra_events.get("on_message", []))

        await bot.load_extension("moodmoji.adapters.discord")
        assert command_names(bot) == (OUR_COMMANDS, {"Suggest replies"})
        assert len(workers()) == load_config().discord.workers
        assert len(bot.extra_events["on_message"]) == before + 1
        first = await fake.post(world.alice, world.general, HAPPY)
        await fake.wait_for(lambda: fake.reactions_on(first))

        await bot.unload_extension("moodmoji.adapters.discord")
        assert command_names(bot) == (set(), set())
        assert workers() == []
        assert bot.get_cog("moodmoji") is None
        assert len(bot.extra_events.get("on_message", [])) == before
        # The host's core is the host's: still open after the unload.
        assert store.chat_overrides("discord", world.general.id) == {}
        assert (await moodbot.chats.view("discord", world.general.id)).overrides == {}

        # A message while unloaded: delivered to the bot, and nothing happens.
        seen = asyncio.ensure_future(bot.wait_for("message", timeout=20))
        ignored = await fake.post(world.alice, world.random, HAPPY)
        await seen

        # Loading again works as the first time.
        await bot.load_extension("moodmoji.adapters.discord")
        again = await fake.post(world.bob, world.custom, JOB)
        await fake.wait_for(lambda: fake.reactions_on(again))
        await bot.unload_extension("moodmoji.adapters.discord")
        assert workers() == []
    finally:
        await bot.close()
        await asyncio.wait_for(connection, 20)

    assert fake.reactions_on(ignored) == {}
    assert {p.path.split("/")[4] for p in fake.reaction_puts()} == {str(first.id), str(again.id)}


async def test_the_extension_builds_its_own_core_from_config_and_closes_it(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_bundle: Path
) -> None:
    # A tiny real bundle keeps this quick; the default model is built the same way.
    (tmp_path / "config.yaml").write_text(
        f"model:\n  path: {tiny_bundle}\nstore:\n  path: own.sqlite3\ndiscord:\n  workers: 3\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)  # load_config() reads ./config.yaml
    bot = make_discord_bot()
    await bot.login(TOKEN)
    try:
        await bot.load_extension("moodmoji.adapters.discord")
        cog = bot.get_cog("moodmoji")
        assert cog is not None
        # The extension's own MoodCog (unloading purges its modules, so no isinstance here).
        chats = cog.moodbot.chats  # type: ignore[attr-defined]
        await chats.update("discord", 1, mode="off")  # written to the configured file
        assert len(workers()) == 3
        await bot.unload_extension("moodmoji.adapters.discord")
        assert workers() == []
        with pytest.raises(ChatsUnavailable, match="closed"):
            await chats.view("discord", 1)
    finally:
        await bot.close()
    with SettingsStore.open(tmp_path / "own.sqlite3", read_only=True) as reopened:
        assert reopened.chat_overrides("discord", 1) == {"mode": "off"}


def test_without_discord_py_loading_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "discord", None)  # as if discord.py were not installed
    for name in [
        n
        for n in sys.modules
        if n == "moodmoji.adapters.discord" or n.startswith("moodmoji.adapters.discord.")
    ]:
        monkeypatch.delitem(sys.modules, name)
    package = importlib.import_module("moodmoji.adapters.discord")
    assert package.ADAPTER.extra == "discord"  # the registry entry needs no discord.py
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'moodmoji\[discord\]'") as caught:
        package.setup  # what load_extension looks up first  # noqa: B018
    assert caught.value.name == "discord"
