"""BRIGHTER (SemEval-2025 Task 11, track A): multi-label emotions in 28 languages.

A split is a CSV per language (``id,text,anger,disgust,fear,joy,sadness,surprise``; all zero =
neutral; English has no ``disgust`` column). :func:`read_brighter` reads one file;
:func:`brighter_scores` gives the task's figures, macro-F1 and micro-F1 over the six emotions
(over the columns the file has, as the task's own scorer does).

How a bundle answers: a head without a role whose labels hold the six emotions is read with
its thresholds (the multilingual bundle's ``brighter`` head, or the head it names for the
message's language); a bundle without one is read through its fused
moods, an emotion counted when its mood holds at least :data:`MOOD_SHARE` of the message
(the "same method" by which the English default was measured).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from moodmoji.inference.analyzer import Analysis, Analyzer
from moodmoji.inference.errors import FileProblem
from moodmoji.inference.manifest import HeadKind

__all__ = [
    "EMOTIONS",
    "MOOD_SHARE",
    "BrighterError",
    "BrighterScores",
    "BrighterSplit",
    "brighter_scores",
    "predict_emotions",
    "read_brighter",
]

EMOTIONS: tuple[str, ...] = ("anger", "disgust", "fear", "joy", "sadness", "surprise")
MOOD_SHARE = 0.25
"""Share of the fused moods at which a bundle without an emotion head names an emotion."""

BoolArray = npt.NDArray[np.bool_]


class BrighterError(FileProblem):
    """A BRIGHTER file is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class BrighterSplit:
    """One language's split.

    Attributes:
        path: The CSV read.
        texts: The texts, in file order.
        labels: The emotion columns the file has (a subset of :data:`EMOTIONS`, in order).
        targets: ``(n, len(labels))`` gold labels.
    """

    path: Path
    texts: tuple[str, ...]
    labels: tuple[str, ...]
    targets: BoolArray

    @property
    def language(self) -> str:
        """The language's code in BRIGHTER (the file's stem: ``deu``, ``ptbr``)."""
        return self.path.stem


@dataclass(frozen=True)
class BrighterScores:
    """The task's figures on one split.

    Attributes:
        n: Texts scored.
        macro_f1: Mean of the per-emotion F1 over the file's emotions.
        micro_f1: F1 over every (text, emotion) decision.
        per_emotion: F1 of each emotion.
    """

    n: int
    macro_f1: float
    micro_f1: float
    per_emotion: dict[str, float]

    def as_dict(self) -> dict[str, object]:
        """The figures, rounded to four places."""
        return {
            "n": self.n,
            "macro_f1": round(self.macro_f1, 4),
            "micro_f1": round(self.micro_f1, 4),
            "per_emotion": {k: round(v, 4) for k, v in self.per_emotion.items()},
        }


def read_brighter(path: Path) -> BrighterSplit:
    """Reads one BRIGHTER CSV.

    Raises:
        BrighterError: The file cannot be read, lacks ``text`` or every emotion column, or a
            label is not 0/1 (named with its line).
    """
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            labels = tuple(e for e in EMOTIONS if e in header)
            if "text" not in header or not labels:
                raise BrighterError(path, "expected a 'text' column and emotion columns")
            texts: list[str] = []
            rows: list[list[bool]] = []
            for number, row in enumerate(reader, start=2):
                values = [row.get(label, "") for label in labels]
                if any(v not in ("0", "1") for v in values):
                    raise BrighterError(path, f"line {number}: emotion labels must be 0 or 1")
                texts.append(row.get("text") or "")
                rows.append([v == "1" for v in values])
    except OSError as exc:
        raise BrighterError(path, f"cannot be read ({exc.strerror})") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise BrighterError(path, f"not a CSV file ({exc})") from None
    targets = np.array(rows, dtype=bool).reshape(len(rows), len(labels))
    return BrighterSplit(path, tuple(texts), labels, targets)


def brighter_scores(predicted: BoolArray, split: BrighterSplit) -> BrighterScores:
    """Macro- and micro-F1 of ``predicted`` (``(n, len(split.labels))``) against the split."""
    gold = split.targets
    tp = (predicted & gold).sum(axis=0).astype(float)
    fp = (predicted & ~gold).sum(axis=0).astype(float)
    fn = (~predicted & gold).sum(axis=0).astype(float)
    per = {label: _f1(tp[i], fp[i], fn[i]) for i, label in enumerate(split.labels)}
    micro = _f1(tp.sum(), fp.sum(), fn.sum())
    return BrighterScores(len(split.texts), float(np.mean(list(per.values()))), micro, per)


def predict_emotions(
    analyzer: Analyzer,
    texts: Sequence[str],
    labels: Sequence[str] = EMOTIONS,
    progress: Callable[[int], None] | None = None,
    batch: int = 64,
) -> BoolArray:
    """The emotions each text expresses, as the analyzer's bundle for its language reads them.

    Args:
        analyzer: The analyzer (a routed one picks the bundle per message).
        texts: The texts.
        labels: The emotions to answer, in column order.
        progress: Called with the number of texts done after each batch.
        batch: Texts per analyzer call.
    """
    out = np.zeros((len(texts), len(labels)), dtype=bool)
    for start in range(0, len(texts), batch):
        analyses = analyzer.analyze(list(texts[start : start + batch]))
        for row, analysis in enumerate(analyses, start=start):
            out[row] = _emotions_of(analyzer, analysis, labels)
        if progress is not None:
            progress(len(analyses))
    return out


def _emotions_of(analyzer: Analyzer, analysis: Analysis, labels: Sequence[str]) -> list[bool]:
    manifest = analyzer.analyzer_for(analysis.language).engine.manifest
    for head in manifest.heads:
        if (
            head.kind is HeadKind.SIGMOID
            and head.role is None  # a learned mood head also names the six, among others
            and head.name not in manifest.language_heads  # read through their head
            and set(EMOTIONS) <= set(head.labels)
        ):
            result = analysis.prediction[head.name]
            chosen = set(result.predicted)
            return [label in chosen for label in labels]
    shares = {m.mood: m.score for m in analysis.moods}
    return [shares.get(label, 0.0) >= MOOD_SHARE for label in labels]


def _f1(tp: float, fp: float, fn: float) -> float:
    denominator = 2 * tp + fp + fn
    return float(2 * tp / denominator) if denominator else 0.0
