"""Topical emoji: the message embedding against the emoji vocabulary, behind a calibrated gate.

Each vocabulary entry is embedded once through the bundle's embedding head (its
``name: description; keywords`` phrase). A message's topical candidates are the entries with the
highest cosine similarity. Raw nearest-phrase search always returns *something* (clocks for a
birthday, an urn for a death), so every candidate passes a gate: a logistic model of the
probability that the candidate is right, from two features,

* ``cosine``: the candidate's similarity to the message, and
* ``margin``: how far it stands above the message's typical similarity (the candidate's cosine
  minus the mean of the next ten best cosines): a real topic stands out, a weak match does not.

The gate's weights are fitted by :func:`fit_gate` on a labelled calibration set
(``inference/data/topic_calibration.jsonl``) and stored with the bundle as ``topic_gate.json``;
the probability it returns is what the reaction ranker fuses.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from moodmoji.inference.embedding_cache import EmbeddingCache
from moodmoji.inference.engine import Engine
from moodmoji.inference.errors import InferenceError
from moodmoji.inference.manifest import HeadKind
from moodmoji.inference.vocabulary import EmojiVocabulary, emoji_key

logger = logging.getLogger(__name__)

GATE_FILE = "topic_gate.json"
CALIBRATION_FILE = Path(__file__).resolve().parent / "data" / "topic_calibration.jsonl"
_RUNNERS_UP = 10
_BATCH = 32

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class TopicGate:
    """Logistic calibration of topical matches.

    ``P(right) = sigmoid(bias + cosine_weight * cosine + margin_weight * margin)``; a candidate
    is admitted when ``P(right) >= min_probability``.

    The default (used when a bundle has no fitted gate) admits only near-paraphrases: it crosses
    0.5 at cosine 0.6 with a margin of 0.2.
    """

    bias: float = -18.0
    cosine_weight: float = 20.0
    margin_weight: float = 30.0
    min_probability: float = 0.5

    def probability(self, cosine: float, margin: float) -> float:
        """The calibrated probability that a candidate with these features is right."""
        z = self.bias + self.cosine_weight * cosine + self.margin_weight * margin
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def write(self, directory: Path) -> Path:
        """Writes ``topic_gate.json`` into a bundle directory."""
        path = directory / GATE_FILE
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def for_bundle(cls, directory: Path) -> TopicGate:
        """The bundle's fitted gate, or the conservative default when it has none.

        Raises:
            InferenceError: ``topic_gate.json`` exists but is unreadable (the message names it).
        """
        path = directory / GATE_FILE
        if not path.is_file():
            logger.info("no %s in the bundle; using the conservative default gate", GATE_FILE)
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{k: float(v) for k, v in raw.items()})
        except (OSError, ValueError, TypeError) as exc:
            raise InferenceError(f"{path}: not a valid topic gate ({exc})") from None


@dataclass(frozen=True)
class TopicMatch:
    """A topical emoji candidate.

    Attributes:
        emoji: The emoji (as in the vocabulary).
        cosine: Similarity of the message to the emoji's phrase.
        margin: Cosine minus the mean of the next ten best cosines.
        probability: The gate's calibrated probability that it is right.
    """

    emoji: str
    cosine: float
    margin: float
    probability: float


def embedding_head(engine: Engine) -> str | None:
    """The name of the bundle's embedding head, if it has one."""
    return next((h.name for h in engine.manifest.heads if h.kind is HeadKind.EMBEDDING), None)


def embed(engine: Engine, texts: Sequence[str]) -> FloatArray:
    """L2-normalised embeddings of ``texts`` from the bundle's embedding head.

    Raises:
        InferenceError: The bundle has no embedding head.
    """
    head = embedding_head(engine)
    if head is None:
        raise InferenceError(f"model {engine.manifest.name!r} has no embedding head")
    rows = []
    for start in range(0, len(texts), _BATCH):
        for prediction in engine.predict(list(texts[start : start + _BATCH])):
            vector = prediction[head].embedding
            assert vector is not None
            rows.append(vector)
    return np.vstack(rows).astype(np.float32)


