"""Commands, suggestions and the dismiss button, end to end: what the users saw."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from moodmoji.adapters.common import answers
from moodmoji.adapters.telegram import TelegramMoodmoji, texts
from moodmoji.adapters.telegram.keyboard import DISMISS_LABEL, dismiss_data
from moodmoji.bot.messages import IncomingMessage, Platform
from moodmoji.bot.store import SettingsStore
from tests.adapters.telegram.fake_bot_api import FakeBotAPI
from tests.adapters.telegram.harness import HAPPY, RELAXED, WIN, running, settle

MakeMoodmoji = Callable[..., TelegramMoodmoji]

ALICE, BOB, ADMIN, OWNER = 521, 522, 523, 524


def expected_suggestions(moodmoji: TelegramMoodmoji, text: str) -> list[str]:
    message = IncomingMessage(Platform.TELEGRAM, "0", "0", "1", text)
    decision = moodmoji.moodbot.decide(message, explicit=True)
    return [s.text for s in decision.suggestions]


async def replies(fake: FakeBotAPI, chat_id: int, count: int) -> list[dict[str, Any]]:
    """Waits for the bot's ``count``-th message in the chat; returns all of them."""
    await fake.wait_for(
        lambda: len(fake.sent_messages(chat_id)) >= count, what=f"{count} replies in {chat_id}"
    )
    return fake.sent_messages(chat_id)


def reply_to(sent: dict[str, Any]) -> int:
    return int(sent["reply_parameters"]["message_id"])


async def test_suggest_as_a_reply_offers_copy_buttons_with_the_suggestions(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-300)
    moodmoji = make_moodmoji()
    wanted = expected_suggestions(moodmoji, WIN)
    assert 1 <= len(wanted) <= 3
    async with running(fake, moodmoji):
        news = fake.send(-300, ALICE, WIN)
        command = fake.send(-300, BOB, "/suggest", reply_to=news)
        (sent,) = await replies(fake, -300, 1)
    assert sent["text"] == texts.SUGGESTIONS_HEAD
    assert reply_to(sent) == command
    rows = sent["reply_markup"]["inline_keyboard"]
    assert rows[:-1] == [[{"text": t, "copy_text": {"text": t}}] for t in wanted]
    assert rows[-1] == [{"text": DISMISS_LABEL, "callback_data": dismiss_data(BOB)}]
    # The bot never posts a suggestion as a message of its own, let alone as the user.
    assert not {m["text"] for m in fake.sent_messages()} & set(wanted)


async def test_suggest_needs_a_reply_and_says_when_nothing_fits(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, store: SettingsStore
) -> None:
    fake.add_chat(-301)
    fake.add_chat(-302)
    store.update_chat("telegram", -302, mode="react")
    moodmoji = make_moodmoji()
    assert expected_suggestions(moodmoji, "??") == []
    async with running(fake, moodmoji):
        fake.send(-301, ALICE, "/suggest")
        await replies(fake, -301, 1)
        mumble = fake.send(-301, ALICE, "??")  # nothing to answer
        fake.send(-301, BOB, "/suggest", reply_to=mumble)
        await replies(fake, -301, 2)
        news = fake.send(-302, ALICE, WIN)
        fake.send(-302, BOB, "/suggest", reply_to=news)
        await replies(fake, -302, 1)
    assert [m["text"] for m in fake.sent_messages(-301)] == [
        texts.SUGGEST_USAGE,
        texts.NO_SUGGESTION,
    ]
    assert [m["text"] for m in fake.sent_messages(-302)] == [
        texts.SUGGESTIONS_OFF.format(mode="react")
    ]
    assert all("reply_markup" not in m for m in fake.sent_messages())


async def test_dismiss_works_for_the_requester_and_is_refused_to_others(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-303)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji):
        news = fake.send(-303, ALICE, WIN)
        fake.send(-303, BOB, "/suggest", reply_to=news)
        (sent,) = await replies(fake, -303, 1)
        keyboard_message = max(k[1] for k in fake.messages if k[0] == -303)
        data = sent["reply_markup"]["inline_keyboard"][-1][0]["callback_data"]

        fake.press(-303, keyboard_message, ALICE, data)  # not the requester
        await fake.wait_for(lambda: len(fake.calls("answerCallbackQuery")) == 1)
        refused = fake.calls("answerCallbackQuery")[0].params
        assert refused["text"] == texts.DISMISS_NOT_YOURS
        assert refused["show_alert"] == "true"
        assert (-303, keyboard_message) in fake.messages
        assert fake.calls("deleteMessage") == [] and fake.calls("editMessageReplyMarkup") == []

        fake.press(-303, keyboard_message, BOB, data)  # the requester
        await fake.wait_for(lambda: len(fake.calls("deleteMessage")) == 1)
    accepted = fake.calls("answerCallbackQuery")[1].params
    assert "text" not in accepted
    assert fake.calls("deleteMessage")[0].params["message_id"] == keyboard_message
    assert (-303, keyboard_message) not in fake.messages


