"""Metrics on hand-computed cases, against scikit-learn when it is installed, and thresholds."""

from __future__ import annotations

import numpy as np
import pytest

from moodmoji.inference.metrics import (
    THRESHOLD_GRID,
    Scores,
    cross_fitted_scores,
    multi_label_scores,
    single_label_scores,
    tune_thresholds,
)


def test_multi_label_hand_computed() -> None:
    target = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 0], [0, 1, 0]], dtype=bool)
    predicted = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 0], [1, 1, 0]], dtype=bool)
    scores = multi_label_scores(predicted, target)
    # label 0: tp 2, fp 1, fn 0 -> 4/5; label 1: tp 1, fn 1 -> 2/3; label 2: no gold, no
    # predictions -> 0 (scikit-learn's default), which pulls the macro average down.
    assert scores.macro_f1 == pytest.approx((0.8 + 2 / 3 + 0.0) / 3)
    # pooled: tp 3, fp 1, fn 1 -> 6/8
    assert scores.micro_f1 == pytest.approx(0.75)
    assert scores.accuracy == pytest.approx(0.5)  # rows 0 and 2 match exactly
    assert scores.n == 4
    assert scores.top3_accuracy is None


def test_multi_label_nothing_predicted_nothing_gold() -> None:
    empty = np.zeros((3, 2), dtype=bool)
    scores = multi_label_scores(empty, empty)
    assert scores.accuracy == 1.0
    assert scores.macro_f1 == 0.0
    assert scores.micro_f1 == 0.0


def test_single_label_hand_computed() -> None:
    probabilities = np.array(
        [
            [0.7, 0.2, 0.1, 0.0],  # predicts 0, gold 0
            [0.1, 0.6, 0.2, 0.1],  # predicts 1, gold 2 (2nd best)
            [0.5, 0.3, 0.15, 0.05],  # predicts 0, gold 3 (last: not in the top 3)
            [0.2, 0.5, 0.2, 0.1],  # predicts 1, gold 1
        ],
        dtype=np.float32,
    )
    target = np.array([0, 2, 3, 1], dtype=np.int64)
    scores = single_label_scores(probabilities, target)
    assert scores.accuracy == pytest.approx(0.5)
    # class 0: tp 1, fp 1 -> 2/3; class 1: tp 1, fp 1 -> 2/3; class 2: fn 1 -> 0; class 3: 0
    assert scores.macro_f1 == pytest.approx((2 / 3 + 2 / 3) / 4)
    assert scores.top3_accuracy == pytest.approx(0.75)
    assert scores.micro_f1 is None
    assert scores.n == 4


def test_single_label_unused_class_counts_as_zero() -> None:
    probabilities = np.eye(3, dtype=np.float32)[[0, 1, 0, 1]]
    target = np.array([0, 1, 0, 1])
    scores = single_label_scores(probabilities, target)
    assert scores.accuracy == 1.0
    assert scores.macro_f1 == pytest.approx(2 / 3)  # class 2 never appears: F1 0
    assert scores.top3_accuracy == 1.0


def test_top3_with_fewer_than_three_classes() -> None:
    probabilities = np.array([[0.9, 0.1], [0.8, 0.2]], dtype=np.float32)
    scores = single_label_scores(probabilities, np.array([1, 0]))
    assert scores.accuracy == 0.5
    assert scores.top3_accuracy == 1.0


