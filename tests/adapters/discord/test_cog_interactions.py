"""The context menu and the slash commands, invoked through our fake Discord's gateway."""

from __future__ import annotations

import logging

import pytest

from moodmoji.adapters.common import answers
from moodmoji.adapters.discord import texts
from moodmoji.bot.chat_settings import MAX_CUSTOM_EMOJI
from moodmoji.bot.core import MoodBot
from moodmoji.bot.messages import ChatContext, IncomingMessage, Platform
from moodmoji.bot.store import SettingsStore
from tests.adapters.discord.conftest import (
    HAPPY,
    JOB,
    RELAXED,
    World,
    expected_reaction,
    running,
)
from tests.adapters.discord.fake_discord import EPHEMERAL, MANAGE_GUILD, Interaction
from tests.conftest import BotFactory


def answer(interaction: Interaction) -> str:
    """What the invoking user saw, checked to be for their eyes only."""
    response = interaction.response
    assert response is not None, "the interaction was never acknowledged"
    if response["type"] == 5:  # deferred, then a follow-up
        assert response["data"]["flags"] & EPHEMERAL
        (followup,) = interaction.followups
        assert followup["flags"] & EPHEMERAL
        assert followup["allowed_mentions"] == {"parse": []}
        return str(followup["content"])
    assert response["type"] == 4
    assert response["data"]["flags"] & EPHEMERAL
    return str(response["data"]["content"])


async def done(world: World, interaction: Interaction) -> str:
    def finished() -> bool:
        response = interaction.response
        return response is not None and (response["type"] == 4 or bool(interaction.followups))

    await world.fake.wait_for(finished)
    return answer(interaction)


async def test_suggest_replies_defers_then_follows_up_ephemerally(
    world: World, moodbot: MoodBot, make_bot: BotFactory
) -> None:
    fake = world.fake
    target = fake.store_message(world.alice, world.general, HAPPY)
    expected = make_bot(defaults=RELAXED).decide(
        IncomingMessage(Platform.DISCORD, "c", "m", "a", HAPPY), ChatContext(), explicit=True
    )
    async with running(moodbot):
        menu = await fake.use_message_command(world.bob, world.general, "Suggest replies", target)
        text = await done(world, menu)

    # Acknowledged with a deferred ephemeral "thinking" response (type 5, flags 64) in time:
    # the fake refuses callbacks after 3 s and follow-ups before an acknowledgement.
    assert menu.response == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert expected.suggestions
    lines = text.splitlines()
    assert lines[0] == "Suggested replies:"
    shown = [line.split(". ", 1)[1] for line in lines[1:] if line[:2] in ("1.", "2.", "3.")]
    assert shown == [s.text for s in expected.suggestions][:3]
    assert lines[-1] == answers.mood_text(expected)
    assert fake.reaction_puts() == []  # an explicit request suggests; it never reacts


async def test_a_manage_server_command_is_refused_to_a_plain_member(
    world: World, moodbot: MoodBot, store: SettingsStore
) -> None:
    fake = world.fake
    async with running(moodbot):
        (group,) = [c for c in fake.global_commands if c["name"] == "moodmoji"]
        assert int(group["default_member_permissions"]) == MANAGE_GUILD
        # Discord itself hides the command from members without Manage Server ...
        with pytest.raises(AssertionError, match="would not offer"):
            await fake.use_slash_command(
                world.alice, world.general, "moodmoji mode", {"mode": "off"}
            )
        # ... unless a server admin overrides that; then the Cog checks again at run time.
        refused = await fake.use_slash_command(
            world.alice, world.general, "moodmoji mode", {"mode": "off"}, server_override=True
        )
        assert await done(world, refused) == texts.NEED_MANAGE
        threshold = await fake.use_slash_command(
            world.alice,
            world.general,
            "moodmoji threshold",
            {"kind": "reaction", "value": 0.9},
            server_override=True,
        )
        assert await done(world, threshold) == texts.NEED_MANAGE
        assert store.chat_overrides("discord", world.general.id) == {}

        allowed = await fake.use_slash_command(
            world.mia, world.general, "moodmoji mode", {"mode": "off"}
        )
        assert "mode = off" in await done(world, allowed)
        stricter = await fake.use_slash_command(
            world.mia, world.general, "moodmoji threshold", {"kind": "suggestion", "value": 0.5}
        )
        assert "suggestion_threshold = 0.5" in await done(world, stricter)
        # Mode off in #general: a happy message there gets no reaction any more.
        quiet = await fake.post(world.bob, world.general, HAPPY)
        loud = await fake.post(world.bob, world.random, HAPPY)
        await fake.wait_for(lambda: fake.reactions_on(loud))

    assert fake.reactions_on(quiet) == {}
    with SettingsStore.open(store.path, read_only=True) as reopened:
        assert reopened.chat_overrides("discord", world.general.id) == {
            "mode": "off",
            "suggestion_threshold": 0.5,
        }