async def test_dismiss_strips_the_buttons_when_the_message_cannot_be_deleted(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-304)
    fake.fail("deleteMessage", 400, description="Bad Request: message can't be deleted")
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji):
        news = fake.send(-304, ALICE, WIN)
        fake.send(-304, BOB, "/suggest", reply_to=news)
        await replies(fake, -304, 1)
        keyboard_message = max(k[1] for k in fake.messages if k[0] == -304)
        fake.press(-304, keyboard_message, BOB, dismiss_data(BOB))
        await fake.wait_for(lambda: len(fake.calls("editMessageReplyMarkup")) == 1)
    assert "reply_markup" not in fake.messages[(-304, keyboard_message)]


async def test_a_message_forwarded_in_a_private_chat_gets_suggestions(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(ALICE, type="private")
    moodmoji = make_moodmoji()
    wanted = expected_suggestions(moodmoji, WIN)
    async with running(fake, moodmoji) as app:
        forwarded = fake.send(ALICE, ALICE, WIN, forward_from=BOB)
        (sent,) = await replies(fake, ALICE, 1)
        await settle(fake, app, moodmoji)
    assert sent["text"] == texts.SUGGESTIONS_HEAD
    assert reply_to(sent) == forwarded
    rows = sent["reply_markup"]["inline_keyboard"]
    assert [row[0]["copy_text"]["text"] for row in rows[:-1]] == wanted
    assert rows[-1][0]["callback_data"] == dismiss_data(ALICE)
    assert fake.calls("setMessageReaction") == []  # a forward is not reacted to


async def test_a_forward_of_someone_who_opted_out_gets_no_suggestions(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, store: SettingsStore
) -> None:
    fake.add_chat(ALICE, type="private")
    store.set_opt_out("telegram", "user", BOB, True)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji):
        fake.send(ALICE, ALICE, WIN, forward_from=BOB)
        (sent,) = await replies(fake, ALICE, 1)
    assert sent["text"].startswith("Nothing to suggest: the author opted out")
    assert "reply_markup" not in sent


async def test_mode_is_for_admins_only_and_is_stored(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, store: SettingsStore
) -> None:
    fake.add_chat(-305, admins={ADMIN}, owner=OWNER)
    fake.add_chat(BOB, type="private")
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji) as app:
        fake.send(-305, ALICE, "/moodmoji mode off")
        await replies(fake, -305, 1)
        assert store.chat_overrides("telegram", -305) == {}
        fake.send(-305, ADMIN, "/moodmoji mode off")
        await replies(fake, -305, 2)
        assert SettingsStore.open(store.path).chat_overrides("telegram", -305) == {"mode": "off"}
        fake.send(-305, OWNER, "/moodmoji mode")
        await replies(fake, -305, 3)
        fake.send(BOB, BOB, "/moodmoji mode react")  # a private chat: the user is the admin
        await replies(fake, BOB, 1)
        fake.send(-305, ALICE, HAPPY)
        await settle(fake, app, moodmoji)
    assert [m["text"] for m in fake.sent_messages(-305)] == [
        texts.NOT_ADMIN,
        texts.MODE_SET.format(mode="off"),
        texts.MODE_NOW.format(mode="off"),
    ]
    assert [m["text"] for m in fake.sent_messages(BOB)] == [texts.MODE_SET.format(mode="react")]
    assert [r.params["user_id"] for r in fake.calls("getChatMember")] == [ALICE, ADMIN]
    assert fake.calls("getChat") == [] and fake.reactions == {}  # mode off holds


async def test_optout_optin_and_forgetme(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, store: SettingsStore
) -> None:
    fake.add_chat(-306)
    fake.add_chat(-307)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji) as app:
        fake.send(-306, ALICE, "/optout")
        await replies(fake, -306, 1)
        assert store.opt_out("telegram", None, ALICE) is not None
        ignored = fake.send(-307, ALICE, HAPPY)  # another chat: a user's opt-out holds everywhere
        await settle(fake, app, moodmoji)
        assert fake.calls("getChat") == []
        fake.send(-306, ALICE, "/optout chat")  # not an admin
        fake.send(-306, ALICE, "/forgetme")
        await replies(fake, -306, 3)
        assert store.opt_out("telegram", None, ALICE) is None
        fake.send(-306, ALICE, "/optout")
        fake.send(-306, ALICE, "/optin")
        await replies(fake, -306, 5)
        seen = fake.send(-307, ALICE, HAPPY)
        await settle(fake, app, moodmoji)
    assert [m["text"] for m in fake.sent_messages(-306)][:3] == [
        answers.OPT_OUT_USER,
        texts.NOT_ADMIN,
        "Deleted 1 opt-out. " + answers.FORGET_USER_NOTE,
    ]
    assert sorted(m["text"] for m in fake.sent_messages(-306)[3:]) == sorted(
        [answers.OPT_OUT_USER, answers.OPT_IN]
    )
    assert (-307, ignored) not in fake.reactions
    assert (-307, seen) in fake.reactions


