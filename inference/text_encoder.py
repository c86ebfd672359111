"""Tokenization of text batches into the arrays a graph declares, with ``tokenizers``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from tokenizers import Tokenizer

from moodmoji.inference.errors import BundleError

logger = logging.getLogger(__name__)

_PAD_TOKENS = ("[PAD]", "<pad>", "<|pad|>", "<PAD>")


@dataclass(frozen=True)
class Tokens:
    """One tokenized text, unpadded.

    Attributes:
        ids: Token ids, special tokens included, cut at ``max_length``.
        type_ids: Segment ids aligned with ``ids``.
        truncated: Whether the text was cut at ``max_length``.

    """

    ids: Sequence[int]
    type_ids: Sequence[int]
    truncated: bool


@dataclass(frozen=True)
class EncodedBatch:
    """Model inputs for one batch.

    Attributes:
        arrays: Graph input name -> int64 array of shape (batch, longest sequence).
        lengths: Real (unpadded) token count per text, special tokens included.
        truncated: Whether each text was cut at ``max_length``.

    """

    arrays: dict[str, npt.NDArray[np.int64]]
    lengths: tuple[int, ...]
    truncated: tuple[bool, ...]


class TextEncoder:
    """Turns texts into the input arrays a graph declares.

    Truncates to ``max_length`` and pads to the longest text of the batch. Builds
    ``token_type_ids`` only when the graph declares it.

    Args:
        tokenizer: A ready ``tokenizers.Tokenizer``; its truncation and padding are reset here.
        max_length: Longest sequence, special tokens included.
        input_names: Input names the graph declares.

    """

    def __init__(self, tokenizer: Tokenizer, max_length: int, input_names: Sequence[str]) -> None:
        self._tokenizer = tokenizer
        self.max_length = max_length
        self.input_names = tuple(input_names)
        self.pad_id = _pad_id(tokenizer)
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=max_length)

    @classmethod
    def from_file(cls, path: Path, max_length: int, input_names: Sequence[str]) -> TextEncoder:
        """Loads ``tokenizer.json``.

        Raises:
            BundleError: The file is missing or not a tokenizer the library can read.

        """
        if not path.is_file():
            raise BundleError(path, "tokenizer file is missing")
        try:
            tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # the library raises plain Exception for every parse problem
            raise BundleError(path, f"not a valid tokenizers file ({_short(exc)})") from None
        return cls(tokenizer, max_length, input_names)

    def encode(self, texts: Sequence[str]) -> EncodedBatch:
        """Tokenizes a batch and pads it to its longest text.

        Args:
            texts: Cleaned texts (see :func:`inference.hygiene.clean_text`); may be empty.

        Returns:
            The padded input arrays, real lengths and truncation flags.

        """
        return self.pad(self.tokenize(texts))

    def tokenize(self, texts: Sequence[str]) -> list[Tokens]:
        """Tokenizes texts (in parallel inside ``tokenizers``) without padding.

        Args:
            texts: Cleaned texts; may be empty.

        Returns:
            One :class:`Tokens` per text, in order.

        """
        return [
            Tokens(ids=e.ids, type_ids=e.type_ids, truncated=bool(e.overflowing))
            for e in self._tokenizer.encode_batch(list(texts))
        ]

    def pad(self, rows: Sequence[Tokens]) -> EncodedBatch:
        """Pads tokenized texts to the longest of them and builds the graph's input arrays."""
        lengths = tuple(len(r.ids) for r in rows)
        # A tokenizer without special tokens turns "" into no tokens; graphs need width >= 1.
        width = max(1, *lengths) if lengths else 1
        ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        types = np.zeros((len(rows), width), dtype=np.int64)
        for row, tokens in enumerate(rows):
            n = len(tokens.ids)
            if n == 0:
                mask[row, 0] = 1  # attend to one pad token rather than to nothing
                continue
            ids[row, :n] = tokens.ids
            mask[row, :n] = 1
            types[row, :n] = tokens.type_ids
        available = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        arrays = {name: available[name] for name in self.input_names}
        truncated = tuple(r.truncated for r in rows)
        return EncodedBatch(arrays=arrays, lengths=lengths, truncated=truncated)


def _pad_id(tokenizer: Tokenizer) -> int:
    padding = tokenizer.padding
    if padding is not None:
        return int(padding["pad_id"])
    for token in _PAD_TOKENS:
        token_id = tokenizer.token_to_id(token)
        if token_id is not None:
            return int(token_id)
    logger.debug("tokenizer declares no pad token; padding with id 0")
    return 0


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
