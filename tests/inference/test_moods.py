"""Mood fusion from the emotion heads of a bundle (hand-built predictions)."""

from __future__ import annotations

import pytest

from moodmoji.inference.manifest import HeadKind, HeadSpec, Manifest
from moodmoji.inference.moods import MoodFusion
from moodmoji.inference.vocabulary import MOODS
from tests.inference.predictions import default_like_manifest, prediction


def test_shares_cover_all_moods_and_sum_to_one() -> None:
    moods = MoodFusion(default_like_manifest()).fuse(
        prediction({"joy": 0.8}, {"joy": 0.9, "love": 0.1})
    )
    assert {m.mood for m in moods} == set(MOODS)
    assert sum(m.score for m in moods) == pytest.approx(1.0, abs=1e-5)
    assert [m.score for m in moods] == sorted((m.score for m in moods), reverse=True)
    assert moods[0].mood == "joy"


def test_neutral_comes_only_from_heads_with_a_neutral_label() -> None:
    fusion = MoodFusion(default_like_manifest())
    moods = fusion.fuse(prediction({"neutral": 0.9}, {"joy": 0.6, "surprise": 0.4}))
    shares = {m.mood: m.score for m in moods}
    assert moods[0].mood == "neutral"
    # GoEmotions' vote: neutral 0.9 against 7 other moods at 0.01 -> neutral share ~0.93.
    assert shares["neutral"] == pytest.approx(0.9 / (0.9 + 0.07), abs=1e-3)
    # The emotion head (no neutral label) still shapes the emotional remainder.
    assert shares["joy"] > shares["anger"]


def test_heads_agreeing_on_sadness_lead_to_sadness() -> None:
    moods = MoodFusion(default_like_manifest()).fuse(
        prediction({"grief": 0.7, "sadness": 0.6}, {"sadness": 0.95, "fear": 0.05})
    )
    assert moods[0].mood == "sadness"
    assert moods[0].score > 0.6


def test_disgust_comes_from_goemotions_alone() -> None:
    moods = MoodFusion(default_like_manifest()).fuse(prediction({"disgust": 0.9}, {"anger": 1.0}))
    shares = {m.mood: m.score for m in moods}
    assert shares["disgust"] > 0.3
    assert shares["anger"] > 0.3


def test_bundle_without_mood_maps_gives_no_moods() -> None:
    manifest = Manifest(
        name="plain",
        inputs=("input_ids",),
        max_length=8,
        heads=(HeadSpec(name="x", output="x", kind=HeadKind.SOFTMAX, labels=("a", "b")),),
    )
    fusion = MoodFusion(manifest)
    assert not fusion.available
    assert fusion.fuse(prediction({}, {"joy": 1.0})) == ()
