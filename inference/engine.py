"""The engine: texts in, one typed :class:`~inference.results.Prediction` per text out."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt

from moodmoji.inference.buckets import BucketSettings, plan_buckets
from moodmoji.inference.bundle import ModelBundle
from moodmoji.inference.emoji_names import spell_emoji
from moodmoji.inference.errors import InferenceError
from moodmoji.inference.hygiene import clean_text
from moodmoji.inference.manifest import MODEL_FILE, HeadKind, HeadSpec, Manifest, TextStep
from moodmoji.inference.results import HeadResult, Prediction
from moodmoji.inference.settings import EngineSettings, HygieneSettings
from moodmoji.inference.threads import limit_blas_threads

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]
_RunResult = tuple[list[int], list[npt.NDArray[np.float32]]]


class Engine:
    """Runs a model bundle on batches of texts.

    One ORT run per call serves every head. Thread-safe: ORT sessions may be run from several
    threads, and the run counter is guarded.

    Args:
        bundle: A loaded bundle (see :meth:`ModelBundle.load`).
        hygiene: Text clean-up limits.
        buckets: How a batch is split into runs of similar length.
        parallel_runs: Runs of one call executed at once, each on its own thread (ONNX Runtime
            releases the GIL). With one ORT thread per run this keeps every core busy on
            batches without the per-operator synchronisation of a multi-threaded run.

    """

    def __init__(
        self,
        bundle: ModelBundle,
        hygiene: HygieneSettings | None = None,
        buckets: BucketSettings | None = None,
        parallel_runs: int = 1,
    ) -> None:
        self.bundle = bundle
        self.hygiene = hygiene or HygieneSettings()
        self.buckets = buckets or BucketSettings()
        self.parallel_runs = max(1, parallel_runs)
        self._pool: ThreadPoolExecutor | None = None
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
        return cls(
            ModelBundle.load(path, settings.session),
            settings.hygiene,
            settings.buckets,
            settings.parallel_runs or os.cpu_count() or 1,
        )

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
        """Predicts every head for every text.

        Texts are tokenized together, then run in buckets of similar length (see
        :mod:`inference.buckets`) so that short texts do not pay for a long one's padding.
        A graph that couples the rows of a batch (``bundle.row_wise``: dynamic int8) runs each
        text on its own, so a text's prediction never depends on its batch-mates. Either way
        the call counts as one run.

        Args:
            texts: Raw texts; cleaned here. Empty or odd text is a normal input.

        Returns:
            One prediction per text, in order.

        """
        if not texts:
            return []
        started = time.perf_counter()
        encoder = self.bundle.encoder
        tokens = encoder.tokenize([self.model_text(t) for t in texts])
        lengths = [len(t.ids) for t in tokens]
        if self.bundle.row_wise:
            runs = [[i] for i in range(len(tokens))]
        else:
            runs = plan_buckets(lengths, self.buckets)
        outputs: dict[str, FloatArray] = {}

        def run_graph(run: list[int]) -> tuple[list[int], list[npt.NDArray[np.float32]]]:
            batch = encoder.pad([tokens[i] for i in run])
            return run, self.bundle.session.run(self._outputs, batch.arrays)

        for run, raw in self._map(run_graph, runs):
            for name, values in zip(self._outputs, raw, strict=True):
                if values.shape[0] != len(run):
                    raise InferenceError(
                        f"output {name!r} of {MODEL_FILE} has {values.shape[0]} rows "
                        f"for a run of {len(run)} texts"
                    )
                if name not in outputs:
                    outputs[name] = np.empty((len(texts), *values.shape[1:]), dtype=np.float32)
                outputs[name][run] = values
        with self._lock:
            self._runs += 1
        per_head = {
            head.name: _head_results(head, outputs[head.output]) for head in self.manifest.heads
        }
        predictions = [
            Prediction(
                heads={name: results[i] for name, results in per_head.items()},
                tokens=lengths[i],
                truncated=tokens[i].truncated,
            )
            for i in range(len(texts))
        ]
        logger.debug(
            "predicted batch of %d in %d runs (longest %d tokens) in %.1f ms",
            len(texts),
            len(runs),
            max(lengths, default=0),
            (time.perf_counter() - started) * 1000,
        )
        return predictions

    def model_text(self, text: str) -> str:
        """A raw text as the model reads it: cleaned, then the bundle's text steps applied."""
        cleaned = clean_text(text, self.hygiene)
        if TextStep.EMOJI_NAMES in self.manifest.text_steps:
            cleaned = spell_emoji(cleaned)
        return cleaned

    def _map(
        self, fn: Callable[[list[int]], _RunResult], runs: list[list[int]]
    ) -> Iterator[_RunResult]:
        """Runs the graph on every run, on :attr:`parallel_runs` threads when there are several."""
        if len(runs) == 1 or self.parallel_runs == 1:
            return map(fn, runs)
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.parallel_runs, thread_name_prefix="ort-run")
            pool = self._pool
        return pool.map(fn, runs)

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