class TopicMatcher:
    """Ranks vocabulary emoji by topical similarity and gates them.

    Args:
        vocabulary: The emoji vocabulary.
        phrase_vectors: One L2-normalised embedding per vocabulary entry, in entry order.
        gate: The calibrated gate.
    """

    def __init__(
        self, vocabulary: EmojiVocabulary, phrase_vectors: FloatArray, gate: TopicGate
    ) -> None:
        if phrase_vectors.shape[0] != len(vocabulary):
            raise ValueError("one phrase vector per vocabulary entry is needed")
        self.vocabulary = vocabulary
        self.phrase_vectors = phrase_vectors
        self.gate = gate
        self._emoji = tuple(entry.emoji for entry in vocabulary)

    @classmethod
    def from_engine(
        cls,
        engine: Engine,
        vocabulary: EmojiVocabulary,
        gate: TopicGate,
        cache: EmbeddingCache | None = None,
    ) -> TopicMatcher:
        """Embeds the vocabulary's phrases with the engine's embedding head.

        With a ``cache``, phrases embedded before by the same model are read back instead.
        """
        phrases = [entry.phrase() for entry in vocabulary]
        if cache is None:
            return cls(vocabulary, embed(engine, phrases), gate)
        return cls(vocabulary, cache.embed(phrases, lambda texts: embed(engine, texts)), gate)

    def features(self, embedding: FloatArray, k: int) -> list[tuple[str, float, float]]:
        """The ``k`` most similar emoji with their ``(emoji, cosine, margin)`` features."""
        cosines = self.phrase_vectors @ embedding.astype(np.float32)
        order = np.argsort(-cosines, kind="stable")
        baseline = float(cosines[order[1 : 1 + _RUNNERS_UP]].mean())
        return [
            (self._emoji[i], float(cosines[i]), float(cosines[i]) - baseline) for i in order[:k]
        ]

    def candidates(self, embedding: FloatArray, k: int = 3) -> tuple[TopicMatch, ...]:
        """The gated topical candidates among the ``k`` nearest, best first (maybe none)."""
        out = []
        for emoji, cosine, margin in self.features(embedding, k):
            probability = self.gate.probability(cosine, margin)
            if probability >= self.gate.min_probability:
                out.append(TopicMatch(emoji, cosine, margin, probability))
        return tuple(out)


@dataclass(frozen=True)
class CalibrationExample:
    """A calibration message and the topical emoji that would be right for it (maybe none)."""

    text: str
    emoji: frozenset[str]


