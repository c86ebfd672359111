"""Replies in the message's language: each language's reply bank, or none at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodmoji.bot.core import MoodBot
from moodmoji.bot.messages import IncomingMessage, Platform
from moodmoji.bot.suggestions import ReplyBank
from moodmoji.inference.analyzer import Analyzer
from moodmoji.inference.routing import RoutedAnalyzer

RU_BANK = [
    '{"text": "Поздравляю, это огромный успех!", "intent": "congratulate", "moods": ["joy"], '
    '"tone": "warm", "examples": '
    '["Я сдала экзамен!", "Меня взяли на работу", "Мы выиграли финал"]}',
    '{"text": "Ура, так рада за тебя 🎉", "intent": "celebrate", "moods": ["joy"], '
    '"tone": "playful", "examples": '
    '["Мы купили квартиру!", "У нас родилась дочка", "Я получила визу"]}',
    '{"text": "Держись, я рядом", "intent": "comfort", "moods": ["sadness", "fear"], '
    '"tone": "warm", "examples": '
    '["Мне так плохо сегодня", "Я боюсь операции", "Всё валится из рук"]}',
]


@pytest.fixture()
def bot(tmp_path: Path, tiny_bundle: Path, default_analyzer: Analyzer) -> MoodBot:
    bank = tmp_path / "ru.jsonl"
    bank.write_text("\n".join(RU_BANK) + "\n", encoding="utf-8")
    routed = RoutedAnalyzer(default_analyzer, Analyzer.from_path(tiny_bundle), {"ru", "ja"})
    return MoodBot.from_analyzer(routed, language_banks={"ru": ReplyBank.load(bank)})


def _ask(bot: MoodBot, text: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    message = IncomingMessage(Platform.GENERIC, "chat", "1", "user", text)
    decision = bot.decide(message, explicit=True, suggest=True)
    return (
        decision.language,
        tuple(s.text for s in decision.suggestions),
        tuple(f"{step.rule}: {step.detail}" for step in decision.why.steps),
    )


def test_a_russian_message_gets_russian_replies(bot: MoodBot) -> None:
    language, replies, _ = _ask(bot, "Мы сегодня выиграли финал, я так счастлива!")
    assert language == "ru"
    assert replies, "no suggestion for a Russian message with a Russian bank"
    russian = {line.split('"text": "')[1].split('"')[0] for line in RU_BANK}
    assert set(replies) <= russian


def test_a_language_without_a_bank_gets_no_suggestion(bot: MoodBot) -> None:
    language, replies, steps = _ask(bot, "今日は本当に楽しかった！みんなありがとう")
    assert language == "ja"
    assert replies == ()
    assert "language: no replies written in ja: no suggestions" in steps


def test_english_and_undetermined_keep_the_default_bank(bot: MoodBot) -> None:
    english = {reply.text for reply in ReplyBank.load().replies}
    language, replies, _ = _ask(bot, "I finally passed my driving test today!!")
    assert language == "en" and replies and set(replies) <= english
    language, _, steps = _ask(bot, "🎉🎉")
    assert language == "und"
    assert not any(step.startswith("language: no replies") for step in steps)


def test_a_plain_analyzer_builds_no_language_suggesters(default_analyzer: Analyzer) -> None:
    bot = MoodBot.from_analyzer(default_analyzer)
    assert bot.suggesters == {} and bot.reply_languages == ()


def test_a_language_bank_is_embedded_on_its_first_message(bot: MoodBot) -> None:
    assert bot.reply_languages == ("ru",)
    assert bot.suggesters == {}  # nothing embedded at start
    _ask(bot, "I finally passed my driving test today!!")
    assert bot.suggesters == {}
    _ask(bot, "Мы сегодня выиграли финал, я так счастлива!")
    assert list(bot.suggesters) == ["ru"]


def test_an_unsure_cyrillic_message_is_read_multilingual_and_gets_no_english_replies(
    tmp_path: Path, tiny_bundle: Path, default_analyzer: Analyzer
) -> None:
    bank = tmp_path / "ru.jsonl"
    bank.write_text("\n".join(RU_BANK) + "\n", encoding="utf-8")
    multilingual = Analyzer.from_path(tiny_bundle)
    routed = RoutedAnalyzer(default_analyzer, multilingual, {"ru", "uk"}, {"cyrillic"})
    bot = MoodBot.from_analyzer(routed, language_banks={"ru": ReplyBank.load(bank)})
    runs = multilingual.engine.runs

    language, replies, steps = _ask(bot, "хорошо")  # Russian or Ukrainian
    assert language == "und"
    assert multilingual.engine.runs == runs + 1  # read by the bundle that reads both
    assert replies == ()  # not English, and not a language of its own bank either
    assert "language: cyrillic text of no clear language: no suggestions" in steps
    language, replies, _ = _ask(bot, "ok thanks, see you tomorrow then")
    assert language == "en" and replies  # English keeps its replies
