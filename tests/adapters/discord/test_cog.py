"""Automatic reactions end to end: the real discord.py client, our fake Discord, the real model."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote, unquote

import pytest
import yarl
from discord.ext import commands
from discord.gateway import DiscordWebSocket

from moodmoji.adapters.discord.cog import MoodCog
from moodmoji.adapters.discord.command import build_intents
from moodmoji.adapters.discord.settings import DiscordSettings
from moodmoji.adapters.discord.texts import NO_CONTENT_NOTE
from moodmoji.bot.core import MoodBot
from moodmoji.bot.store import SettingsStore
from moodmoji.inference.vocabulary import EmojiVocabulary, Tone
from tests.adapters.discord.conftest import (
    GRIEF,
    HAPPY,
    JOB,
    TOKEN,
    World,
    expected_reaction,
    running,
)
from tests.adapters.discord.fake_discord import ADD_REACTIONS, GUILD_MESSAGES, MESSAGE_CONTENT
from tests.conftest import BotFactory

VOCABULARY = EmojiVocabulary.load()


async def test_a_message_gets_the_expected_reaction_on_the_right_route(
    world: World, moodbot: MoodBot, make_bot: BotFactory
) -> None:
    fake = world.fake
    emoji = expected_reaction(make_bot, HAPPY)
    async with running(moodbot) as run:
        message = await fake.post(world.alice, world.general, HAPPY)
        await fake.wait_for(lambda: fake.reactions_on(message))
        await run.settled(1)

    (put,) = fake.reaction_puts()
    assert put.path == f"/channels/{world.general.id}/messages/{message.id}/reactions/{emoji}/@me"
    # Percent-encoded UTF-8 on the wire, as Discord's reaction route requires.
    assert put.raw_path.split("/")[-2] == quote(emoji, safe="")
    assert put.status == 204
    assert fake.reactions_on(message) == {emoji: {fake.bot_user.id}}
    # The gateway spoke zlib-stream and the bot identified with the intents it needs.
    assert all(c.compress for c in fake.connections)
    (identify,) = fake.received(2)
    assert identify["d"]["intents"] & (GUILD_MESSAGES | MESSAGE_CONTENT)
    assert identify["d"]["token_ok"]
    assert fake.unexpected() == []


async def test_a_bereavement_message_gets_no_playful_reaction(
    world: World, moodbot: MoodBot
) -> None:
    fake = world.fake
    async with running(moodbot) as run:
        message = await fake.post(world.alice, world.general, GRIEF)
        await run.settled(1)
        decision = run.cog.recent.get("discord", str(world.general.id), str(message.id))

    assert decision is not None and "sensitivity" in decision.why.rules()
    sent = [p.path.split("/")[-2] for p in fake.reaction_puts()]
    assert sent == [r.emoji for r in decision.reactions]
    for emoji in sent:
        entry = VOCABULARY.get(emoji)
        assert entry is not None and entry.tone is not Tone.PLAYFUL, emoji


async def test_bots_webhooks_and_the_bot_itself_are_ignored(world: World, moodbot: MoodBot) -> None:
    fake = world.fake
    async with running(moodbot) as run:
        await fake.post(world.helper, world.general, HAPPY)
        await fake.post(world.alice, world.general, HAPPY, webhook=True)
        await fake.post(fake.bot_user, world.general, HAPPY)
        person = await fake.post(world.alice, world.general, HAPPY)
        await fake.wait_for(lambda: fake.reactions_on(person))
        await run.settled(1)
        assert run.cog.queue.stats.offered == 1

    assert [p.path.split("/")[4] for p in fake.reaction_puts()] == [str(person.id)]


async def test_a_channel_without_add_reactions_gets_no_attempt(
    world: World, moodbot: MoodBot
) -> None:
    fake = world.fake
    async with running(moodbot) as run:
        channel = run.bot.get_channel(world.quiet.id)
        guild = run.bot.get_guild(fake.guild.id)
        assert channel is not None and guild is not None
        assert not channel.permissions_for(guild.me).add_reactions  # type: ignore[union-attr]
        quiet = await fake.post(world.alice, world.quiet, HAPPY)
        loud = await fake.post(world.alice, world.general, HAPPY)
        await fake.wait_for(lambda: fake.reactions_on(loud))
        await run.settled(2)
        decision = run.cog.recent.get("discord", str(world.quiet.id), str(quiet.id))

    assert decision is not None and decision.reactions  # it would have reacted
    assert fake.reaction_puts(world.quiet.id) == []


async def test_a_403_stops_further_attempts_in_that_channel(world: World, moodbot: MoodBot) -> None:
    fake = world.fake
    async with running(moodbot) as run:
        # The bot's role loses Add Reactions in #stale, and the gateway does not say so.
        fake.revoke(world.stale, world.bot_role.id, ADD_REACTIONS, type=0)
        fake.revoke(world.stale, fake.guild.id, ADD_REACTIONS, type=0)
        await fake.post(world.alice, world.stale, HAPPY)
        await fake.wait_for(lambda: fake.reaction_puts(world.stale.id))
        await run.settled(1)
        await fake.post(world.bob, world.stale, JOB)
        await fake.post(world.alice, world.stale, HAPPY)
        elsewhere = await fake.post(world.bob, world.general, JOB)
        await fake.wait_for(lambda: fake.reactions_on(elsewhere))
        await run.settled(4)
        assert run.cog.refusals.refused(str(world.stale.id)) is not None

    (refused,) = fake.reaction_puts(world.stale.id)
    assert refused.status == 403 and refused.answer["code"] == 50013
    assert len(fake.reaction_puts(world.general.id)) == 1


async def test_a_member_who_blocked_the_bot_is_left_alone_not_the_channel(
    world: World, moodbot: MoodBot
) -> None:
    fake = world.fake
    fake.blocked_by.add(world.alice.id)
    async with running(moodbot) as run:
        await fake.post(world.alice, world.general, HAPPY)
        await fake.wait_for(lambda: fake.reaction_puts(world.general.id))
        await run.settled(1)
        await fake.post(world.alice, world.general, JOB)
        other = await fake.post(world.bob, world.general, HAPPY)
        await fake.wait_for(lambda: fake.reactions_on(other))
        await run.settled(3)

    blocked, landed = fake.reaction_puts(world.general.id)
    assert (blocked.status, blocked.answer["code"]) == (403, 90001)
    assert landed.status == 204 and f"/messages/{other.id}/" in landed.path


async def test_a_429_with_retry_after_is_honoured_and_the_reaction_lands_once(
    world: World, moodbot: MoodBot
) -> None:
    fake = world.fake
    fake.rate_limit("PUT", r"/channels/[0-9]+/messages/[0-9]+/reactions/.+/@me", retry_after=0.4)
    async with running(moodbot) as run:
        message = await fake.post(world.alice, world.random, HAPPY)
        await fake.wait_for(lambda: fake.reactions_on(message))
        await run.settled(1)

    first, second = fake.reaction_puts()
    assert (first.status, second.status) == (429, 204)
    assert first.path == second.path
    assert second.at - first.at >= 0.4  # discord.py waited out retry_after ...
    assert fake.early_retries == []  # ... and nobody knocked before that
    assert [len(users) for users in fake.reactions_on(message).values()] == [1]


async def test_opt_out_is_honoured(world: World, moodbot: MoodBot, store: SettingsStore) -> None:
    fake = world.fake
    async with running(moodbot) as run:
        optout = await fake.use_slash_command(world.alice, world.general, "optout")
        await fake.wait_for(lambda: optout.response is not None)
        mine = await fake.post(world.alice, world.general, HAPPY)
        theirs = await fake.post(world.bob, world.general, HAPPY)
        await fake.wait_for(lambda: fake.reactions_on(theirs))
        await run.settled(2)
        decision = run.cog.recent.get("discord", str(world.general.id), str(mine.id))

    assert optout.response is not None and optout.response["data"]["flags"] & 64
    assert store.opt_out("discord", None, world.alice.id) is not None
    assert decision is not None and decision.skipped == "opt-out"
    assert fake.reactions_on(mine) == {}
    assert [p.path.split("/")[4] for p in fake.reaction_puts()] == [str(theirs.id)]


async def test_custom_server_emoji_are_sent_as_name_and_id(
    world: World, moodbot: MoodBot, store: SettingsStore, make_bot: BotFactory
) -> None:
    fake = world.fake
    emoji = expected_reaction(make_bot, HAPPY)
    store.update_chat(
        "discord", world.custom.id, custom_emoji={emoji: f"<:pepehappy:{world.pepe.id}>"}
    )
    # A custom emoji of a server the bot is not in: it falls back to the Unicode one.
    store.update_chat(
        "discord", world.random.id, custom_emoji={emoji: "<:ghost:123456789012345678>"}
    )
    async with running(moodbot) as run:
        custom = await fake.post(world.alice, world.custom, HAPPY)
        fallback = await fake.post(world.alice, world.random, HAPPY)
        await fake.wait_for(lambda: fake.reactions_on(custom) and fake.reactions_on(fallback))
        await run.settled(2)

    (put,) = fake.reaction_puts(world.custom.id)
    assert put.path.endswith(f"/reactions/pepehappy:{world.pepe.id}/@me")
    assert unquote(put.raw_path.split("/")[-2]) == f"pepehappy:{world.pepe.id}"  # name:id
    assert put.status == 204
    assert fake.reactions_on(fallback) == {emoji: {fake.bot_user.id}}


ODD_TEXTS = [
    "\u0000\u0001\u0007",
    "\u202eevil right-to-left\u202c",
    "Z̷̢̛a̸̡l̴̨g̵̢o̶̧ ̷t̴e̵x̶t̷",
    "🎉" * 1000,
    "a" * 4000,
    "<@123456789012345678> @everyone ```py\nprint('x')\n```",
    "lone \ud800 surrogate",
    "\r\n\t \u200b\ufeff",
    "مرحبا 你好 こんにちは Привет",
]


async def test_odd_text_does_not_crash(world: World, moodbot: MoodBot) -> None:
    fake = world.fake
    async with running(moodbot) as run:
        for text in ODD_TEXTS:
            await fake.post(world.alice, world.general, text)
        marker = await fake.post(world.bob, world.general, HAPPY)
        await fake.wait_for(lambda: fake.reactions_on(marker))
        await run.settled(len(ODD_TEXTS) + 1)
        stats = run.cog.queue.stats

    assert stats.failed == 0 and stats.processed == len(ODD_TEXTS) + 1
    assert all(p.status == 204 for p in fake.reaction_puts())


async def test_logs_carry_neither_message_text_nor_token(
    world: World, moodbot: MoodBot, caplog: pytest.LogCaptureFixture
) -> None:
    # discord.py's own DEBUG records print whole gateway payloads; the host bot decides about
    # those. Everything moodmoji (and the core) logs is captured down to DEBUG.
    caplog.set_level(logging.INFO, logger="discord")
    caplog.set_level(logging.DEBUG)
    fake = world.fake
    secret = "Zyxwvut's birthday party was the best day of my life"
    async with running(moodbot) as run:
        fake.revoke(world.stale, world.bot_role.id, ADD_REACTIONS, type=0)
        fake.revoke(world.stale, fake.guild.id, ADD_REACTIONS, type=0)
        message = await fake.post(world.alice, world.general, secret)
        await fake.post(world.alice, world.stale, secret)
        await run.settled(2)
        menu = await fake.use_message_command(world.bob, world.general, "Suggest replies", message)
        await fake.wait_for(lambda: menu.followups)

    assert caplog.records  # something was logged (the 403 at least)
    assert "Zyxwvut" not in caplog.text and "birthday" not in caplog.text
    assert TOKEN not in caplog.text


async def test_without_message_content_it_says_so_once_and_does_not_react(
    world: World, moodbot: MoodBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake = world.fake
    async with running(moodbot, message_content=False) as run:
        message = await fake.post(world.alice, world.general, HAPPY)
        menu = await fake.use_message_command(world.bob, world.general, "Suggest replies", message)
        await fake.wait_for(lambda: menu.followups)
        assert run.cog.queue.stats.offered == 0

    (identify,) = fake.received(2)
    assert not identify["d"]["intents"] & MESSAGE_CONTENT
    assert caplog.text.count(NO_CONTENT_NOTE) == 1
    assert fake.reaction_puts() == []
    # The context menu still works: Discord resolves the target message's text for apps.
    assert "Suggested replies:" in menu.followups[0]["content"]


async def test_the_gateway_drops_and_the_bot_resumes_and_keeps_reacting(
    world: World, moodbot: MoodBot
) -> None:
    fake = world.fake
    async with running(moodbot) as run:
        before = await fake.post(world.alice, world.general, HAPPY)
        await fake.wait_for(lambda: fake.reactions_on(before))
        session = fake.session
        assert session is not None
        seq = session.seq
        await fake.drop()
        during = await fake.post(world.bob, world.random, HAPPY)  # kept for the RESUME replay
        await fake.wait_for(lambda: fake.received(6))
        await fake.wait_for(lambda: fake.reactions_on(during))
        after = await fake.post(world.alice, world.custom, JOB)
        await fake.wait_for(lambda: fake.reactions_on(after))
        await run.settled(3)
        latency = run.bot.latency

    (resume,) = fake.received(6)
    assert resume["d"]["session_id"] == session.id
    assert resume["d"]["seq"] == seq
    assert resume["d"]["token_ok"]
    assert len(fake.received(2)) == 1  # resumed, not identified again
    assert [c.path for c in fake.connections] == ["/gateway", "/resume"]  # resume_gateway_url
    assert fake.heartbeats >= 2 and latency < float("inf")  # heartbeats were acknowledged


async def test_an_auto_sharded_bot_finds_the_gateway_through_gateway_bot(
    world: World, moodbot: MoodBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A sharded bot asks GET /gateway/bot for the URL (and the shard count); the default is a
    # dead end here, so connecting at all proves the URL came from the REST answer.
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL("ws://127.0.0.1:9/dead"))
    fake = world.fake
    bot = commands.AutoShardedBot(
        command_prefix=commands.when_mentioned,
        intents=build_intents(True),
        help_command=None,
        guild_ready_timeout=0.05,
    )
    cog = MoodCog(bot, moodbot, DiscordSettings(queue_size=8, workers=1))
    await bot.login(TOKEN)
    await bot.add_cog(cog)
    task = asyncio.create_task(bot.connect())
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 20)
        message = await fake.post(world.alice, world.general, HAPPY)
        await fake.wait_for(lambda: fake.reactions_on(message))
    finally:
        await bot.close()
        await asyncio.wait_for(task, 20)

    assert [r.status for r in fake.requests_to("GET", "/gateway/bot")] == [200]
    (identify,) = fake.received(2)
    assert identify["d"]["shard"] == [0, 1]
