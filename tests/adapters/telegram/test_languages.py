"""Answers in the user's language (Telegram's ``language_code``), end to end with real PTB."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moodmoji.adapters.common import answers
from moodmoji.adapters.common.i18n import LANGUAGES, texts_for
from moodmoji.adapters.telegram import TelegramMoodmoji, texts
from moodmoji.adapters.telegram.command import _announce_commands
from moodmoji.adapters.telegram.plugin import COMMANDS
from moodmoji.bot.messages import IncomingMessage, Platform
from moodmoji.bot.store import SettingsStore
from tests.adapters.telegram.fake_bot_api import FakeBotAPI
from tests.adapters.telegram.harness import WIN, limited_application, running

MakeMoodmoji = Callable[..., TelegramMoodmoji]

IVAN, KLAUS, YUKI, ANNA, JOAO = 631, 632, 633, 634, 635
RU, DE, EN = texts_for("ru"), texts_for("de"), texts_for("en")


async def replies(fake: FakeBotAPI, chat_id: int, count: int) -> list[str]:
    """The texts of the bot's first ``count`` messages in the chat (waits for them)."""
    await fake.wait_for(
        lambda: len(fake.sent_messages(chat_id)) >= count, what=f"{count} replies in {chat_id}"
    )
    return [m["text"] for m in fake.sent_messages(chat_id)]


def decided(moodmoji: TelegramMoodmoji, text: str) -> Any:
    message = IncomingMessage(Platform.TELEGRAM, "0", "0", "1", text)
    return moodmoji.moodbot.decide(message, explicit=True)


async def test_mood_is_answered_in_russian_to_a_russian_client(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, store: SettingsStore
) -> None:
    fake.add_chat(-640)
    fake.add_chat(-641)
    fake.user(IVAN, language_code="ru")
    fake.user(YUKI, language_code="ja")
    store.record_mood("telegram", -640, "joy", count=3)
    store.record_mood("telegram", -640, "sadness", count=2)
    moodmoji = make_moodmoji()
    expected = answers.mood_text(decided(moodmoji, WIN), tx=RU)
    async with running(fake, moodmoji):
        fake.send(-640, IVAN, "/mood")
        await replies(fake, -640, 1)
        fake.send(-640, YUKI, "/mood")  # a language without a catalogue: English
        await replies(fake, -640, 2)
        news = fake.send(-641, ANNA, WIN)
        fake.send(-641, IVAN, "/mood", reply_to=news)
        await replies(fake, -641, 1)
    russian, english = await replies(fake, -640, 2)
    assert russian.splitlines()[0] == "Настроение этого чата за последние 7 дней (5 сообщений):"
    assert russian.splitlines()[1].startswith("радость")
    assert russian.splitlines()[2].startswith("грусть")
    counts = {"2026-12-01": {"joy": 3, "sadness": 2}}
    assert russian == answers.mood_counts_text(counts, days=7, tx=RU)
    assert english == answers.mood_counts_text(counts, days=7)
    assert english.startswith("Mood of this chat over the last 7 days (5 messages):")
    (of_message,) = await replies(fake, -641, 1)
    assert of_message == expected
    assert of_message.startswith("Настроение: радость ")  # WIN's leading mood is joy


async def test_regional_codes_fall_back_to_their_language_and_unknown_ones_to_english(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-642)
    fake.user(KLAUS, language_code="de-AT")
    fake.user(YUKI, language_code="ja")
    fake.user(JOAO, language_code="pt-br")
    # ANNA's client did not say (no language_code at all)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji):
        for count, user in enumerate((KLAUS, YUKI, JOAO, ANNA), 1):
            fake.send(-642, user, "/why")
            await replies(fake, -642, count)
        fake.send(-642, KLAUS, "/moodmoji mode")
        sent = await replies(fake, -642, 5)
    assert sent[:4] == [
        DE.text("telegram.why_usage"),
        texts.WHY_USAGE,
        texts_for("pt").text("telegram.why_usage"),
        texts.WHY_USAGE,
    ]
    assert sent[0].startswith("Antworte mit /why")
    assert sent[4] == DE.text("telegram.mode_now", mode="both")
    assert sent[4].startswith("moodmojis Modus in diesem Chat: both.")


async def test_privacy_commands_and_suggestions_follow_each_users_language(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-643)
    fake.user(IVAN, language_code="ru")
    fake.user(KLAUS, language_code="de")
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji):
        fake.send(-643, IVAN, "/optout")
        await replies(fake, -643, 1)
        fake.send(-643, IVAN, "/forgetme")
        await replies(fake, -643, 2)
        news = fake.send(-643, ANNA, WIN)
        fake.send(-643, IVAN, "/suggest", reply_to=news)
        await replies(fake, -643, 3)
        keyboard_message = max(k[1] for k in fake.messages if k[0] == -643)
        sent = fake.sent_messages(-643)
        dismiss = sent[2]["reply_markup"]["inline_keyboard"][-1][0]
        fake.press(-643, keyboard_message, KLAUS, dismiss["callback_data"])  # not his
        await fake.wait_for(lambda: len(fake.calls("answerCallbackQuery")) == 1)
    opted, forgot, suggested = (m["text"] for m in sent[:3])
    assert opted == RU.text("common.opt_out_user")
    assert opted.startswith("Готово: moodmoji больше не будет читать")
    assert forgot == "Удалено: 1 отказ. " + RU.text("common.forget_user_note")
    assert suggested == RU.text("telegram.suggestions_head")
    assert dismiss["text"] == "✖ Скрыть"
    alert = fake.calls("answerCallbackQuery")[0].params
    assert alert["text"] == DE.text("telegram.dismiss_not_yours")  # the presser's language


async def test_the_command_menu_is_registered_in_every_language(fake: FakeBotAPI) -> None:
    async with limited_application(fake) as application:
        await _announce_commands(application)
    menus = fake.commands_by_language
    assert set(menus) == {""} | {language for language in LANGUAGES if language != "en"}
    assert fake.commands == [{"command": n, "description": d} for n, d in COMMANDS.items()]
    assert texts.command_descriptions() == COMMANDS  # the English menu is the catalogue's
    for language, menu in menus.items():
        tx = texts_for(language or "en")
        assert [c["command"] for c in menu] == list(COMMANDS)  # names are never translated
        assert [c["description"] for c in menu] == list(texts.command_descriptions(tx).values())
    assert menus["ru"][0]["description"] == "ответом на сообщение: варианты ответа"