async def test_why_explains_the_remembered_decision_or_decides_again(
    world: World, moodbot: MoodBot
) -> None:
    fake = world.fake
    old = fake.store_message(world.bob, world.general, JOB)  # written before the bot started
    async with running(moodbot) as run:
        fresh = await fake.post(world.alice, world.general, HAPPY)
        await fake.wait_for(lambda: fake.reactions_on(fresh))
        await run.settled(1)
        link = f"https://discord.com/channels/{fake.guild.id}/{world.general.id}/{fresh.id}"
        remembered = await fake.use_slash_command(
            world.bob, world.general, "why", {"message": link}
        )
        remembered_text = await done(world, remembered)
        again = await fake.use_slash_command(
            world.bob, world.general, "why", {"message": str(old.id)}
        )
        again_text = await done(world, again)
        secret = fake.store_message(world.mia, world.private, HAPPY)
        private_link = (
            f"https://discord.com/channels/{fake.guild.id}/{world.private.id}/{secret.id}"
        )
        nosy = await fake.use_slash_command(
            world.alice, world.general, "why", {"message": private_link}
        )
        nosy_text = await done(world, nosy)
        bad = await fake.use_slash_command(
            world.alice, world.general, "why", {"message": "yesterday"}
        )
        bad_text = await done(world, bad)

    (emoji,) = fake.reactions_on(fresh)
    assert remembered_text.startswith("When this message arrived:")
    assert f"reaction: {emoji}" in remembered_text
    assert again_text.startswith("Looking at this message now:")
    fetched = fake.requests_to("GET", r"/channels/[0-9]+/messages/[0-9]+")
    assert [r.path for r in fetched] == [f"/channels/{world.general.id}/messages/{old.id}"]
    assert fetched[0].status == 200
    assert nosy_text == texts.NOT_VISIBLE
    assert bad_text == texts.BAD_REF


async def test_mood_counts_the_channel_over_recent_days(world: World, moodbot: MoodBot) -> None:
    fake = world.fake
    async with running(moodbot) as run:
        for text in (HAPPY, JOB, "I love you all so much"):
            await fake.post(world.alice, world.random, text)
        await run.settled(3)
        mood = await fake.use_slash_command(world.bob, world.random, "mood", {"days": 3})
        text = await done(world, mood)
        empty = await fake.use_slash_command(world.bob, world.custom, "mood")
        empty_text = await done(world, empty)

    assert text.startswith("Mood of this chat over the last 3 days (3 messages):")
    assert "joy" in text
    assert empty_text == "No moods counted in this chat over the last 7 days."