def test_as_dict_rounds_and_keeps_what_applies() -> None:
    single = Scores(n=3, accuracy=2 / 3, macro_f1=0.123456, top3_accuracy=1.0)
    assert single.as_dict() == {
        "n": 3,
        "accuracy": 0.6667,
        "macro_f1": 0.1235,
        "top3_accuracy": 1.0,
    }
    multi = Scores(n=2, accuracy=0.5, macro_f1=0.25, micro_f1=1 / 3)
    assert multi.as_dict() == {"n": 2, "accuracy": 0.5, "macro_f1": 0.25, "micro_f1": 0.3333}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_sklearn(seed: int) -> None:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    n, labels = 60, 7
    target = rng.random((n, labels)) < 0.2
    target[:, 3] = False  # a label with no gold ...
    predicted = rng.random((n, labels)) < 0.25
    predicted[:, 3] = False  # ... and no predictions
    scores = multi_label_scores(predicted, target)
    assert scores.macro_f1 == pytest.approx(
        sklearn_metrics.f1_score(target, predicted, average="macro", zero_division=0)
    )
    assert scores.micro_f1 == pytest.approx(
        sklearn_metrics.f1_score(target, predicted, average="micro", zero_division=0)
    )
    assert scores.accuracy == pytest.approx(sklearn_metrics.accuracy_score(target, predicted))

    classes = 6
    probabilities = rng.random((n, classes)).astype(np.float32)
    gold = rng.integers(0, classes, n)
    single = single_label_scores(probabilities, gold)
    predicted_ids = probabilities.argmax(axis=1)
    assert single.accuracy == pytest.approx(sklearn_metrics.accuracy_score(gold, predicted_ids))
    assert single.macro_f1 == pytest.approx(
        sklearn_metrics.f1_score(
            gold, predicted_ids, average="macro", labels=list(range(classes)), zero_division=0
        )
    )
    assert single.top3_accuracy == pytest.approx(
        sklearn_metrics.top_k_accuracy_score(gold, probabilities, k=3, labels=list(range(classes)))
    )


def test_threshold_grid() -> None:
    assert THRESHOLD_GRID[0] == 0.02 and THRESHOLD_GRID[-1] == 0.98
    assert 0.5 in THRESHOLD_GRID
    assert all(0 < t < 1 for t in THRESHOLD_GRID)


def test_tune_thresholds_picks_the_f1_maximising_cut() -> None:
    # Label 0: positives score 0.35 and 0.4, negatives 0.1 and 0.2 -> any cut in (0.2, 0.35]
    # separates them; the tie goes to the cut closest to 0.5, i.e. 0.34.
    # Label 1: positives 0.9, 0.8; a negative at 0.7 -> cuts in (0.7, 0.8] are perfect: 0.72
    # is the closest to 0.5 among them.
    # Label 2: no positives -> every cut has F1 0; the neutral 0.5 is kept.
    probabilities = np.array(
        [[0.35, 0.9, 0.3], [0.4, 0.8, 0.6], [0.1, 0.7, 0.9], [0.2, 0.1, 0.1]], dtype=np.float32
    )
    target = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 0], [0, 0, 0]], dtype=bool)
    cuts = tune_thresholds(probabilities, target)
    assert cuts == pytest.approx((0.34, 0.72, 0.5))
    decided = probabilities >= np.asarray(cuts, dtype=np.float32)
    assert (decided[:, :2] == target[:, :2]).all()


def test_tune_thresholds_trades_precision_for_recall() -> None:
    # Positives at 0.3, 0.6 and 0.65; negatives at 0.5 and 0.1.
    # cut 0.3: tp 3, fp 1 -> 6/7 = 0.857; cut 0.6: tp 2, fn 1 -> 0.8; cut 0.52: same as 0.6.
    probabilities = np.array([[0.3], [0.6], [0.65], [0.5], [0.1]], dtype=np.float32)
    target = np.array([[1], [1], [1], [0], [0]], dtype=bool)
    (cut,) = tune_thresholds(probabilities, target)
    assert cut == pytest.approx(0.3)
    (coarse,) = tune_thresholds(probabilities, target, grid=(0.25, 0.55, 0.62))
    assert coarse == pytest.approx(0.25)


def test_cross_fitted_scores() -> None:
    rng = np.random.default_rng(3)
    n, labels = 200, 5
    target = rng.random((n, labels)) < 0.3
    # informative scores: positives tend to score higher
    scores = np.clip(0.3 * target + rng.normal(0.3, 0.15, (n, labels)), 0, 1)
    probabilities = scores.astype(np.float32)
    honest = cross_fitted_scores(probabilities, target, folds=2, seed=0)
    assert honest.n == n
    assert honest.micro_f1 is not None and 0.0 < honest.micro_f1 <= 1.0
    tuned = np.asarray(tune_thresholds(probabilities, target), dtype=np.float32)
    flattering = multi_label_scores(probabilities >= tuned, target)
    assert honest.macro_f1 <= flattering.macro_f1 + 1e-9  # tuning on the scored rows flatters
    assert honest.macro_f1 > multi_label_scores(np.zeros_like(target), target).macro_f1
    assert cross_fitted_scores(probabilities, target, folds=2, seed=0) == honest
    three = cross_fitted_scores(probabilities, target, folds=3, seed=1)
    assert three.n == n and 0.0 < three.macro_f1 <= 1.0
