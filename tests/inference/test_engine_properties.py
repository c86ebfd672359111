"""Properties of the engine and the analyzer on the real default model (reliability suite).

Batches of 1 to 16 arbitrary texts (see ``chat_texts``: every code point, zalgo, controls,
bidi overrides, ZWJ sequences, up to 20,000 characters, empty, whitespace-only) must never
raise and must give one well-formed result per text, in order. A text's result must never
depend on its batch-mates (the engine's contract, however it batches: one row at a time for the
dynamic-int8 graph today, maybe length buckets tomorrow).

Each batch is timed inside the test against a generous bound: a hang guard, not a benchmark.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from tokenizers import Tokenizer

from moodmoji.inference.analyzer import Analysis, Analyzer
from moodmoji.inference.engine import Engine
from moodmoji.inference.manifest import TOKENIZER_FILE, HeadKind
from moodmoji.inference.results import Prediction
from moodmoji.inference.vocabulary import MOODS
from tests.inference.test_hygiene_properties import PROPERTY, chat_batches

pytestmark = pytest.mark.reliability

ENGINE_EXAMPLES = 50
ANALYZER_EXAMPLES = 40
BATCH_MATE_EXAMPLES = 40
BATCH_SECONDS = 5.0  # a batch of 16 texts of 20,000 characters takes ~0.1 s on two cores
TOLERANCE = 1e-4  # on probabilities and embedding components, alone vs. inside a batch

ENGINE_PROPERTY = hypothesis_settings(PROPERTY, max_examples=ENGINE_EXAMPLES)
ANALYZER_PROPERTY = hypothesis_settings(PROPERTY, max_examples=ANALYZER_EXAMPLES)
BATCH_MATE_PROPERTY = hypothesis_settings(PROPERTY, max_examples=BATCH_MATE_EXAMPLES)


@pytest.fixture(scope="module")
def engine(default_analyzer: Analyzer) -> Engine:
    return default_analyzer.engine


@pytest.fixture(scope="module")
def full_tokenizer(engine: Engine) -> Tokenizer:
    """The bundle's tokenizer without truncation: how long a text really is."""
    tokenizer = Tokenizer.from_file(str(engine.bundle.path / TOKENIZER_FILE))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def timed_predict(engine: Engine, texts: Sequence[str]) -> list[Prediction]:
    started = time.perf_counter()
    predictions = engine.predict(texts)
    elapsed = time.perf_counter() - started
    assert elapsed < BATCH_SECONDS, f"a batch of {len(texts)} took {elapsed:.1f} s (hang guard)"
    return predictions


def check_prediction(engine: Engine, prediction: Prediction, true_length: int) -> None:
    manifest = engine.manifest
    assert list(prediction.heads) == [h.name for h in manifest.heads]
    assert 1 <= prediction.tokens <= manifest.max_length
    assert prediction.truncated == (true_length > manifest.max_length)
    assert prediction.tokens == min(true_length, manifest.max_length)
    for head in manifest.heads:
        result = prediction[head.name]
        assert result.head == head.name and result.kind is head.kind
        if head.kind is HeadKind.EMBEDDING:
            vector = result.embedding
            assert vector is not None and vector.ndim == 1
            assert np.all(np.isfinite(vector))
            assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3
            continue
        probs = result.probabilities
        assert probs is not None and probs.shape == (len(head.labels),)
        assert np.all(np.isfinite(probs))
        assert np.all((probs >= 0.0) & (probs <= 1.0))
        assert set(result.predicted) <= set(head.labels)
        assert len(set(result.predicted)) == len(result.predicted)
        if head.kind is HeadKind.SOFTMAX:
            assert abs(float(probs.sum()) - 1.0) < 1e-4
            assert len(result.predicted) == 1
            assert result.score_of(result.predicted[0]) == pytest.approx(float(probs.max()))
        else:
            assert head.thresholds is not None
            over = {
                label
                for label, p, t in zip(head.labels, probs, head.thresholds, strict=True)
                if p >= t
            }
            assert set(result.predicted) == over
            scores = [result.score_of(label) for label in result.predicted]
            assert scores == sorted(scores, reverse=True)  # best first


