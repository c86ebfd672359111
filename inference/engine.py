"""The engine: texts in, one typed :class:`~inference.results.Prediction` per text out."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from inference.bundle import ModelBundle
from inference.hygiene import clean_text
from inference.manifest import HeadKind, HeadSpec, Manifest
from inference.results import HeadResult, Prediction
from inference.settings import EngineSettings, HygieneSettings
from inference.text_encoder import EncodedBatch
from inference.threads import limit_blas_threads

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]


class Engine:
    """Runs a model bundle on batches of texts.

    One ORT run per call serves every head. Thread-safe: ORT sessions may be run from several
    threads, and the run counter is guarded.

    Args:
        bundle: A loaded bundle (see :meth:`ModelBundle.load`).
        hygiene: Text clean-up limits.

    """

    def __init__(self, bundle: ModelBundle, hygiene: HygieneSettings | None = None) -> None:
        self.bundle = bundle
        self.hygiene = hygiene or HygieneSettings()
        self._outputs = bundle.output_names()
        self._lock = threading.Lock()
        self._runs = 0

    @classmethod
    def from_path(cls, path: Path | str, settings: EngineSettings | None = None) -> Engine:
        """Loads the bundle at ``path`` and wraps it in an engine.

        Raises:
            BundleError: The bundle is missing or invalid (the message names the file).

        """
        settings = settings or EngineSettings()
        limit_blas_threads(settings.session.blas_threads)
        return cls(ModelBundle.load(path, settings.session), settings.hygiene)

    @property
    def manifest(self) -> Manifest:
        """The manifest of the loaded bundle."""
        return self.bundle.manifest

    @property
    def runs(self) -> int:
        """How many ORT runs this engine has made."""
        with self._lock:
            return self._runs

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Predicts every head for every text, in one run of the model.

        A graph that couples the rows of a batch (``bundle.row_wise``: dynamic int8) runs each
        text on its own inside the call, so a text's prediction never depends on its batch-mates;
        the call still counts as one run.

        Args:
            texts: Raw texts; cleaned here. Empty or odd text is a normal input.

        Returns:
            One prediction per text, in order.

        """
        if not texts:
            return []
        started = time.perf_counter()
        cleaned = [clean_text(t, self.hygiene) for t in texts]
        if self.bundle.row_wise and len(cleaned) > 1:
            rows = [self._run([text]) for text in cleaned]
            outputs = {
                name: np.concatenate([row[0][name] for row in rows]) for name in self._outputs
            }
            batch = EncodedBatch(
                arrays={},
                lengths=tuple(row[1].lengths[0] for row in rows),
                truncated=tuple(row[1].truncated[0] for row in rows),
            )
        else:
            outputs, batch = self._run(cleaned)
        with self._lock:
            self._runs += 1
        per_head = {
            head.name: _head_results(head, np.asarray(outputs[head.output], dtype=np.float32))
            for head in self.manifest.heads
        }
        predictions = [
            Prediction(
                heads={name: results[i] for name, results in per_head.items()},
                tokens=batch.lengths[i],
                truncated=batch.truncated[i],
            )
            for i in range(len(texts))
        ]
        logger.debug(
            "predicted batch of %d (longest %d tokens) in %.1f ms",
            len(texts),
            max(batch.lengths, default=0),
            (time.perf_counter() - started) * 1000,
        )
        return predictions

    def _run(self, cleaned: Sequence[str]) -> tuple[dict[str, FloatArray], EncodedBatch]:
        batch = self.bundle.encoder.encode(cleaned)
        raw = self.bundle.session.run(self._outputs, batch.arrays)
        return dict(zip(self._outputs, raw, strict=True)), batch

    def predict_one(self, text: str) -> Prediction:
        """Predicts every head for one text."""
        return self.predict([text])[0]


def _head_results(head: HeadSpec, values: FloatArray) -> list[HeadResult]:
    if head.kind is HeadKind.EMBEDDING:
        norms = np.linalg.norm(values, axis=1, keepdims=True)
        vectors = values / np.maximum(norms, 1e-12)
        vectors.setflags(write=False)
        return [HeadResult(head=head.name, kind=head.kind, embedding=v) for v in vectors]
    probs = softmax(values) if head.kind is HeadKind.SOFTMAX else sigmoid(values)
    probs.setflags(write=False)
    if head.kind is HeadKind.SOFTMAX:
        decided = [[int(j)] for j in probs.argmax(axis=1)]
    else:
        over = probs >= np.asarray(head.thresholds, dtype=np.float32)
        decided = [_best_first(np.flatnonzero(row), p) for row, p in zip(over, probs, strict=True)]
    return [
        HeadResult(
            head=head.name,
            kind=head.kind,
            labels=head.labels,
            probabilities=row,
            predicted=tuple(head.labels[j] for j in chosen),
        )
        for row, chosen in zip(probs, decided, strict=True)
    ]


def _best_first(indices: npt.NDArray[np.intp], probs: FloatArray) -> list[int]:
    return [int(j) for j in indices[np.argsort(-probs[indices], kind="stable")]]


def softmax(logits: FloatArray) -> FloatArray:
    """Row-wise softmax, stable for large logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    out: FloatArray = exp / exp.sum(axis=1, keepdims=True)
    return out


def sigmoid(logits: FloatArray) -> FloatArray:
    """Element-wise logistic function, without overflow warnings."""
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * logits))
    return out