async def test_optout_optin_and_forgetme(
    world: World, moodbot: MoodBot, store: SettingsStore
) -> None:
    fake = world.fake
    async with running(moodbot):
        out = await fake.use_slash_command(world.alice, world.general, "optout")
        assert await done(world, out) == answers.OPT_OUT_USER
        assert store.opt_out("discord", None, world.alice.id) is not None
        back = await fake.use_slash_command(world.alice, world.general, "optin")
        assert await done(world, back) == answers.OPT_IN
        assert store.opt_out("discord", None, world.alice.id) is None
        channel = await fake.use_slash_command(
            world.alice, world.general, "optout", {"scope": "channel"}
        )
        assert await done(world, channel) == texts.NEED_MANAGE
        again = await fake.use_slash_command(world.alice, world.general, "optout")
        await done(world, again)
        forget = await fake.use_slash_command(world.alice, world.general, "forgetme")
        forget_text = await done(world, forget)

    assert forget_text.startswith("Deleted 1 opt-out.")
    assert store.opt_out("discord", None, world.alice.id) is None
    assert store.opt_out("discord", world.general.id, None) is None


async def test_commands_answer_plainly_without_a_settings_store(
    world: World, make_bot: BotFactory
) -> None:
    fake = world.fake
    moodbot = make_bot(defaults=RELAXED)
    try:
        async with running(moodbot):
            asked = [
                await fake.use_slash_command(world.bob, world.general, "mood"),
                await fake.use_slash_command(world.bob, world.general, "optout"),
                await fake.use_slash_command(world.bob, world.general, "optin"),
                await fake.use_slash_command(world.bob, world.general, "forgetme"),
                await fake.use_slash_command(world.mia, world.general, "moodmoji show"),
                await fake.use_slash_command(
                    world.mia, world.general, "moodmoji mode", {"mode": "off"}
                ),
                await fake.use_slash_command(
                    world.mia,
                    world.general,
                    "moodmoji emoji",
                    {"key": "joy", "emoji": f"<:pepehappy:{world.pepe.id}>"},
                ),
                await fake.use_slash_command(world.mia, world.general, "moodmoji reset"),
                await fake.use_slash_command(world.mia, world.general, "moodmoji forget"),
            ]
            answered = [await done(world, interaction) for interaction in asked]
    finally:
        await moodbot.aclose()
    assert answered == [texts.NO_STORE] * len(asked)