def check_analysis(analyzer: Analyzer, analysis: Analysis) -> None:
    assert sorted(m.mood for m in analysis.moods) == sorted(MOODS)
    shares = [m.score for m in analysis.moods]
    assert all(math.isfinite(s) and 0.0 <= s <= 1.0 for s in shares)
    assert abs(sum(shares) - 1.0) < 1e-4
    assert shares == sorted(shares, reverse=True)
    assert analysis.mood == analysis.moods[0].mood
    for reaction in analysis.reactions:
        assert reaction.emoji in analyzer.ranker.vocabulary
        assert math.isfinite(reaction.score) and 0.0 <= reaction.score <= 1.0
        assert reaction.sources
    scores = [r.score for r in analysis.reactions]
    assert scores == sorted(scores, reverse=True)
    for emotion in analysis.emotions:
        assert 0.0 <= emotion.score <= 1.0
        assert analysis.emotion_scores[emotion.label] >= emotion.score
    assert all(0.0 <= s <= 1.0 for s in analysis.emotion_scores.values())
    if analysis.embedding is not None:
        assert abs(float(np.linalg.norm(analysis.embedding)) - 1.0) < 1e-3


def same_result(engine: Engine, alone: Prediction, inside: Prediction) -> None:
    """``inside`` (from a batch) agrees with ``alone`` within :data:`TOLERANCE`."""
    assert inside.tokens == alone.tokens and inside.truncated == alone.truncated
    for head in engine.manifest.heads:
        a, b = alone[head.name], inside[head.name]
        if head.kind is HeadKind.EMBEDDING:
            assert a.embedding is not None and b.embedding is not None
            assert np.max(np.abs(a.embedding - b.embedding)) <= TOLERANCE, head.name
            continue
        assert a.probabilities is not None and b.probabilities is not None
        gap = float(np.max(np.abs(a.probabilities - b.probabilities)))
        assert gap <= TOLERANCE, f"{head.name}: {gap:.2e} apart"
        if not _near_a_decision(head.kind, a.probabilities, head.thresholds):
            assert a.predicted == b.predicted, head.name


def _near_a_decision(
    kind: HeadKind, probs: np.ndarray, thresholds: tuple[float, ...] | None
) -> bool:
    """Whether noise within the tolerance could flip the labels decided on."""
    if kind is HeadKind.SOFTMAX:
        top = np.sort(probs)[-2:]
        return bool(top[1] - top[0] <= 2 * TOLERANCE)
    assert thresholds is not None
    margins = np.abs(probs - np.asarray(thresholds, dtype=np.float32))
    ordered = np.sort(probs)
    ties = np.diff(ordered) <= 2 * TOLERANCE
    return bool(np.any(margins <= TOLERANCE) or np.any(ties))


# ---------------------------------------------------------------------------- properties


@ENGINE_PROPERTY
@given(texts=chat_batches)
def test_engine_gives_one_well_formed_prediction_per_text(
    engine: Engine, full_tokenizer: Tokenizer, texts: list[str]
) -> None:
    predictions = timed_predict(engine, texts)
    assert len(predictions) == len(texts)
    for text, prediction in zip(texts, predictions, strict=True):
        cleaned = engine.model_text(text)  # hygiene, then emoji spelled out by name
        true_length = len(full_tokenizer.encode(cleaned).ids)
        check_prediction(engine, prediction, true_length)


@ANALYZER_PROPERTY
@given(texts=chat_batches)
def test_analyzer_gives_one_well_formed_analysis_per_text(
    default_analyzer: Analyzer, texts: list[str]
) -> None:
    started = time.perf_counter()
    analyses = default_analyzer.analyze(texts)
    elapsed = time.perf_counter() - started
    assert elapsed < BATCH_SECONDS, f"a batch of {len(texts)} took {elapsed:.1f} s (hang guard)"
    assert len(analyses) == len(texts)
    for analysis in analyses:
        check_analysis(default_analyzer, analysis)


@BATCH_MATE_PROPERTY
@given(texts=chat_batches)
def test_a_text_never_depends_on_its_batch_mates(engine: Engine, texts: list[str]) -> None:
    batched = timed_predict(engine, texts)
    for text, inside in zip(texts, batched, strict=True):
        (alone,) = engine.predict([text])
        same_result(engine, alone, inside)
    # The same texts in reverse order: still each text's own result, in the new order.
    for inside, earlier in zip(timed_predict(engine, texts[::-1]), batched[::-1], strict=True):
        same_result(engine, earlier, inside)
