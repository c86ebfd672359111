"""Language routing: each message analysed by the bundle of its language, in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodmoji.inference.analyzer import Analyzer
from moodmoji.inference.language import detect
from moodmoji.inference.routing import MULTILINGUAL_LANGUAGES, RoutedAnalyzer

TEXTS = [
    "I am so happy today, we finally won the final",
    "Мы сегодня выиграли финал, я так счастлива!",
    "😂😂",
    "Hoy es un día precioso para ir a la playa con los amigos",
    "ok",
    "Ich habe heute endlich meine Prüfung bestanden!",
]


@pytest.fixture()
def routed(tiny_bundle: Path) -> RoutedAnalyzer:
    return RoutedAnalyzer.from_analyzers(
        Analyzer.from_path(tiny_bundle), Analyzer.from_path(tiny_bundle)
    )


def test_each_message_goes_to_the_bundle_of_its_language(routed: RoutedAnalyzer) -> None:
    analyses = routed.analyze(TEXTS)

    assert [a.language.code for a in analyses] == [detect(t).code for t in TEXTS]
    assert [a.language.code for a in analyses] == ["en", "ru", "und", "es", "und", "de"]
    # one run on each bundle for the whole batch
    assert routed.primary.engine.runs >= 1 and routed.multilingual.engine.runs >= 1
    primary = Analyzer.from_path(routed.primary.engine.bundle.path)
    for text, analysis in zip(TEXTS, analyses, strict=True):
        alone = primary.analyze([text])[0]  # same tiny bundle: same numbers either way
        assert analysis.prediction == alone.prediction


def test_routing_counts_runs_per_bundle(tiny_bundle: Path) -> None:
    primary, multilingual = Analyzer.from_path(tiny_bundle), Analyzer.from_path(tiny_bundle)
    routed = RoutedAnalyzer(primary, multilingual, {"ru", "es"})

    routed.analyze(["hello there my friends, how are you"])
    assert (primary.engine.runs, multilingual.engine.runs) == (1, 0)
    routed.analyze(["Привет всем, как у вас дела сегодня?"])
    assert (primary.engine.runs, multilingual.engine.runs) == (1, 1)
    routed.analyze(["Ich habe heute endlich meine Prüfung bestanden!"])  # not routed: German
    assert (primary.engine.runs, multilingual.engine.runs) == (2, 1)


def test_analyzer_for_names_the_reader(routed: RoutedAnalyzer) -> None:
    assert routed.analyzer_for("ru") is routed.multilingual
    assert routed.analyzer_for("en") is routed.primary
    assert routed.analyzer_for("und") is routed.primary
    assert routed.analyzer_for("sw") is routed.primary  # a language no bundle of ours reads
    plain = routed.primary
    assert plain.analyzer_for("ru") is plain


def test_the_routed_languages_cover_the_reply_banks() -> None:
    banks = {p.stem for p in (Path(__file__).parents[2] / "bot/data/reply_banks").glob("*.jsonl")}
    assert banks <= MULTILINGUAL_LANGUAGES
    assert "en" not in MULTILINGUAL_LANGUAGES


def test_empty_and_odd_batches(routed: RoutedAnalyzer) -> None:
    assert routed.analyze([]) == []
    odd = ["", "\x00\x01", "🙂" * 500, "a" * 10_000]
    analyses = routed.analyze(odd)
    assert len(analyses) == len(odd)
    assert all(not a.language.known for a in analyses[:3])


def test_a_multilingual_bundle_is_loaded_on_first_use(tiny_bundle: Path) -> None:
    loads: list[int] = []

    def load() -> Analyzer:
        loads.append(1)
        return Analyzer.from_path(tiny_bundle)

    routed = RoutedAnalyzer(Analyzer.from_path(tiny_bundle), load, {"ru"})
    routed.analyze(["hello there my friends, how are you"])
    assert not routed.multilingual_loaded and loads == []
    routed.analyze(["Привет всем, как у вас дела сегодня?"] * 3)
    assert routed.multilingual_loaded and loads == [1]
    routed.analyze(["Привет всем, как у вас дела сегодня?"])
    assert loads == [1]


def test_a_broken_multilingual_bundle_leaves_every_language_to_the_default(
    tiny_bundle: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "multilingual"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json", encoding="utf-8")
    routed = RoutedAnalyzer(
        Analyzer.from_path(tiny_bundle), lambda: Analyzer.from_path(broken), {"ru"}
    )
    (analysis,) = routed.analyze(["Привет всем, как у вас дела сегодня?"])
    assert analysis.language.code == "ru"
    assert routed.analyzer_for("ru") is routed.primary
    assert str(broken / "manifest.json") in caplog.text
    assert "Привет" not in caplog.text


def test_an_undetermined_message_in_a_script_english_is_not_written_in_goes_multilingual(
    tiny_bundle: Path,
) -> None:
    primary, multilingual = Analyzer.from_path(tiny_bundle), Analyzer.from_path(tiny_bundle)
    routed = RoutedAnalyzer.from_analyzers(primary, multilingual)
    unsure = "хорошо"  # Russian or Ukrainian: too close to tell in one word
    short = "Ура"  # too short to read at all, but Cyrillic
    guesses = [detect(unsure), detect(short)]
    assert [g.code for g in guesses] == ["und", "und"]
    assert [g.script for g in guesses] == ["cyrillic", "cyrillic"]

    analyses = routed.analyze([unsure, short])
    assert (primary.engine.runs, multilingual.engine.runs) == (0, 1)
    assert [a.language for a in analyses] == guesses
    assert routed.analyzer_for(guesses[0]) is multilingual
    assert routed.reads(guesses[1])


def test_undetermined_latin_emoji_and_empty_messages_stay_with_the_default(
    tiny_bundle: Path,
) -> None:
    primary, multilingual = Analyzer.from_path(tiny_bundle), Analyzer.from_path(tiny_bundle)
    routed = RoutedAnalyzer.from_analyzers(primary, multilingual)
    texts = ["ok", "lol", "😂😂", "", "https://example.com", "ciao ciao"]
    guesses = [detect(t) for t in texts]
    assert not any(g.known for g in guesses)

    routed.analyze(texts)
    assert (primary.engine.runs, multilingual.engine.runs) == (1, 0)
    assert not any(routed.reads(g) for g in guesses)
    # a code alone still routes as before
    assert routed.reads("ru") and not routed.reads("und")