async def test_mood_and_why(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, store: SettingsStore
) -> None:
    fake.add_chat(-308)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji) as app:
        first = fake.send(-308, ALICE, HAPPY)
        fake.send(-308, BOB, WIN)
        old = fake.send(-308, BOB, HAPPY, date=time.time() - 3600)  # stale: never decided
        await settle(fake, app, moodmoji)
        remembered = moodmoji.recent.get("telegram", "-308", str(first))
        assert remembered is not None
        counts = store.mood_counts("telegram", -308)
        fake.send(-308, ALICE, "/mood")
        await replies(fake, -308, 1)
        fake.send(-308, ALICE, "/mood", reply_to=first)
        await replies(fake, -308, 2)
        fake.send(-308, ALICE, "/why", reply_to=first)
        await replies(fake, -308, 3)
        fake.send(-308, ALICE, "/why", reply_to=old)
        await replies(fake, -308, 4)
        fake.send(-308, ALICE, "/why")
        await replies(fake, -308, 5)
    sent = [m["text"] for m in fake.sent_messages(-308)]
    assert sent[0] == answers.mood_counts_text(counts, days=7)
    assert sent[0].startswith("Mood of this chat over the last 7 days (2 messages)")
    assert sent[1] == answers.mood_text(remembered)
    assert sent[2] == answers.why_text(remembered, remembered=True)
    assert sent[3].startswith("Looking at this message now:")
    assert sent[4] == texts.WHY_USAGE
    assert HAPPY not in "\n".join(sent) and WIN not in "\n".join(sent)


async def test_without_a_store_commands_say_so_before_asking_telegram(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-310, admins={ADMIN})
    moodmoji = make_moodmoji(with_store=False)
    commands = [
        "/mood",
        "/optout",
        "/optout chat",  # not an admin: still "no store", and no getChatMember
        "/optin",
        "/forgetme",
        "/moodmoji mode off",
        "/moodmoji mode",
    ]
    async with running(fake, moodmoji):
        for count, command in enumerate(commands, 1):
            fake.send(-310, ALICE, command)
            await replies(fake, -310, count)
        news = fake.send(-310, ALICE, WIN)
        fake.send(-310, BOB, "/suggest", reply_to=news)  # suggestions follow the defaults
        await replies(fake, -310, len(commands) + 1)
    assert [m["text"] for m in fake.sent_messages(-310)] == [
        texts.MOOD_NO_STATS,
        *[texts.NO_STORE] * 5,
        texts.MODE_NOW.format(mode=RELAXED.mode),
        texts.SUGGESTIONS_HEAD,
    ]
    assert fake.calls("getChatMember") == []


async def test_a_store_that_cannot_be_read_gets_an_apology_and_no_reaction(
    fake: FakeBotAPI,
    make_moodmoji: MakeMoodmoji,
    store: SettingsStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.add_chat(-311, admins={ADMIN})
    moodmoji = make_moodmoji()
    store.close()  # every read and write fails from now on
    caplog.set_level(logging.INFO)
    commands = ["/mood", "/optout", "/optin", "/forgetme", "/moodmoji mode", "/moodmoji mode off"]
    async with running(fake, moodmoji) as app:
        for count, command in enumerate(commands, 1):
            fake.send(-311, ADMIN, command)
            await replies(fake, -311, count)
        news = fake.send(-311, BOB, HAPPY)  # opt-outs unreadable: not handled at all
        await settle(fake, app, moodmoji)
        fake.send(-311, BOB, "/suggest", reply_to=news)
        await replies(fake, -311, len(commands) + 1)
    assert [m["text"] for m in fake.sent_messages(-311)] == [texts.STORE_FAILED] * 7
    assert fake.calls("getChat") == [] and fake.reactions == {}
    assert moodmoji.stats.reactions.failed == 1
    for command in ["/mood", "/optout", "/optin", "/forgetme", "/moodmoji", "/suggest"]:
        assert f"telegram: {command} failed: the settings store is not available" in caplog.text
    assert HAPPY not in caplog.text