def read_calibration(path: Path = CALIBRATION_FILE) -> tuple[CalibrationExample, ...]:
    """Reads a calibration JSONL file: ``{"text": ..., "emoji": [...]}`` per line.

    Raises:
        InferenceError: The file is missing or a line is malformed (named with its number).
    """
    if not path.is_file():
        raise InferenceError(f"{path}: calibration file not found")
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            out.append(
                CalibrationExample(str(raw["text"]), frozenset(emoji_key(e) for e in raw["emoji"]))
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InferenceError(f"{path}: line {number}: {exc}") from None
    return tuple(out)


def gate_samples(
    matcher: TopicMatcher, engine: Engine, examples: Sequence[CalibrationExample], k: int = 3
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Features ``(cosine, margin)`` and rightness of the ``k`` nearest emoji of each example."""
    vectors = embed(engine, [e.text for e in examples])
    features, right = [], []
    for example, vector in zip(examples, vectors, strict=True):
        for emoji, cosine, margin in matcher.features(vector, k):
            features.append((cosine, margin))
            right.append(emoji_key(emoji) in example.emoji)
    return np.asarray(features, dtype=np.float32), np.asarray(right, dtype=bool)


def fit_gate(
    features: FloatArray,
    right: npt.NDArray[np.bool_],
    *,
    l2: float = 1e-3,
    steps: int = 5000,
    min_probability: float = 0.5,
) -> TopicGate:
    """Fits the gate's logistic model by gradient descent on standardised features.

    Args:
        features: ``(n, 2)`` cosine and margin of each sample.
        right: Whether each sample's emoji was right.
        l2: L2 penalty on the standardised weights.
        steps: Gradient steps.
        min_probability: The admission threshold stored in the gate.

    Returns:
        The fitted gate (weights on the raw feature scale).
    """
    mean = features.mean(axis=0)
    scale = features.std(axis=0) + 1e-6
    x = (features - mean) / scale
    y = right.astype(np.float64)
    w = np.zeros(2)
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        w -= 0.5 * (x.T @ (p - y) / len(y) + l2 * w)
        b -= 0.5 * float(np.mean(p - y))
    raw_w = w / scale
    return TopicGate(
        bias=float(b - raw_w @ mean),
        cosine_weight=float(raw_w[0]),
        margin_weight=float(raw_w[1]),
        min_probability=min_probability,
    )


@dataclass(frozen=True)
class GateReport:
    """Held-out quality of a fitted gate (each fold's gate judged on the other folds' examples).

    Attributes:
        examples: Calibration messages.
        precision: Share of admitted candidates that are right.
        topical_recall: Share of messages with a right topical emoji whose best admitted
            candidate is right.
        false_admission: Share of messages with no right topical emoji that get a candidate.
    """

    examples: int
    precision: float
    topical_recall: float
    false_admission: float

    def as_dict(self) -> dict[str, float | int]:
        """The figures, rates rounded to 3 places."""
        return {
            "examples": self.examples,
            "precision": round(self.precision, 3),
            "topical_recall": round(self.topical_recall, 3),
            "false_admission": round(self.false_admission, 3),
        }


ADMISSION_GRID: tuple[float, ...] = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))


def admission_threshold(
    gate: TopicGate,
    features: FloatArray,
    right: npt.NDArray[np.bool_],
    target_precision: float,
) -> TopicGate:
    """The gate with the lowest admission probability whose precision reaches the target.

    Precision is measured on ``features``/``right``; when no threshold of
    :data:`ADMISSION_GRID` reaches it, the strictest one is used.
    """
    probabilities = np.array([gate.probability(c, m) for c, m in features])
    for cut in ADMISSION_GRID:
        admitted = probabilities >= cut
        if admitted.any() and right[admitted].mean() >= target_precision:
            return replace(gate, min_probability=cut)
    return replace(gate, min_probability=ADMISSION_GRID[-1])


def calibrate(
    engine: Engine,
    vocabulary: EmojiVocabulary,
    examples: Sequence[CalibrationExample],
    *,
    folds: int = 2,
    seed: int = 0,
    k: int = 3,
    target_precision: float = 0.9,
) -> tuple[TopicGate, GateReport]:
    """Fits the topic gate on all examples and reports its ``folds``-fold held-out quality.

    The logistic model gives calibrated probabilities; the admission threshold is then the
    lowest that reaches ``target_precision`` on the fitting examples, so that a wrong topical
    emoji is rare (each fold's threshold is chosen without its held-out examples).

    Args:
        engine: Engine of the bundle whose embedding head the gate is for.
        vocabulary: The emoji vocabulary.
        examples: Labelled calibration messages.
        folds: Folds of the held-out estimate.
        seed: Seed of the fold assignment.
        k: Nearest emoji considered per message.
        target_precision: Precision the admission threshold aims for.

    Returns:
        The gate fitted on every example, and the held-out report.
    """
    matcher = TopicMatcher.from_engine(engine, vocabulary, TopicGate())
    features, right = gate_samples(matcher, engine, examples, k)
    per_example = np.arange(len(examples)).repeat(k)
    order = np.random.default_rng(seed).permutation(len(examples))
    admitted_right = admitted = hits = topical = false_hits = empty = 0
    for fold in np.array_split(order, folds):
        held = np.isin(per_example, fold)
        gate = admission_threshold(
            fit_gate(features[~held], right[~held]),
            features[~held],
            right[~held],
            target_precision,
        )
        for index in fold:
            rows = np.flatnonzero(per_example == index)
            passes = [gate.probability(*features[r]) >= gate.min_probability for r in rows]
            chosen = [r for r, ok in zip(rows, passes, strict=True) if ok]
            admitted += len(chosen)
            admitted_right += int(right[chosen].sum()) if chosen else 0
            if examples[index].emoji:
                topical += 1
                hits += int(bool(chosen) and right[chosen[0]])
            else:
                empty += 1
                false_hits += int(bool(chosen))
    report = GateReport(
        examples=len(examples),
        precision=admitted_right / admitted if admitted else 0.0,
        topical_recall=hits / topical if topical else 0.0,
        false_admission=false_hits / empty if empty else 0.0,
    )
    gate = admission_threshold(fit_gate(features, right), features, right, target_precision)
    return gate, report
