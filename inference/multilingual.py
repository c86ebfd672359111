"""A multilingual sentence encoder: texts in 16 languages -> aligned 512-d unit vectors.

The encoder is Google's Universal Sentence Encoder Multilingual v3 (a DAN + CNN n-gram model,
Apache-2.0), exported by ``moodmoji export usem3 OUT`` (:mod:`inference.export.usem3`) into a
folder holding:

- ``encoder.onnx``: inputs ``input_ids`` and ``attention_mask`` (int64, batch x sequence),
  output ``embeddings`` (float32, batch x 512, L2-normalised);
- ``tokenizer.json``: the model's 128k SentencePiece Unigram vocabulary for ``tokenizers``,
  which wraps every text in ``<s>`` ... ``</s>``;
- ``encoder.json``: provenance (optional here).

Only onnxruntime, tokenizers and numpy run here. Texts are tokenized together, grouped into
runs of similar length (:mod:`inference.buckets`) and padded within a run; the graph masks the
padding, so a text's vector does not depend on its batch-mates (except in a dynamically
quantised graph, which is therefore run one text at a time by default, as the engine does).

Example::

    encoder = MultilingualEncoder.from_dir("models/usem3")
    vectors = encoder.encode(["I love it", "Ich liebe es", "Мне нравится"])
    similarity = vectors @ vectors.T
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from tokenizers import Tokenizer

from moodmoji.inference.buckets import BucketSettings, plan_buckets
from moodmoji.inference.errors import BundleError, InferenceError
from moodmoji.inference.session import batch_coupled, create_session
from moodmoji.inference.settings import SessionSettings

logger = logging.getLogger(__name__)

ENCODER_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"
INFO_FILE = "encoder.json"
INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAME = "embeddings"
EMBEDDING_DIM = 512
BOS_TOKEN = "<s>"
EOS_TOKEN = "</s>"
UNK_TOKEN = "<unk>"
PAD_ID = 0

DEFAULT_BUCKETS = BucketSettings(max_rows=64, max_padding=0.1, max_cells=16384)
"""Runs of up to 64 texts with at most 10 % padding: the graph has no attention, so a run's
cost is linear in its cells, and several runs keep the parallel runs busy."""

FloatArray = npt.NDArray[np.float32]


class MultilingualEncoder:
    """Encodes texts into L2-normalised 512-d vectors aligned across languages.

    Thread-safe: ORT sessions may be run from several threads, and tokenizers is thread-safe.

    Args:
        session: A session of ``encoder.onnx`` (see :func:`inference.session.create_session`).
        tokenizer: The bundle's tokenizer; its padding and truncation are switched off here.
        buckets: How a batch is split into runs of similar length.
        parallel_runs: Runs of one call executed at once, each on its own thread.
        row_wise: Run every text on its own (for graphs that couple a batch's rows, such as
            dynamic int8); the default asks the session's model file when ``model_path`` is
            given, else runs batches.
        max_tokens: Longest token sequence (``<s>`` and ``</s>`` included); longer texts are
            cut. ``None`` keeps whole texts, as the reference implementation does.
        model_path: The graph file, used to decide ``row_wise`` when it is not given.

    Raises:
        BundleError: The graph or tokenizer does not have the expected interface.

    """

    def __init__(
        self,
        session: ort.InferenceSession,
        tokenizer: Tokenizer,
        *,
        buckets: BucketSettings | None = None,
        parallel_runs: int = 1,
        row_wise: bool | None = None,
        max_tokens: int | None = None,
        model_path: Path | None = None,
    ) -> None:
        where = model_path or Path(ENCODER_FILE)
        inputs = [i.name for i in session.get_inputs()]
        outputs = [o.name for o in session.get_outputs()]
        if sorted(inputs) != sorted(INPUT_NAMES) or OUTPUT_NAME not in outputs:
            raise BundleError(
                where,
                f"graph has inputs {inputs} and outputs {outputs}; expected "
                f"{list(INPUT_NAMES)} and {OUTPUT_NAME!r}",
            )
        specials = {t: tokenizer.token_to_id(t) for t in (BOS_TOKEN, EOS_TOKEN, UNK_TOKEN)}
        missing = [t for t, i in specials.items() if i is None]
        if missing:
            raise BundleError(Path(TOKENIZER_FILE), f"tokenizer lacks the tokens {missing}")
        if max_tokens is not None and max_tokens < 3:
            raise ValueError("max_tokens must be at least 3 (<s>, one token, </s>)")
        self._session = session
        self._tokenizer = tokenizer
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self._bos = int(specials[BOS_TOKEN] or 0)
        self._eos = int(specials[EOS_TOKEN] or 0)
        self._unk = int(specials[UNK_TOKEN] or 0)
        self.buckets = buckets or DEFAULT_BUCKETS
        self.parallel_runs = max(1, parallel_runs)
        if row_wise is None:
            row_wise = model_path is not None and batch_coupled(model_path)
        self.row_wise = row_wise
        self.max_tokens = max_tokens
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    @classmethod
    def from_dir(
        cls,
        path: Path | str,
        settings: SessionSettings | None = None,
        *,
        buckets: BucketSettings | None = None,
        parallel_runs: int | None = None,
        row_wise: bool | None = None,
        max_tokens: int | None = None,
    ) -> MultilingualEncoder:
        """Loads ``encoder.onnx`` and ``tokenizer.json`` from a folder.

        Args:
            path: The encoder folder (as written by ``moodmoji export usem3``).
            settings: ORT session settings (threads, providers, optimisation).
            buckets: See the class arguments.
            parallel_runs: See the class arguments; default one per CPU core (with the default
                of one ORT thread per run, as the engine does).
            row_wise: See the class arguments.
            max_tokens: See the class arguments.

        Returns:
            A ready encoder.

        Raises:
            BundleError: A file is missing or unreadable (the message names it).

        """
        folder = Path(path)
        if not folder.is_dir():
            raise BundleError(folder, "encoder folder is missing")
        model_path = folder / ENCODER_FILE
        session = create_session(model_path, settings or SessionSettings())
        tokenizer_path = folder / TOKENIZER_FILE
        if not tokenizer_path.is_file():
            raise BundleError(tokenizer_path, "tokenizer file is missing")
        try:
            tokenizer = Tokenizer.from_file(str(tokenizer_path))
        except Exception as exc:  # the library raises plain Exception for every parse problem
            raise BundleError(tokenizer_path, f"not a valid tokenizers file ({exc})") from None
        return cls(
            session,
            tokenizer,
            buckets=buckets,
            parallel_runs=parallel_runs or os.cpu_count() or 1,
            row_wise=row_wise,
            max_tokens=max_tokens,
            model_path=model_path,
        )

    @property
    def vocabulary_size(self) -> int:
        """How many token ids the tokenizer has (every id is below it)."""
        return int(self._tokenizer.get_vocab_size())

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, ``<s>`` and ``</s>`` included.

        A text with no tokens (empty, or only spaces and removed characters) reads as one
        ``<unk>``, as in the reference implementation.

        Args:
            texts: Raw texts.

        Returns:
            One id list per text.

        """
        encoded = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        rows: list[list[int]] = []
        for item in encoded:
            ids = list(item.ids) or [self._unk]
            if self.max_tokens is not None and len(ids) > self.max_tokens - 2:
                ids = ids[: self.max_tokens - 2]
            rows.append([self._bos, *ids, self._eos])
        return rows

    def encode(self, texts: Sequence[str]) -> FloatArray:
        """Encodes texts into unit vectors.

        Args:
            texts: Raw texts in any language; empty or odd text is a normal input.

        Returns:
            A float32 array of shape ``(len(texts), 512)``, one L2-normalised row per text.

        Raises:
            InferenceError: The graph returned something of the wrong shape.

        """
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not one string")
        out = np.empty((len(texts), EMBEDDING_DIM), dtype=np.float32)
        if not texts:
            return out
        rows = self.tokenize(texts)
        if self.row_wise:
            runs = [[i] for i in range(len(rows))]
        else:
            runs = plan_buckets([len(r) for r in rows], self.buckets)

        def run_graph(run: list[int]) -> tuple[list[int], FloatArray]:
            ids, mask = pad([rows[i] for i in run])
            (vectors,) = self._session.run(
                [OUTPUT_NAME], {"input_ids": ids, "attention_mask": mask}
            )
            return run, np.asarray(vectors, dtype=np.float32)

        for run, vectors in self._map(run_graph, runs):
            if vectors.shape != (len(run), EMBEDDING_DIM):
                raise InferenceError(
                    f"output {OUTPUT_NAME!r} of {ENCODER_FILE} has shape {vectors.shape} "
                    f"for a run of {len(run)} texts"
                )
            out[run] = vectors
        logger.debug("encoded %d texts in %d runs", len(texts), len(runs))
        return out

    def encode_one(self, text: str) -> FloatArray:
        """Encodes one text into a unit vector of shape ``(512,)``."""
        vector: FloatArray = self.encode([text])[0]
        return vector

    def close(self) -> None:
        """Stops the thread pool of parallel runs, if one was started."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _map(
        self,
        fn: Callable[[list[int]], tuple[list[int], FloatArray]],
        runs: list[list[int]],
    ) -> Iterator[tuple[list[int], FloatArray]]:
        if len(runs) == 1 or self.parallel_runs == 1:
            return map(fn, runs)
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.parallel_runs, thread_name_prefix="usem3-run")
            pool = self._pool
        return pool.map(fn, runs)


def pad(rows: Sequence[Sequence[int]]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Pads id lists to the longest of them.

    Args:
        rows: Token ids per text (each at least one id long).

    Returns:
        ``input_ids`` and ``attention_mask``, int64 arrays of shape (rows, longest).

    """
    width = max(len(r) for r in rows)
    ids = np.full((len(rows), width), PAD_ID, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask
