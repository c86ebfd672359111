"""A fake Discord (REST + gateway on 127.0.0.1) with one server; the real discord.py bot on it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import discord
import discord.http
import pytest
import yarl
from discord.ext import commands
from discord.gateway import DiscordWebSocket

from moodmoji.adapters.discord.cog import MoodCog
from moodmoji.adapters.discord.command import build_intents
from moodmoji.adapters.discord.settings import DiscordSettings
from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.core import MoodBot
from moodmoji.bot.messages import ChatContext, IncomingMessage, Platform
from moodmoji.bot.store import SettingsStore
from tests.adapters.discord.fake_discord import (
    ADD_REACTIONS,
    MANAGE_GUILD,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    USE_APPLICATION_COMMANDS,
    VIEW_CHANNEL,
    Channel,
    FakeDiscord,
    GuildEmoji,
    Overwrite,
    Role,
    User,
)
from tests.conftest import BotFactory

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gfake1.discord-test-token-never-logged-0123456789"

#: No cooldowns or budgets, so that the tests are about the adapter, not the core's pacing.
RELAXED = ChatSettings(
    chat_cooldown_s=0, user_cooldown_s=0, budget_reactions=10_000, budget_share=1.0
)

HAPPY = "Happy birthday to my best friend!"
GRIEF = "My grandmother passed away last night"
JOB = "I got the job!!! so happy"


def expected_reaction(make_bot: BotFactory, text: str) -> str:
    """The core's own first reaction to ``text`` on Discord (what the adapter must send)."""
    decision = make_bot(defaults=RELAXED).decide(
        IncomingMessage(Platform.DISCORD, "1", "1", "1", text), ChatContext(self_id="0")
    )
    assert decision.reactions, f"the core does not react to {text!r}"
    return decision.reactions[0].emoji


@dataclass
class World:
    """The test server: who is in it and its channels."""

    fake: FakeDiscord
    everyone: Role
    bot_role: Role
    mods: Role
    general: Channel
    random: Channel
    quiet: Channel  # the bot's role may not add reactions here
    stale: Channel  # the gateway says the bot may react; the server will disagree
    custom: Channel
    private: Channel  # only Mods (and the bot) can see it
    alice: User
    bob: User
    mia: User  # has Manage Server through the Mods role
    helper: User  # another bot
    pepe: GuildEmoji


def build_world(fake: FakeDiscord) -> World:
    everyone = fake.everyone(
        VIEW_CHANNEL
        | SEND_MESSAGES
        | READ_MESSAGE_HISTORY
        | ADD_REACTIONS
        | USE_APPLICATION_COMMANDS
    )
    bot_role = fake.add_role(
        "moodmoji", VIEW_CHANNEL | READ_MESSAGE_HISTORY | ADD_REACTIONS, managed_by=fake.bot_user.id
    )
    mods = fake.add_role("Mods", MANAGE_GUILD)
    fake.add_member(fake.bot_user, [bot_role])
    fake.add_member(fake.owner)
    # In #quiet nobody may add new reactions (the @everyone overwrite), and the bot's role does
    # not get it back: the bot may only join reactions that are already there.
    no_reactions = [Overwrite(fake.guild.id, 0, deny=ADD_REACTIONS)]
    return World(
        fake=fake,
        everyone=everyone,
        bot_role=bot_role,
        mods=mods,
        general=fake.add_channel("general"),
        random=fake.add_channel("random"),
        quiet=fake.add_channel("quiet", no_reactions),
        stale=fake.add_channel("stale"),
        custom=fake.add_channel("custom"),
        private=fake.add_channel(
            "private",
            [
                Overwrite(fake.guild.id, 0, deny=VIEW_CHANNEL),
                Overwrite(mods.id, 0, allow=VIEW_CHANNEL),
                Overwrite(bot_role.id, 0, allow=VIEW_CHANNEL),
            ],
        ),
        alice=fake.add_user("alice"),
        bob=fake.add_user("bob"),
        mia=fake.add_user("mia", roles=[mods]),
        helper=fake.add_user("helper", bot=True),
        pepe=fake.add_emoji("pepehappy"),
    )


@pytest.fixture()
async def world(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    """The fake Discord, started, with discord.py pointed at it (restored afterwards)."""
    fake = FakeDiscord(TOKEN)
    built = build_world(fake)
    await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", fake.base_url)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    try:
        yield built
    finally:
        await fake.close()


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[SettingsStore]:
    """The real SQLite settings store of :func:`moodbot` (tests seed and check it directly)."""
    opened = SettingsStore.open(tmp_path / "s.sqlite3")
    try:
        yield opened
    finally:
        opened.close()  # idempotent: the core closes it first


@pytest.fixture()
async def moodbot(make_bot: BotFactory, store: SettingsStore) -> AsyncIterator[MoodBot]:
    """A real bot core on the default model and a real SQLite file, without pacing."""
    bot = make_bot(store=store, defaults=RELAXED)
    try:
        yield bot
    finally:
        await bot.aclose()


@dataclass
class Running:
    bot: commands.Bot
    cog: MoodCog

    async def settled(self, handled: int, timeout: float = 30.0) -> None:
        """Waits until the work queue has finished ``handled`` messages in all."""

        def done() -> bool:
            stats = self.cog.queue.stats
            finished = stats.processed + stats.failed + stats.dropped_stale + stats.dropped_full
            return finished >= handled and stats.length == 0

        deadline = asyncio.get_running_loop().time() + timeout
        while not done():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"work queue did not settle: {self.cog.queue.stats}")
            await asyncio.sleep(0.02)


def make_discord_bot(*, message_content: bool = True) -> commands.Bot:
    return commands.Bot(
        command_prefix=commands.when_mentioned,
        intents=build_intents(message_content),
        help_command=None,
        guild_ready_timeout=0.05,
    )


@asynccontextmanager
async def running(
    moodbot: MoodBot,
    *,
    message_content: bool = True,
    settings: DiscordSettings | None = None,
    sync: bool = True,
) -> AsyncIterator[Running]:
    """The real discord.py bot with the moodmoji Cog, logged in and connected to the fake."""
    bot = make_discord_bot(message_content=message_content)
    cog = MoodCog(bot, moodbot, settings or DiscordSettings(queue_size=32, workers=2))
    task: asyncio.Task[None] | None = None
    try:
        await bot.login(TOKEN)
        await bot.add_cog(cog)
        if sync:
            await bot.tree.sync()
        task = asyncio.create_task(bot.connect())
        await asyncio.wait_for(bot.wait_until_ready(), 20)
        yield Running(bot, cog)
    finally:
        await bot.close()
        if task is not None:
            await asyncio.wait_for(task, 20)
