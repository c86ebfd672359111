"""The message catalogues: complete in every language, plural forms, language codes, fallbacks."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from moodmoji.adapters.common import answers
from moodmoji.adapters.common.i18n import (
    LANGUAGES,
    LOCALES_DIR,
    PLURAL_CATEGORIES,
    Catalogue,
    CatalogueError,
    language_of,
    load_messages,
    placeholders,
    plural_category,
    texts_for,
)
from moodmoji.bot.decision import Candidate, Decision, Explanation, Reaction, Step, Tag
from moodmoji.bot.store import DeletionReport

ENGLISH = load_messages("en")
OTHERS = [language for language in LANGUAGES if language != "en"]
#: What must come through translation untouched: commands, their arguments, Discord's intent.
KEPT = re.compile(r"/[a-z]+|react\|suggest\|both\|off|MESSAGE_CONTENT")


def forms(value: str | dict[str, str]) -> list[str]:
    return list(value.values()) if isinstance(value, dict) else [value]


def test_there_is_one_catalogue_per_language_and_nothing_else() -> None:
    assert sorted(p.stem for p in LOCALES_DIR.glob("*.json")) == sorted(LANGUAGES)
    for language in LANGUAGES:  # plain JSON, UTF-8, no duplicate ids
        pairs = json.loads(
            (LOCALES_DIR / f"{language}.json").read_text(encoding="utf-8"),
            object_pairs_hook=lambda items: [key for key, _ in items],
        )
        assert len(pairs) == len(set(pairs)), language


@pytest.mark.parametrize("language", OTHERS)
def test_every_language_has_every_message_with_the_same_placeholders(language: str) -> None:
    messages = load_messages(language)
    assert set(messages) == set(ENGLISH), language
    for key, english in ENGLISH.items():
        translated = messages[key]
        assert isinstance(translated, dict) == isinstance(english, dict), key
        wanted = set().union(*(placeholders(f) for f in forms(english)))
        for text in forms(translated):
            assert text.strip(), key
            found = placeholders(text)
            if isinstance(english, dict):  # a plural form may leave {count} out ("last day")
                assert found - {"count"} == wanted - {"count"}, (key, text)
            else:
                assert found == wanted, (key, text)
            kept = sorted(KEPT.findall(text))
            assert kept == sorted(KEPT.findall(forms(english)[-1])), (key, text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_messages_have_exactly_the_languages_forms(language: str) -> None:
    plurals = {k: v for k, v in load_messages(language).items() if isinstance(v, dict)}
    assert set(plurals) == {k for k, v in ENGLISH.items() if isinstance(v, dict)}
    for key, value in plurals.items():
        assert set(value) == PLURAL_CATEGORIES[language], (language, key)


@pytest.mark.parametrize("language", OTHERS)
def test_translations_are_translated_and_fit_the_platforms_limits(language: str) -> None:
    messages = load_messages(language)
    same = [
        key
        for key, text in messages.items()
        if text == ENGLISH[key] and isinstance(text, str) and len(text) > 12
    ]
    assert same == [], f"{language}: still English"
    for key, text in messages.items():
        if key.startswith(("discord.command.", "discord.param.")):
            assert isinstance(text, str) and len(text) <= 100, key  # Discord's descriptions
        elif key == "discord.menu.suggest":
            assert isinstance(text, str) and len(text) <= 32  # a context menu's name
        elif key.startswith("telegram.command."):
            assert isinstance(text, str) and len(text) <= 256  # BotCommand.description


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("ru", "ru"),
        ("RU", "ru"),
        ("pt-BR", "pt"),
        ("pt-br", "pt"),
        ("pt_BR", "pt"),
        ("es-419", "es"),
        ("es-ES", "es"),
        ("de-AT", "de"),
        ("uk", "uk"),
        ("sv-SE", "en"),
        ("en-GB", "en"),
        ("en-US", "en"),
        ("zh-CN", "en"),
        ("ja", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_codes_of_telegram_and_discord_map_to_a_catalogue_language(
    code: str | None, language: str
) -> None:
    assert language_of(code) == language
    assert texts_for(code).language == language


def test_plural_rules_follow_cldr() -> None:
    slavic = {1: "one", 2: "few", 4: "few", 5: "many", 11: "many", 12: "many", 14: "many"}
    slavic |= {21: "one", 22: "few", 25: "many", 101: "one", 111: "many", 112: "many"}
    for n, category in slavic.items():
        assert plural_category("ru", n) == category, n
        assert plural_category("uk", n) == category, n
    polish = {1: "one", 2: "few", 5: "many", 12: "many", 21: "many", 22: "few", 0: "many"}
    for n, category in polish.items():
        assert plural_category("pl", n) == category, n
    assert [plural_category("fr", n) for n in (0, 1, 2)] == ["one", "one", "other"]
    assert [plural_category("pt", n) for n in (0, 1, 2)] == ["one", "one", "other"]
    assert [plural_category("en", n) for n in (0, 1, 2)] == ["other", "one", "other"]


def test_plural_messages_pick_the_right_form() -> None:
    ru, pl, en = texts_for("ru"), texts_for("pl"), texts_for("en")
    shown = [ru.plural("common.messages", n) for n in (1, 3, 5, 21)]
    assert shown == ["1 сообщение", "3 сообщения", "5 сообщений", "21 сообщение"]
    shown = [pl.plural("common.opt_outs", n) for n in (1, 2, 5, 22)]
    assert shown == ["1 rezygnacja", "2 rezygnacje", "5 rezygnacji", "22 rezygnacje"]
    assert [en.plural("common.messages", n) for n in (1, 2)] == ["1 message", "2 messages"]


def test_a_missing_or_broken_translation_falls_back_to_english(
    caplog: pytest.LogCaptureFixture,
) -> None:
    english = texts_for("en")
    sparse = Catalogue("de", {"telegram.busy": "Beschäftigt."}, english)
    assert sparse.text("telegram.busy") == "Beschäftigt."
    assert sparse.text("telegram.not_admin") == english.text("telegram.not_admin")
    assert sparse.plural("common.messages", 2) == "2 messages"
    broken = Catalogue("de", {"telegram.mode_set": "Modus {modus}", "common.messages": {}}, english)
    with caplog.at_level(logging.WARNING):
        assert broken.text("telegram.mode_set", mode="secret-value") == english.text(
            "telegram.mode_set", mode="secret-value"
        )
    assert "telegram.mode_set" in caplog.text and "secret-value" not in caplog.text
    with pytest.raises(KeyError):
        english.text("no.such.message")


def test_a_malformed_catalogue_is_refused_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "xx.json").write_text('{"a": 3}', encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"xx\.json"):
        load_messages("xx", tmp_path)
    with pytest.raises(CatalogueError, match="cannot read"):
        load_messages("yy", tmp_path)


def test_labels_and_percentages_are_written_as_each_language_writes_them() -> None:
    assert texts_for("ru").label("joy") == "радость"
    assert texts_for("de").label("sadness") == "Traurigkeit"
    assert texts_for("ru").label("my-own-label") == "my-own-label"
    assert texts_for("en").percent(0.87) == "87%"
    assert texts_for("fr").percent(0.87) == "87\u202f%"
    assert texts_for("tr").percent(0.87) == "%87"
    assert texts_for("ru").percent(0.094) == "9\u00a0%"


def decision() -> Decision:
    return Decision(
        reactions=(Reaction("🎉", 0.8),),
        moods=(Tag("joy", 0.87), Tag("love", 0.09), Tag("anger", 0.01)),
        emotions=(Tag("excitement", 0.7),),
        why=Explanation(
            candidates=(Candidate("🎉", 0.81), Candidate("👏", 0.4)),
            thresholds={"reaction": 0.65},
            steps=(Step("confidence-gate", "🎉 clears 0.65"),),
        ),
    )


def test_answers_in_english_keep_the_cores_own_lines() -> None:
    lines = answers.why_text(decision(), remembered=True).splitlines()
    assert lines[:3] == [
        "When this message arrived:",
        "reaction: 🎉",
        answers.mood_text(decision()),
    ]
    assert lines[3:] == decision().why.lines()
    assert answers.forget_text(DeletionReport(0, 1, 0), user=True).startswith("Deleted 1 opt-out.")
    report = DeletionReport(2, 0, 5)
    text = "Deleted 2 chat settings, 5 daily mood counts."
    assert answers.forget_text(report, user=False) == text
    assert answers.mood_counts_text({}, days=1) == "No moods counted in this chat today."
    skipped = Decision.skip("opt-out", "the author opted out")
    assert answers.mood_text(skipped) == "The author opted out."


def test_answers_in_russian() -> None:
    ru = texts_for("ru")
    assert answers.mood_text(decision(), tx=ru) == (
        "Настроение: радость 87\u00a0%, любовь 9\u00a0% · воодушевление"
    )
    lines = answers.why_text(decision(), remembered=False, tx=ru).splitlines()
    assert lines[:2] == ["Если посмотреть на это сообщение сейчас:", "реакция: 🎉"]
    assert lines[3:] == [
        "кандидаты: 🎉 0.81, 👏 0.40",
        "пороги: reaction 0.65",
        "confidence-gate: 🎉 clears 0.65",  # the core's rule lines stay as they are
    ]
    text = answers.mood_counts_text({"d1": {"joy": 21}, "d2": {"neutral": 1}}, days=2, tx=ru)
    head, joy, neutral = text.splitlines()
    assert head == "Настроение этого чата за последние 2 дня (22 сообщения):"
    assert joy.startswith("радость ") and joy.endswith("95\u00a0%")
    assert neutral.startswith("нейтрально ") and joy.index("█") == neutral.index("█")
    assert answers.forget_text(DeletionReport(1, 2, 5), user=False, tx=ru) == (
        "Удалено: 1 настройка чата, 2 отказа, 5 дневных подсчётов настроения."
    )
    skips = [
        (
            Decision.skip("opt-out", "the author opted out; the message was not analysed"),
            "Автор отказался от анализа; сообщение не анализировалось.",
        ),
        (
            Decision.skip("opt-out", "this chat opted out; the message was not analysed"),
            "Этот чат отказался от анализа; сообщение не анализировалось.",
        ),
        (
            Decision.skip("mode-off", "moodmoji is off in this chat"),
            "Moodmoji выключен в этом чате.",
        ),
        (Decision.skip("something-new", "a rule of the future"), "A rule of the future."),
        (Decision(skipped="ignored"), "Это сообщение не анализировалось."),
    ]
    for skipped, wanted in skips:
        assert answers.mood_text(skipped, tx=ru) == wanted
