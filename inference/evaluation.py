"""Scoring a model bundle on a benchmark dataset (the engine behind ``moodmoji eval``).

Any bundle whose head covers the task's labels can be evaluated: the default model, or an
exported BertMoji (its 250 emoji include TweetEval's 20; the score is the arg-max among those
20) or EmotiCare (the 28 GoEmotions labels with the bundle's thresholds). Labels are matched by
name, case-insensitively and ignoring emoji variation selectors, so column order may differ.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from moodmoji.inference.datasets import Dataset, TaskSpec
from moodmoji.inference.engine import Engine
from moodmoji.inference.errors import InferenceError
from moodmoji.inference.manifest import HeadKind, HeadSpec, Manifest
from moodmoji.inference.metrics import Scores, multi_label_scores, single_label_scores

logger = logging.getLogger(__name__)

EVAL_BATCH = 32


@dataclass(frozen=True)
class HeadMatch:
    """The head a task is scored on.

    Attributes:
        head: The head.
        columns: For each task label (in task order), its column in the head's output.
    """

    head: HeadSpec
    columns: tuple[int, ...]


def _norm(label: str) -> str:
    return label.replace("\ufe0f", "").strip().casefold()


def match_head(manifest: Manifest, task: TaskSpec) -> HeadMatch:
    """Finds the head whose labels cover the task's labels.

    A head named like the task wins; otherwise the first covering head in manifest order.

    Raises:
        InferenceError: No head covers the task's labels.
    """
    wanted = [_norm(label) for label in task.labels]
    candidates = sorted(
        (h for h in manifest.heads if h.kind is not HeadKind.EMBEDDING),
        key=lambda h: h.name != task.name,
    )
    for head in candidates:
        index = {_norm(label): i for i, label in enumerate(head.labels)}
        if all(label in index for label in wanted):
            return HeadMatch(head, tuple(index[label] for label in wanted))
    heads = ", ".join(f"{h.name} ({len(h.labels)} labels)" for h in candidates) or "none"
    raise InferenceError(
        f"model {manifest.name!r} has no head whose labels cover the {task.name} labels "
        f"({', '.join(task.labels[:4])}, ...); its heads: {heads}"
    )


def head_probabilities(
    engine: Engine,
    texts: Sequence[str],
    match: HeadMatch,
    progress: Callable[[int], None] | None = None,
) -> npt.NDArray[np.float32]:
    """Probabilities of the task's labels for every text, ``(n, task labels)``, in text order.

    Texts are run in batches of similar length so that little padding is computed.
    """
    out = np.zeros((len(texts), len(match.columns)), dtype=np.float32)
    columns = np.asarray(match.columns)
    order = np.argsort([len(t) for t in texts], kind="stable")
    for start in range(0, len(order), EVAL_BATCH):
        rows = order[start : start + EVAL_BATCH]
        predictions = engine.predict([texts[i] for i in rows])
        for row, prediction in zip(rows, predictions, strict=True):
            probabilities = prediction[match.head.name].probabilities
            assert probabilities is not None
            out[row] = probabilities[columns]
        if progress is not None:
            progress(len(rows))
    return out


def multi_hot(dataset: Dataset) -> npt.NDArray[np.bool_]:
    """Gold labels of a dataset as a boolean ``(n, labels)`` matrix."""
    gold = np.zeros((len(dataset), len(dataset.task.labels)), dtype=bool)
    for row, example in enumerate(dataset.examples):
        gold[row, list(example.labels)] = True
    return gold


def evaluate(
    engine: Engine, dataset: Dataset, progress: Callable[[int], None] | None = None
) -> Scores:
    """Scores the engine's bundle on a dataset.

    Multi-label tasks use the head's own decisions: its thresholds for a sigmoid head, the
    arg-max for a softmax head. Single-label tasks use the arg-max among the task's labels.

    Args:
        engine: The engine running the bundle.
        dataset: The labelled examples.
        progress: Called with the number of texts done after each batch.

    Returns:
        The metrics.

    Raises:
        InferenceError: The bundle has no head for the task's labels.
    """
    task = dataset.task
    match = match_head(engine.manifest, task)
    logger.info("evaluating %s on head %r (%d texts)", task.name, match.head.name, len(dataset))
    probabilities = head_probabilities(engine, dataset.texts, match, progress)
    if task.multi_label:
        gold = multi_hot(dataset)
        if match.head.kind is HeadKind.SIGMOID:
            assert match.head.thresholds is not None
            cuts = np.asarray(match.head.thresholds, dtype=np.float32)[list(match.columns)]
            predicted = probabilities >= cuts[None, :]
        else:
            predicted = np.eye(len(task.labels), dtype=bool)[probabilities.argmax(axis=1)]
        return multi_label_scores(predicted, gold)
    target = np.array([e.labels[0] for e in dataset.examples], dtype=np.int64)
    return single_label_scores(probabilities, target)
