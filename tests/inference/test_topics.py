"""The topical matcher and its calibrated gate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moodmoji.inference.engine import Engine
from moodmoji.inference.errors import InferenceError
from moodmoji.inference.topics import (
    GATE_FILE,
    CalibrationExample,
    TopicGate,
    TopicMatcher,
    calibrate,
    fit_gate,
    read_calibration,
)
from moodmoji.inference.vocabulary import EmojiVocabulary


@pytest.fixture(scope="module")
def vocabulary() -> EmojiVocabulary:
    return EmojiVocabulary.load()


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def test_fit_gate_separates_right_from_wrong_matches() -> None:
    rng = np.random.default_rng(0)
    right = np.column_stack([rng.normal(0.65, 0.05, 200), rng.normal(0.25, 0.05, 200)])
    wrong = np.column_stack([rng.normal(0.35, 0.05, 400), rng.normal(0.03, 0.03, 400)])
    features = np.vstack([right, wrong]).astype(np.float32)
    labels = np.array([True] * 200 + [False] * 400)
    gate = fit_gate(features, labels)
    assert gate.probability(0.7, 0.3) > 0.9
    assert gate.probability(0.3, 0.02) < 0.1
    # Calibrated: the mean predicted probability matches the share of right samples.
    predicted = np.array([gate.probability(c, m) for c, m in features])
    assert predicted.mean() == pytest.approx(labels.mean(), abs=0.03)


def test_matcher_admits_a_standout_match_and_rejects_a_weak_one(
    vocabulary: EmojiVocabulary,
) -> None:
    rng = np.random.default_rng(1)
    vectors = np.vstack([_unit(rng.normal(size=16)) for _ in vocabulary])
    matcher = TopicMatcher(vocabulary, vectors, TopicGate())
    pizza = next(i for i, e in enumerate(vocabulary) if e.emoji == "🍕")
    close = _unit(vectors[pizza] + 0.3 * _unit(rng.normal(size=16)))
    (match, *_) = matcher.candidates(close)
    assert match.emoji == "🍕" and match.probability > 0.5
    weak = _unit(rng.normal(size=16))  # near nothing in particular
    assert matcher.candidates(weak) == ()


def test_gate_round_trips_through_the_bundle(tmp_path: Path) -> None:
    gate = TopicGate(bias=-3.0, cosine_weight=4.0, margin_weight=9.0, min_probability=0.6)
    gate.write(tmp_path)
    assert TopicGate.for_bundle(tmp_path) == gate
    assert TopicGate.for_bundle(tmp_path / "elsewhere") == TopicGate()
    (tmp_path / GATE_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(InferenceError, match=GATE_FILE):
        TopicGate.for_bundle(tmp_path)


def test_shipped_calibration_set_reads_and_names_vocabulary_emoji(
    vocabulary: EmojiVocabulary,
) -> None:
    examples = read_calibration()
    assert len(examples) >= 200
    topical = [e for e in examples if e.emoji]
    assert len(topical) >= 100 and len(examples) - len(topical) >= 60
    assert all(emoji in vocabulary for e in topical for emoji in e.emoji)


def test_calibration_file_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cal.jsonl"
    path.write_text(json.dumps({"text": "pizza", "emoji": ["🍕"]}) + "\n{oops\n", "utf-8")
    with pytest.raises(InferenceError, match="line 2"):
        read_calibration(path)
    with pytest.raises(InferenceError, match="not found"):
        read_calibration(tmp_path / "missing.jsonl")


def test_calibrate_runs_on_a_real_bundle(tiny_bundle: Path, vocabulary: EmojiVocabulary) -> None:
    engine = Engine.from_path(tiny_bundle)
    examples = [
        CalibrationExample("so happy we won", frozenset({"🏆"})),
        CalibrationExample("the meeting moved to 3pm", frozenset()),
        CalibrationExample("thanks so much for the gift", frozenset({"🎁"})),
        CalibrationExample("ok", frozenset()),
    ] * 3
    gate, report = calibrate(engine, vocabulary, examples)
    assert report.examples == len(examples)
    assert 0.0 <= report.precision <= 1.0 and 0.0 <= report.false_admission <= 1.0
    assert isinstance(gate, TopicGate)
