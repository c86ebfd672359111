"""Language heads: a head that answers in another head's place for messages in one language."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from moodmoji.inference.analyzer import Analyzer
from moodmoji.inference.bundle import ModelBundle
from moodmoji.inference.errors import BundleError
from moodmoji.inference.language import LanguageGuess
from tests.inference.tiny_bundle import build_tiny_bundle

HAPPY = "I am so happy today, yay we won!"
GERMAN = LanguageGuess("de", 0.99)
ENGLISH = LanguageGuess("en", 0.99)


def _with_language_head(bundle: Path, edit: Any = None) -> Path:
    """Gives the tiny bundle's ``tags`` head a German head on the same output, stricter cuts."""
    path = bundle / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    tags = next(h for h in manifest["heads"] if h["name"] == "tags")
    german = {**tags, "name": "tags.de", "thresholds": [0.999] * len(tags["labels"])}
    tags["by_language"] = {"de": "tags.de"}
    manifest["heads"].insert(2, german)
    if edit is not None:
        edit(manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")
    return bundle


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> Analyzer:
    bundle = build_tiny_bundle(tmp_path_factory.mktemp("language-heads") / "tiny")
    return Analyzer.from_path(_with_language_head(bundle))


def test_the_language_head_answers_for_its_language(analyzer: Analyzer) -> None:
    english, german = analyzer.analyze([HAPPY, HAPPY], [ENGLISH, GERMAN])
    assert "excitement" in english.prediction["tags"].predicted
    assert german.prediction["tags"].predicted == ()  # read with the German head's thresholds
    assert german.prediction["tags"].head == "tags"
    # The same scores either way: the German head reads the same output here.
    english_scores = english.prediction["tags"].probabilities
    german_scores = german.prediction["tags"].probabilities
    assert english_scores is not None and german_scores is not None
    assert np.array_equal(english_scores, german_scores)


def test_an_unsure_guess_reads_the_head_of_its_likeliest_language(analyzer: Analyzer) -> None:
    unsure = LanguageGuess("und", 0.7, "low confidence", "latin", likely="de")
    too_short = LanguageGuess("und", 0.0, "too short", "latin")
    leaning, plain = analyzer.analyze([HAPPY, HAPPY], [unsure, too_short])
    assert leaning.prediction["tags"].predicted == ()  # the German head's thresholds
    assert "excitement" in plain.prediction["tags"].predicted  # the shared head
    assert leaning.language == unsure  # the guess itself stays undetermined


def test_language_heads_are_read_only_through_their_head(analyzer: Analyzer) -> None:
    for analysis in analyzer.analyze([HAPPY, HAPPY, HAPPY], [ENGLISH, GERMAN, None]):  # type: ignore[list-item]
        assert "tags.de" not in analysis.prediction.heads
        assert set(analysis.prediction.heads) == {"emotion", "tags", "embedding"}


def test_an_unidentified_message_is_identified_before_the_heads_are_read(
    analyzer: Analyzer,
) -> None:
    (analysis,) = analyzer.analyze(["Ich bin heute so glücklich, wir haben gewonnen!"])
    assert analysis.language.code == "de"
    assert analysis.prediction["tags"].predicted == ()


def test_the_manifest_lists_the_language_heads(analyzer: Analyzer) -> None:
    manifest = analyzer.engine.manifest
    assert manifest.language_heads == frozenset({"tags.de"})
    assert manifest.heads_for("de") == {"tags": "tags.de"}
    assert manifest.heads_for("fr") == {}


def _heads(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {h["name"]: h for h in manifest["heads"]}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda m: _heads(m)["tags"].update(by_language={"de": "tags.fr"}), "no head is called"),
        (lambda m: _heads(m)["tags"].update(by_language={"de": "tags"}), "cannot itself name"),
        (
            lambda m: _heads(m)["tags.de"].update(by_language={"fr": "tags"}),
            "cannot itself name",
        ),
        (lambda m: _heads(m)["tags"].update(by_language={"": "tags.de"}), "non-empty word"),
        (
            lambda m: _heads(m)["emotion"].update(by_language={"de": "tags.de"}),
            "same kind and labels",
        ),
        (
            lambda m: _heads(m)["tags.de"].update(mood={"excitement": "joy"}),
            "no mood or emoji map",
        ),
    ],
)
def test_broken_language_heads_are_named(bundle_copy: Path, edit: Any, expected: str) -> None:
    _with_language_head(bundle_copy, edit)
    with pytest.raises(BundleError) as caught:
        ModelBundle.load(bundle_copy)
    assert caught.value.path.name == "manifest.json"
    assert expected in str(caught.value)
