"""The shipped multilingual bundle, as the bot built from the default config uses it."""

from __future__ import annotations

import pytest

from moodmoji.bot.config import default_config
from moodmoji.bot.core import MoodBot
from moodmoji.bot.messages import IncomingMessage, Platform
from moodmoji.bot.suggestions import ReplyBank
from moodmoji.inference.analyzer import Analyzer
from moodmoji.inference.brighter import EMOTIONS, predict_emotions
from moodmoji.inference.default_model import MULTILINGUAL_MODEL_DIR, resolve_multilingual_dir
from moodmoji.inference.engine import Engine
from moodmoji.inference.language import LanguageGuess
from moodmoji.inference.routing import RoutedAnalyzer

MESSAGES = {
    "ru": ("Мы сегодня выиграли финал, я так счастлива!", "joy"),
    "es": ("Mi abuela murió anoche, no puedo dejar de llorar", "sadness"),
    "de": ("Mein Hund ist heute gestorben. Ich kann nicht aufhören zu weinen.", "sadness"),
}


@pytest.fixture(scope="module")
def bot() -> MoodBot:
    return MoodBot.from_config(default_config(), keep_state=False)


def test_the_package_ships_a_multilingual_bundle() -> None:
    assert resolve_multilingual_dir(None) == MULTILINGUAL_MODEL_DIR
    engine = Engine.from_path(MULTILINGUAL_MODEL_DIR)
    heads = {h.name for h in engine.manifest.heads}
    assert {"brighter", "reaction", "trigger", "intent", "mood", "embedding"} <= heads


def test_the_bundle_names_its_own_caution_point_and_analyses_carry_it(bot: MoodBot) -> None:
    multilingual = Engine.from_path(MULTILINGUAL_MODEL_DIR)
    assert multilingual.manifest.caution == 0.3
    assert isinstance(bot.analyzer, RoutedAnalyzer)
    spanish, english = bot.analyzer.analyze(
        ["jajaja mi perro se comió el mando de la tele", "my dog ate the TV remote lol"]
    )
    assert (spanish.caution, english.caution) == (0.3, None)  # the default keeps the bot's


@pytest.mark.parametrize("language", sorted(MESSAGES))
def test_moods_reactions_and_replies_in_the_message_language(bot: MoodBot, language: str) -> None:
    text, mood = MESSAGES[language]
    message = IncomingMessage(Platform.GENERIC, "chat", "1", "user", text)
    decision = bot.decide(message, explicit=True, suggest=True)

    assert isinstance(bot.analyzer, RoutedAnalyzer)
    assert decision.language == language
    assert decision.mood == mood
    assert decision.reactions, decision.why
    bank = {reply.text for reply in ReplyBank.load_languages()[language].replies}
    assert decision.suggestions and {s.text for s in decision.suggestions} <= bank


def test_sad_news_gets_no_playful_reaction(bot: MoodBot) -> None:
    message = IncomingMessage(Platform.GENERIC, "chat", "2", "user", MESSAGES["es"][0])
    decision = bot.decide(message, explicit=True)
    assert not {r.emoji for r in decision.reactions} & {"😂", "🤣", "🎉", "🥳", "💀"}


def test_the_multilingual_bundle_can_be_turned_off() -> None:
    config = default_config()
    off = config.model_copy(
        update={"model": config.model.model_copy(update={"multilingual": False})}
    )
    bot = MoodBot.from_config(off, keep_state=False)
    assert not isinstance(bot.analyzer, RoutedAnalyzer)
    message = IncomingMessage(Platform.GENERIC, "chat", "3", "user", MESSAGES["ru"][0])
    decision = bot.decide(message, explicit=True, suggest=True)
    assert decision.language == "ru" and not decision.suggestions


def test_emotions_are_read_by_the_head_of_the_message_language() -> None:
    engine = Engine.from_path(MULTILINGUAL_MODEL_DIR)
    brighter = engine.manifest.head("brighter")
    assert {"de", "es", "pt", "ru", "uk", "zh"} <= set(brighter.by_language)
    analyzer = Analyzer.from_engine(engine)
    text = MESSAGES["de"][0]
    (analysis,) = analyzer.analyze([text], [LanguageGuess("de", 1.0)])
    (raw,) = engine.predict([text])
    german = raw[brighter.by_language["de"]]
    assert analysis.prediction["brighter"].predicted == german.predicted
    assert "sadness" in german.predicted
    assert set(analysis.prediction.heads) == {h.name for h in engine.manifest.heads} - set(
        brighter.by_language.values()
    )


def test_eval_brighter_reads_the_emotion_head_not_the_mood_head(bot: MoodBot) -> None:
    # The bundle's learned mood head names the six emotions too (among eight moods); BRIGHTER is
    # answered by the brighter head, as read for the message's language.
    text = MESSAGES["de"][0]
    analyzer = bot.analyzer
    (analysis,) = analyzer.analyze([text])
    expected = analysis.prediction["brighter"].predicted
    (row,) = predict_emotions(analyzer, [text]).tolist()
    assert {e for e, on in zip(EMOTIONS, row, strict=True) if on} == set(expected)
