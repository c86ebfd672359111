"""Loading a checkpoint's tokenizer and writing it as a single ``tokenizer.json``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer

from moodmoji.inference.errors import ExportError

logger = logging.getLogger(__name__)

ABSURD_MAX_LENGTH = 100_000
"""Tokenizers that declare no limit report ~1e30; anything above this counts as no limit."""
FALLBACK_MAX_LENGTH = 512


@dataclass(frozen=True)
class SourceTokenizer:
    """The fast tokenizer of a checkpoint.

    Attributes:
        backend: Its ``tokenizers.Tokenizer``.
        declared_max_length: ``model_max_length`` from the tokenizer config, or ``None`` when it
            declares no sensible limit.
        pad_id: Id of the padding token.
        pad_token: The padding token.
        vocab_size: Vocabulary size, added tokens included.
    """

    backend: Tokenizer
    declared_max_length: int | None
    pad_id: int
    pad_token: str
    vocab_size: int


def load_tokenizer(src: Path) -> SourceTokenizer:
    """Loads a checkpoint's tokenizer with ``transformers.AutoTokenizer`` (fast, offline).

    Works from ``tokenizer.json`` or from the slow files (``spm.model``, ``vocab.txt``...),
    which transformers converts.

    Args:
        src: The checkpoint directory.

    Returns:
        The tokenizer.

    Raises:
        ExportError: No fast tokenizer can be loaded from the directory.
    """
    from transformers import AutoTokenizer

    try:
        tok: Any = AutoTokenizer.from_pretrained(src, use_fast=True, local_files_only=True)
    except Exception as exc:  # transformers raises many types for missing/broken files
        first = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise ExportError(f"{src}: cannot load a tokenizer ({first})") from None
    backend = getattr(tok, "backend_tokenizer", None)
    if not isinstance(backend, Tokenizer):
        raise ExportError(f"{src}: the tokenizer has no fast (tokenizers) backend")
    declared = getattr(tok, "model_max_length", None)
    declared_max = (
        int(declared)
        if isinstance(declared, int | float) and declared <= ABSURD_MAX_LENGTH
        else None
    )
    pad_id = tok.pad_token_id
    pad_token = tok.pad_token
    if pad_id is None or pad_token is None:
        logger.warning("%s: tokenizer declares no pad token; padding with id 0", src)
        pad_id, pad_token = 0, backend.id_to_token(0) or "[PAD]"
    return SourceTokenizer(
        backend=Tokenizer.from_str(backend.to_str()),
        declared_max_length=declared_max,
        pad_id=int(pad_id),
        pad_token=str(pad_token),
        vocab_size=int(backend.get_vocab_size(with_added_tokens=True)),
    )


def choose_max_length(
    given: int | None,
    *,
    declared: int | None,
    max_positions: int | None,
    trained: int | None,
) -> int:
    """Picks the manifest's ``max_length``.

    Args:
        given: ``--max-length``, if passed.
        declared: The tokenizer's ``model_max_length`` (``None`` if absurd or absent).
        max_positions: Longest sequence the position embeddings allow (``None``: relative).
        trained: Max length the model is known to be trained with (BertMoji: 96).

    Returns:
        The length: the given one; else the trained one; else the tokenizer's capped by the
        position embeddings; else the position embeddings capped at 512.

    Raises:
        ExportError: The given length is below 2 or beyond the position embeddings.
    """
    if given is not None:
        limit = max_positions or 8192
        if not 2 <= given <= limit:
            raise ExportError(f"--max-length: {given} must lie between 2 and {limit}")
        return given
    if trained is not None:
        return trained if max_positions is None else min(trained, max_positions)
    if declared is not None:
        return declared if max_positions is None else min(declared, max_positions)
    return min(max_positions or FALLBACK_MAX_LENGTH, FALLBACK_MAX_LENGTH)


def save_tokenizer(tokenizer: SourceTokenizer, path: Path, max_length: int) -> int:
    """Writes ``tokenizer.json`` with truncation at ``max_length`` and padding to the longest.

    Args:
        tokenizer: The loaded tokenizer.
        path: Where to write.
        max_length: Truncation length.

    Returns:
        The size of the written file in bytes.
    """
    out = Tokenizer.from_str(tokenizer.backend.to_str())
    out.enable_truncation(max_length=max_length)
    out.enable_padding(pad_id=tokenizer.pad_id, pad_token=tokenizer.pad_token)
    out.save(str(path))
    return path.stat().st_size
