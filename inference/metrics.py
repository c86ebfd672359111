"""Classification metrics and decision-threshold tuning (numpy only).

Multi-label predictions and targets are boolean matrices ``(n, labels)``; single-label ones are
class-id vectors. F1 of a label with no positives and no predictions counts as 0, as in
scikit-learn's default, so macro-F1 here matches the published GoEmotions and TweetEval figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

THRESHOLD_GRID: tuple[float, ...] = tuple(round(0.02 * i, 2) for i in range(1, 50))


@dataclass(frozen=True)
class Scores:
    """Metrics of one evaluation.

    Attributes:
        n: Number of examples.
        accuracy: Single-label: top-1 accuracy. Multi-label: exact-match (subset) accuracy.
        macro_f1: Unweighted mean of per-label F1.
        micro_f1: F1 over all label decisions pooled (multi-label only).
        top3_accuracy: Share of examples whose label is among the 3 best scores (single-label).
    """

    n: int
    accuracy: float
    macro_f1: float
    micro_f1: float | None = None
    top3_accuracy: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Returns the metrics that apply, rounded to 4 places."""
        out: dict[str, Any] = {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
        }
        if self.micro_f1 is not None:
            out["micro_f1"] = round(self.micro_f1, 4)
        if self.top3_accuracy is not None:
            out["top3_accuracy"] = round(self.top3_accuracy, 4)
        return out


def _f1(tp: npt.NDArray[Any], fp: npt.NDArray[Any], fn: npt.NDArray[Any]) -> npt.NDArray[Any]:
    denominator = 2 * tp + fp + fn
    safe = np.where(denominator == 0, 1, denominator)
    return np.where(denominator == 0, 0.0, 2 * tp / safe)


def multi_label_scores(predicted: BoolArray, target: BoolArray) -> Scores:
    """Scores multi-label decisions.

    Args:
        predicted: ``(n, labels)`` decisions.
        target: ``(n, labels)`` gold labels.

    Returns:
        Subset accuracy, macro-F1 and micro-F1.
    """
    tp = (predicted & target).sum(axis=0)
    fp = (predicted & ~target).sum(axis=0)
    fn = (~predicted & target).sum(axis=0)
    micro = _f1(np.asarray(tp.sum()), np.asarray(fp.sum()), np.asarray(fn.sum()))
    return Scores(
        n=int(target.shape[0]),
        accuracy=float(np.mean(np.all(predicted == target, axis=1))),
        macro_f1=float(np.mean(_f1(tp, fp, fn))),
        micro_f1=float(micro),
    )


def single_label_scores(probabilities: FloatArray, target: IntArray) -> Scores:
    """Scores single-label predictions.

    Args:
        probabilities: ``(n, classes)`` scores; the arg-max is the prediction.
        target: ``(n,)`` gold class ids.

    Returns:
        Accuracy, macro-F1 and top-3 accuracy.
    """
    n_classes = probabilities.shape[1]
    predicted = probabilities.argmax(axis=1)
    one_hot_pred = np.eye(n_classes, dtype=bool)[predicted]
    one_hot_gold = np.eye(n_classes, dtype=bool)[target]
    tp = (one_hot_pred & one_hot_gold).sum(axis=0)
    fp = (one_hot_pred & ~one_hot_gold).sum(axis=0)
    fn = (~one_hot_pred & one_hot_gold).sum(axis=0)
    k = min(3, n_classes)
    top = np.argsort(-probabilities, axis=1)[:, :k]
    return Scores(
        n=int(target.shape[0]),
        accuracy=float(np.mean(predicted == target)),
        macro_f1=float(np.mean(_f1(tp, fp, fn))),
        top3_accuracy=float(np.mean(np.any(top == target[:, None], axis=1))),
    )


def tune_thresholds(
    probabilities: FloatArray, target: BoolArray, grid: tuple[float, ...] = THRESHOLD_GRID
) -> tuple[float, ...]:
    """Picks, for each label, the threshold on ``grid`` that maximises that label's F1.

    Ties go to the threshold closest to 0.5, so a label with no signal keeps a neutral cut.

    Args:
        probabilities: ``(n, labels)`` sigmoid scores.
        target: ``(n, labels)`` gold labels.
        grid: Candidate thresholds, each strictly between 0 and 1.

    Returns:
        One threshold per label.
    """
    cuts = np.asarray(grid, dtype=np.float32)
    chosen = []
    for label in range(probabilities.shape[1]):
        decisions = probabilities[:, label][:, None] >= cuts[None, :]
        gold = target[:, label][:, None]
        tp = (decisions & gold).sum(axis=0)
        fp = (decisions & ~gold).sum(axis=0)
        fn = (~decisions & gold).sum(axis=0)
        f1 = _f1(tp, fp, fn)
        best = np.flatnonzero(f1 == f1.max())
        chosen.append(float(cuts[best[np.argmin(np.abs(cuts[best] - 0.5))]]))
    return tuple(chosen)


def cross_fitted_scores(
    probabilities: FloatArray, target: BoolArray, folds: int = 2, seed: int = 0
) -> Scores:
    """Scores per-label thresholds honestly: tuned on some folds, applied to the held-out one.

    Args:
        probabilities: ``(n, labels)`` sigmoid scores.
        target: ``(n, labels)`` gold labels.
        folds: Number of folds.
        seed: Seed of the fold assignment.

    Returns:
        The scores of the pooled held-out decisions.
    """
    order = np.random.default_rng(seed).permutation(target.shape[0])
    predicted = np.zeros_like(target)
    for fold in np.array_split(order, folds):
        rest = np.setdiff1d(order, fold)
        cuts = np.asarray(tune_thresholds(probabilities[rest], target[rest]), dtype=np.float32)
        predicted[fold] = probabilities[fold] >= cuts[None, :]
    return multi_label_scores(predicted, target)
