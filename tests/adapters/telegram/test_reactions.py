"""Automatic reactions, end to end: real PTB Application, our Bot API server, the real model."""

from __future__ import annotations

from collections.abc import Callable

from moodmoji.adapters.telegram import TelegramMoodmoji
from moodmoji.bot.store import SettingsStore
from tests.adapters.telegram.fake_bot_api import TELEGRAM_REACTIONS, FakeBotAPI
from tests.adapters.telegram.harness import GRIEF, HAPPY, WIN, running, settle

MakeMoodmoji = Callable[..., TelegramMoodmoji]

#: Reactions that suit grief: warm or somber, never playful.
SOMBER_OR_WARM = {"😢", "😭", "💔", "🙏", "❤", "🕊", "🤗", "😨", "🫡"}

ALICE, BOB, CAROL = 501, 502, 503


async def test_a_happy_message_gets_a_valid_reaction_on_the_right_message(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-100)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji) as app:
        neutral = fake.send(-100, ALICE, "The meeting moved to 3pm")
        happy = fake.send(-100, BOB, HAPPY)
        await settle(fake, app, moodmoji)
    sets = fake.calls("setMessageReaction")
    assert [(r.chat_id, r.params["message_id"], r.status) for r in sets] == [(-100, happy, 200)]
    assert sets[0].params["reaction"] == [{"type": "emoji", "emoji": "❤"}]
    assert fake.reactions == {(-100, happy): ["❤"]}
    assert (-100, neutral) not in fake.reactions
    assert all(e in TELEGRAM_REACTIONS for emoji in fake.reactions.values() for e in emoji)
    assert moodmoji.stats.reactions_sent == 1
    assert moodmoji.stats.reactions.processed == 2


async def test_a_bereavement_gets_no_playful_reaction(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-101)
    fake.add_chat(-102)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji) as app:
        grief = fake.send(-101, ALICE, GRIEF)
        pet = fake.send(-102, BOB, "Our dog died this morning, I can't stop crying")
        await settle(fake, app, moodmoji)
    for key in ((-101, grief), (-102, pet)):
        assert set(fake.reactions.get(key, [])) <= SOMBER_OR_WARM
    assert not any(r.status != 200 for r in fake.calls("setMessageReaction"))


async def test_messages_of_bots_are_ignored(fake: FakeBotAPI, make_moodmoji: MakeMoodmoji) -> None:
    fake.add_chat(-103)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji) as app:
        fake.send(-103, 900, HAPPY, is_bot=True)
        fake.send(-103, 4242, WIN, is_bot=True)  # the bot's own id
        await settle(fake, app, moodmoji)
        assert fake.calls("getChat") == []
        assert fake.calls("setMessageReaction") == []
        human = fake.send(-103, ALICE, HAPPY)
        await settle(fake, app, moodmoji)
    assert list(fake.reactions) == [(-103, human)]
    assert moodmoji.stats.ignored_bots == 2
    assert moodmoji.stats.reactions.offered == 1


async def test_opt_outs_and_mode_off_are_honoured_before_any_request(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, store: SettingsStore
) -> None:
    for chat in (-104, -105, -106, -107):
        fake.add_chat(chat)
    store.set_opt_out("telegram", "user", ALICE, True)
    store.set_opt_out("telegram", "chat", -105, True)
    store.update_chat("telegram", -106, mode="off")
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji) as app:
        fake.send(-104, ALICE, HAPPY)  # the author opted out
        fake.send(-105, BOB, HAPPY)  # the chat opted out
        fake.send(-106, BOB, HAPPY)  # the chat's mode is off
        other = fake.send(-107, BOB, HAPPY)
        await settle(fake, app, moodmoji)
    assert [r.chat_id for r in fake.calls("getChat")] == [-107]
    assert list(fake.reactions) == [(-107, other)]
    assert moodmoji.stats.reactions.processed == 4


async def test_a_restricted_chat_gets_only_its_allowed_reactions(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    allowed = ["👍", "❤", "🔥"]
    fake.add_chat(-108, available_reactions=allowed)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji) as app:
        love = fake.send(-108, ALICE, HAPPY)
        win = fake.send(-108, BOB, WIN)  # 🎉 elsewhere; here only 🔥 of the allowed fits
        await settle(fake, app, moodmoji)
    assert all(set(emoji) <= set(allowed) for emoji in fake.reactions.values())
    assert fake.reactions.get((-108, love)) == ["❤"]
    assert fake.reactions.get((-108, win)) in (None, ["🔥"])
    assert {r.status for r in fake.calls("setMessageReaction")} == {200}
    assert len(fake.calls("getChat")) == 1  # cached for the second message


async def test_a_rejected_reaction_is_remembered_for_the_chat(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    chat = fake.add_chat(-109)
    fake.add_chat(-110)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji) as app:
        fake.send(-109, ALICE, HAPPY)
        await settle(fake, app, moodmoji)
        assert len(fake.reactions) == 1
        chat.available_reactions = ["👎"]  # admins narrowed the list after it was cached
        fake.send(-109, BOB, HAPPY)
        await settle(fake, app, moodmoji)
        rejected = fake.calls("setMessageReaction", chat_id=-109, ok=False)
        assert [r.description for r in rejected] == ["Bad Request: REACTION_INVALID"]
        fake.send(-109, CAROL, HAPPY)
        elsewhere = fake.send(-110, CAROL, HAPPY)
        await settle(fake, app, moodmoji)
    assert len(fake.calls("setMessageReaction", chat_id=-109)) == 2  # not tried a third time
    assert (-110, elsewhere) in fake.reactions
    assert moodmoji.stats.refusals == 1
    assert moodmoji.stats.skipped_refused == 1


async def test_a_5xx_on_get_chat_skips_the_message_without_poisoning_the_cache(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-111)
    fake.fail("getChat", 500, chat_id=-111)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji) as app:
        first = fake.send(-111, ALICE, HAPPY)
        await settle(fake, app, moodmoji)
        second = fake.send(-111, BOB, HAPPY)
        await settle(fake, app, moodmoji)
    assert [r.status for r in fake.calls("getChat")] == [500, 200]
    assert (-111, first) not in fake.reactions
    assert fake.reactions[(-111, second)] == ["❤"]
    assert moodmoji.stats.refusals == 0


async def test_odd_text_does_not_crash(fake: FakeBotAPI, make_moodmoji: MakeMoodmoji) -> None:
    fake.add_chat(-112)
    moodmoji = make_moodmoji()
    zalgo = "H̷̢͎̦̹̲e̸͓̝͋ļ̵̣̈́l̶̰̈o̶̧͝ w̵͓̔o̶̦͆r̸̟̚l̵̜̈́d̴̰͠" * 20
    odd = ["", "   ", "😂😂😂🔥🔥", zalgo, "a" * 5000, "\u200b\u200d\ufeff", "🏳️‍🌈" * 50, "\x00\x01"]
    async with running(fake, moodmoji) as app:
        for i, text in enumerate(odd):
            fake.send(-112, 600 + i, text)
        fake.send(-112, 700, "caption only, on a photo", caption=True)
        happy = fake.send(-112, 701, HAPPY)
        await settle(fake, app, moodmoji)
    stats = moodmoji.stats.reactions
    assert stats.failed == 0
    assert stats.processed == stats.offered >= len(odd) - 1  # "" carries no text at all
    assert (-112, happy) in fake.reactions
    assert all(r.status == 200 for r in fake.requests if r.method != "getUpdates")