async def test_an_unreachable_store_is_answered_and_logged_without_details(
    world: World, moodbot: MoodBot, store: SettingsStore, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.fake
    caplog.set_level(logging.INFO, logger="moodmoji")
    async with running(moodbot):
        store.close()  # every read and write fails from now on, as with a lost disk
        asked = {
            "mood": await fake.use_slash_command(world.bob, world.general, "mood"),
            "optout": await fake.use_slash_command(world.bob, world.general, "optout"),
            "forgetme": await fake.use_slash_command(world.bob, world.general, "forgetme"),
            "moodmoji show": await fake.use_slash_command(
                world.mia, world.general, "moodmoji show"
            ),
            "moodmoji mode": await fake.use_slash_command(
                world.mia, world.general, "moodmoji mode", {"mode": "off"}
            ),
            "moodmoji emoji": await fake.use_slash_command(
                world.mia,
                world.general,
                "moodmoji emoji",
                {"key": "joy", "emoji": f"<:pepehappy:{world.pepe.id}>"},
            ),
            "moodmoji forget": await fake.use_slash_command(
                world.mia, world.general, "moodmoji forget"
            ),
        }
        answered = {name: await done(world, i) for name, i in asked.items()}
        # Refusals still come before the store: a plain member is told about the permission.
        refused = await fake.use_slash_command(
            world.alice, world.general, "moodmoji reset", server_override=True
        )
        refused_text = await done(world, refused)

    assert answered == dict.fromkeys(asked, texts.STORE_FAILED)
    assert refused_text == texts.NEED_MANAGE
    warnings = [r.getMessage() for r in caplog.records if r.name.endswith("discord.cog")]
    for name in asked:
        assert f"discord: settings store error in /{name}" in warnings
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "closed" not in " ".join(answered.values())


async def test_an_invalid_change_is_answered_and_nothing_is_written(
    world: World, moodbot: MoodBot, store: SettingsStore
) -> None:
    fake = world.fake
    pepe = f"<:pepehappy:{world.pepe.id}>"
    full = {f"mood{i}": pepe for i in range(MAX_CUSTOM_EMOJI)}
    store.update_chat("discord", world.custom.id, custom_emoji=full)
    async with running(moodbot):
        one_more = await fake.use_slash_command(
            world.mia, world.custom, "moodmoji emoji", {"key": "joy", "emoji": pepe}
        )
        one_more_text = await done(world, one_more)
        dropped = await fake.use_slash_command(
            world.mia, world.custom, "moodmoji emoji", {"key": "mood0"}
        )
        dropped_text = await done(world, dropped)

    assert one_more_text == (
        f"Not changed: custom_emoji: at most {MAX_CUSTOM_EMOJI} entries, "
        f"not {MAX_CUSTOM_EMOJI + 1}."
    )
    assert dropped_text.startswith(f"Done: custom_emoji = mood1 -> {pepe}, ")
    assert len(dropped_text) == texts.MAX_CONTENT  # the whole map, clipped to Discord's limit
    mapping = store.chat_overrides("discord", world.custom.id)["custom_emoji"]
    assert "joy" not in mapping and "mood0" not in mapping
    assert len(mapping) == MAX_CUSTOM_EMOJI - 1


async def test_the_synced_commands_follow_discords_rules(world: World, moodbot: MoodBot) -> None:
    fake = world.fake
    async with running(moodbot):
        pass
    (sync,) = fake.requests_to("PUT", rf"/applications/{fake.app_id}/commands")
    assert sync.status == 200  # the fake checks names, descriptions, option order and nesting
    names = {(c["name"], c.get("type", 1)) for c in sync.body}
    assert names == {
        ("mood", 1),
        ("why", 1),
        ("optout", 1),
        ("optin", 1),
        ("forgetme", 1),
        ("moodmoji", 1),
        ("Suggest replies", 3),
    }
    (group,) = [c for c in sync.body if c["name"] == "moodmoji"]
    assert {o["name"] for o in group["options"]} == {
        "show",
        "mode",
        "threshold",
        "emoji",
        "reset",
        "forget",
    }
    assert group["dm_permission"] is False  # guild only


async def test_a_manager_maps_a_mood_emoji_to_a_server_emoji(
    world: World, moodbot: MoodBot, store: SettingsStore, make_bot: BotFactory
) -> None:
    fake = world.fake
    emoji = expected_reaction(make_bot, HAPPY)
    pepe = f"<:pepehappy:{world.pepe.id}>"
    async with running(moodbot) as run:
        plain = await fake.use_slash_command(
            world.alice,
            world.custom,
            "moodmoji emoji",
            {"key": emoji, "emoji": pepe},
            server_override=True,
        )
        assert await done(world, plain) == texts.NEED_MANAGE
        foreign = await fake.use_slash_command(
            world.mia,
            world.custom,
            "moodmoji emoji",
            {"key": emoji, "emoji": "<:ghost:123456789012345678>"},
        )
        assert await done(world, foreign) == "Pick a custom emoji of this server."
        mapped = await fake.use_slash_command(
            world.mia, world.custom, "moodmoji emoji", {"key": emoji, "emoji": pepe}
        )
        assert (
            await done(world, mapped) == f"Done: custom_emoji = {emoji} -> {pepe} in this channel."
        )
        show = await fake.use_slash_command(world.mia, world.custom, "moodmoji show")
        shown = await done(world, show)
        message = await fake.post(world.bob, world.custom, HAPPY)
        await fake.wait_for(lambda: fake.reactions_on(message))
        await run.settled(1)
        reset = await fake.use_slash_command(world.mia, world.custom, "moodmoji reset")
        await done(world, reset)

    assert f"custom_emoji: {emoji} -> {pepe} *" in shown.splitlines()
    assert fake.reactions_on(message) == {f"pepehappy:{world.pepe.id}": {fake.bot_user.id}}
    assert store.chat_overrides("discord", world.custom.id) == {}
