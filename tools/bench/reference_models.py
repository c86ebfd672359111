"""The five models moodmoji was specified against, rebuilt at their real sizes.

The real checkpoints cannot be downloaded here, so each one is rebuilt as a Hugging Face
checkpoint directory of the same architecture, the same layer sizes and the same file layout,
with random weights. A model with random weights costs exactly as much to run as a trained one
of the same shape, which is all ``moodmoji bench`` needs from them.

Tokenizers are stand-ins of the same kind and size class as the real ones, built offline:

- BERT and DistilBERT use the 30,522-entry uncased WordPiece vocabulary that ships inside the
  default model's ``tokenizer.json`` (the ``bert-base-uncased`` vocabulary). bert-base-cased
  really has a 28,996-entry cased vocabulary; it gets the same uncased vocabulary with
  ``do_lower_case=False`` instead.
- BertMoji's DeBERTa-v3 tokenizer is a SentencePiece unigram model trained on the repo's own
  texts (the reply bank, plus ``tools/bench/data/bench_messages.jsonl`` when present), with
  DeBERTa-v3's special ids ([PAD]=0, [CLS]=1, [SEP]=2, [UNK]=3, then [MASK]). It is much
  smaller than DeBERTa-v3's 128,000 pieces but splits chat text into a similar number of
  tokens.

Every model's embedding table has ``max(real vocabulary size, tokenizer size)`` rows, so every
id the tokenizer emits is valid and no model is smaller than the real one (bert-base-cased ends
up 1.2M parameters, about 1%, larger).

Example::

    checkpoints = ensure_reference_checkpoints(Path("~/.cache/moodmoji/bench/v1").expanduser())
    for checkpoint in checkpoints:
        print(checkpoint.spec.card_id, checkpoint.path, checkpoint.reused)
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from moodmoji.bot.suggestions import REPLY_BANK_FILE
from moodmoji.inference.default_model import DEFAULT_MODEL_DIR
from moodmoji.inference.errors import ExportError
from moodmoji.inference.manifest import TOKENIZER_FILE
from moodmoji.tools.bench.messages import BENCH_MESSAGES_FILE

EXPORT_EXTRA_HINT = "moodmoji bench needs the export extra: pip install 'moodmoji[export]'"
"""The message of the :class:`ImportError` raised when the export extra is missing."""

try:
    import emoji
    import sentencepiece as spm
    import torch
    from torch import nn
    from transformers import (
        AutoTokenizer,
        BertConfig,
        BertForSequenceClassification,
        DebertaV2Config,
        DistilBertConfig,
        DistilBertForSequenceClassification,
    )
    from transformers.utils import logging as hf_logging

    from moodmoji.inference.export.bertmoji import BERTMOJI_MAX_LENGTH, MAPPINGS_FILE, BertMoji
    from moodmoji.inference.export.labels import (
        BERT_EMOTION_LABELS,
        EMOTION_LABELS,
        GOEMOTIONS_LABELS,
    )
except (ImportError, ExportError) as exc:  # inference.export raises ExportError without it
    raise ImportError(EXPORT_EXTRA_HINT) from exc

logger = logging.getLogger(__name__)

__all__ = [
    "BERTMOJI",
    "BERTMOJI_WEIGHTS",
    "BERT_CASED_EMOTION",
    "BERT_EMOTION13",
    "BERT_EMOTION_LABELS",
    "BUILD_RECORD",
    "DISTILBERT_EMOTION",
    "EMOTICARE",
    "EXPORT_EXTRA_HINT",
    "REFERENCE_SPECS",
    "Architecture",
    "ReferenceCheckpoint",
    "ReferenceSpec",
    "build_reference_checkpoint",
    "build_reference_module",
    "checkpoint_fingerprint",
    "directory_bytes",
    "ensure_reference_checkpoints",
    "fingerprint_of",
    "read_build_record",
    "reference_corpus",
    "write_build_record",
]

BUILD_RECORD = ".moodmoji-build.json"
"""Written last into every cached directory; a directory without a matching one is rebuilt."""
BUILDER_VERSION = 1
"""Bump when the builders change what they write, so that caches are rebuilt."""
BERTMOJI_WEIGHTS = "pytorch_model.bin"
SPM_FILE = "spm.model"
SPM_VOCAB_SIZE = 8000
"""Upper bound of the stand-in SentencePiece vocabulary (the repo's texts yield fewer)."""
MAX_POSITIONS = 512


class Architecture(StrEnum):
    """How a reference model is built, saved and loaded."""

    BERTMOJI = "bertmoji"
    """DeBERTa-v3 encoder + CLS emoji head, a plain state dict plus ``emoji_mappings.json``."""
    BERT = "bert"
    """``BertForSequenceClassification``."""
    DISTILBERT = "distilbert"
    """``DistilBertForSequenceClassification``."""


@dataclass(frozen=True)
class ReferenceSpec:
    """The shape of one reference model.

    Attributes:
        name: Short id; also the name of its checkpoint and bundle directories.
        card_id: The model as its card names it (for tables).
        architecture: How it is built.
        layers: Transformer layers.
        hidden: Hidden size.
        heads: Attention heads.
        intermediate: Feed-forward size.
        vocab_size: The real model's vocabulary size (the built model has at least as many
            embedding rows as its tokenizer has tokens).
        labels: Output labels, in order (emoji characters for BertMoji).
        multi_label: Whether the head is sigmoid multi-label (else softmax).
        max_length: Longest token sequence the model is run with.
        lowercase: Whether the tokenizer lowercases (``do_lower_case``).
        position_buckets: DeBERTa-v3 relative position buckets (BertMoji only).
        initializer_range: Standard deviation of the random weights (transformers' default).
    """

    name: str
    card_id: str
    architecture: Architecture
    layers: int
    hidden: int
    heads: int
    intermediate: int
    vocab_size: int
    labels: tuple[str, ...]
    multi_label: bool = False
    max_length: int = MAX_POSITIONS
    lowercase: bool = True
    position_buckets: int = 256
    initializer_range: float = 0.02

    @property
    def num_labels(self) -> int:
        """Width of the classifier output."""
        return len(self.labels)


@dataclass(frozen=True)
class ReferenceCheckpoint:
    """A reference checkpoint directory, built now or found complete in the cache.

    Attributes:
        spec: What it holds.
        path: The checkpoint directory.
        reused: Whether it was found in the cache (``False``: built by this call).
        build_seconds: How long building it took (when reused: when it was built).
        size_bytes: Total size of its files.
    """

    spec: ReferenceSpec
    path: Path
    reused: bool
    build_seconds: float
    size_bytes: int


def _emoji_labels(count: int) -> tuple[str, ...]:
    """``count`` distinct single-code-point, fully qualified emoji, in code point order."""
    qualified = emoji.STATUS["fully_qualified"]
    chars = sorted(
        char
        for char, data in emoji.EMOJI_DATA.items()
        if len(char) == 1 and data.get("status") == qualified
    )
    return tuple(chars[:count])


BERTMOJI = ReferenceSpec(
    name="bertmoji",
    card_id="BertMoji (DeBERTa-v3-small)",
    architecture=Architecture.BERTMOJI,
    layers=6,
    hidden=768,
    heads=12,
    intermediate=3072,
    vocab_size=128100,
    labels=_emoji_labels(250),
    max_length=BERTMOJI_MAX_LENGTH,
    lowercase=False,
)
DISTILBERT_EMOTION = ReferenceSpec(
    name="distilbert-emotion",
    card_id="DistilBERT emotion (distilbert-base-uncased, 6 labels)",
    architecture=Architecture.DISTILBERT,
    layers=6,
    hidden=768,
    heads=12,
    intermediate=3072,
    vocab_size=30522,
    labels=EMOTION_LABELS,
)
BERT_CASED_EMOTION = ReferenceSpec(
    name="bert-cased-emotion",
    card_id="BERT emotion (bert-base-cased, 6 labels)",
    architecture=Architecture.BERT,
    layers=12,
    hidden=768,
    heads=12,
    intermediate=3072,
    vocab_size=28996,
    labels=EMOTION_LABELS,
    lowercase=False,
)
BERT_EMOTION13 = ReferenceSpec(
    name="bert-emotion13",
    card_id="BERT-Emotion (BERT 4 layers, hidden 128, 13 labels)",
    architecture=Architecture.BERT,
    layers=4,
    hidden=128,
    heads=2,
    intermediate=512,
    vocab_size=30522,
    labels=BERT_EMOTION_LABELS,
)
EMOTICARE = ReferenceSpec(
    name="emoticare",
    card_id="EmotiCare (DistilBERT, 28 GoEmotions labels)",
    architecture=Architecture.DISTILBERT,
    layers=6,
    hidden=768,
    heads=12,
    intermediate=3072,
    vocab_size=30522,
    labels=GOEMOTIONS_LABELS,
    multi_label=True,
)

REFERENCE_SPECS: tuple[ReferenceSpec, ...] = (
    BERTMOJI,
    DISTILBERT_EMOTION,
    BERT_CASED_EMOTION,
    BERT_EMOTION13,
    EMOTICARE,
)
"""The five models of the original specification, at their real sizes, in run order."""


# --- modules --------------------------------------------------------------------------------


def _label_config(spec: ReferenceSpec) -> dict[str, Any]:
    return {
        "id2label": dict(enumerate(spec.labels)),
        "label2id": {label: i for i, label in enumerate(spec.labels)},
        "problem_type": (
            "multi_label_classification" if spec.multi_label else "single_label_classification"
        ),
    }


def _deberta_v3_config(spec: ReferenceSpec, vocab_size: int) -> DebertaV2Config:
    """The deberta-v3-small encoder configuration with ``spec``'s sizes."""
    values: dict[str, Any] = {
        "vocab_size": vocab_size,
        "hidden_size": spec.hidden,
        "num_hidden_layers": spec.layers,
        "num_attention_heads": spec.heads,
        "intermediate_size": spec.intermediate,
        "hidden_act": "gelu",
        "layer_norm_eps": 1e-7,
        "relative_attention": True,
        "position_buckets": spec.position_buckets,
        "max_relative_positions": -1,
        "pos_att_type": ["p2c", "c2p"],
        "share_att_key": True,
        "norm_rel_ebd": "layer_norm",
        "position_biased_input": False,
        "type_vocab_size": 0,
        "max_position_embeddings": MAX_POSITIONS,
        "pad_token_id": 0,
        "initializer_range": spec.initializer_range,
    }
    return DebertaV2Config(**values)


def build_reference_module(spec: ReferenceSpec, vocab_size: int | None = None) -> nn.Module:
    """Instantiates a reference model with fresh random weights (transformers' own init).

    Works under a ``torch.device("meta")`` context too, to count parameters without memory.

    Args:
        spec: The model's shape.
        vocab_size: Rows of the word embedding table (default: ``spec.vocab_size``).

    Returns:
        The module, in training mode as constructed: a ``BertMoji`` or a
        ``*ForSequenceClassification`` model.
    """
    vocab = spec.vocab_size if vocab_size is None else vocab_size
    if spec.architecture is Architecture.BERTMOJI:
        return BertMoji(_deberta_v3_config(spec, vocab), spec.num_labels)
    if spec.architecture is Architecture.BERT:
        bert = BertConfig(
            vocab_size=vocab,
            hidden_size=spec.hidden,
            num_hidden_layers=spec.layers,
            num_attention_heads=spec.heads,
            intermediate_size=spec.intermediate,
            max_position_embeddings=MAX_POSITIONS,
            initializer_range=spec.initializer_range,
            **_label_config(spec),
        )
        return BertForSequenceClassification(bert)
    distil = DistilBertConfig(
        vocab_size=vocab,
        dim=spec.hidden,
        n_layers=spec.layers,
        n_heads=spec.heads,
        hidden_dim=spec.intermediate,
        max_position_embeddings=MAX_POSITIONS,
        initializer_range=spec.initializer_range,
        **_label_config(spec),
    )
    return DistilBertForSequenceClassification(distil)


# --- tokenizers -----------------------------------------------------------------------------


def _wordpiece_source() -> Path:
    return DEFAULT_MODEL_DIR / TOKENIZER_FILE


def _wordpiece_vocab() -> dict[str, int]:
    """The default model's WordPiece vocabulary (token -> id)."""
    path = _wordpiece_source()
    model = json.loads(path.read_text(encoding="utf-8")).get("model") or {}
    vocab = model.get("vocab")
    if model.get("type") != "WordPiece" or not isinstance(vocab, dict):
        raise ValueError(f"{path}: expected a WordPiece tokenizer to borrow the vocabulary from")
    return {str(token): int(i) for token, i in vocab.items()}


def _save_wordpiece_tokenizer(spec: ReferenceSpec, directory: Path) -> int:
    """Saves a BERT/DistilBERT tokenizer as hub checkpoints ship it; returns its size.

    ``vocab.txt`` and ``tokenizer_config.json`` are written, then loaded with ``AutoTokenizer``
    and saved again, which adds the fast ``tokenizer.json``.
    """
    vocab = _wordpiece_vocab()
    tokens = sorted(vocab, key=vocab.__getitem__)
    (directory / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
    distil = spec.architecture is Architecture.DISTILBERT
    config = {
        "tokenizer_class": "DistilBertTokenizer" if distil else "BertTokenizer",
        "do_lower_case": spec.lowercase,
        "model_max_length": spec.max_length,
    }
    (directory / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    tokenizer.save_pretrained(directory)
    return len(tokens)


def _jsonl_texts(path: Path, fields: Sequence[str]) -> Iterator[str]:
    """Strings found under ``fields`` (strings or lists of strings) of a JSONL file's objects."""
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, str):
            yield row
            continue
        if not isinstance(row, dict):
            continue
        for name in fields:
            value = row.get(name)
            values = value if isinstance(value, list) else [value]
            yield from (v for v in values if isinstance(v, str) and v.strip())


def reference_corpus() -> tuple[str, ...]:
    """The texts the stand-in SentencePiece model is trained on.

    The reply bank's replies and example messages, plus ``bench_messages.jsonl`` (its ``text``
    fields) when the package data holds one.
    """
    texts = list(_jsonl_texts(REPLY_BANK_FILE, ("text", "examples")))
    bench = BENCH_MESSAGES_FILE
    if bench.is_file():
        texts.extend(_jsonl_texts(bench, ("text",)))
    return tuple(texts)


def save_spm_tokenizer(
    directory: Path,
    corpus: Sequence[str],
    *,
    vocab_size: int = SPM_VOCAB_SIZE,
    declared_max_length: int | None = None,
) -> int:
    """Trains and saves a DeBERTa-v3-style SentencePiece tokenizer; returns its size."""
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus),
        model_writer=buffer,
        model_type="unigram",
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        character_coverage=1.0,
        pad_id=0,
        bos_id=1,
        eos_id=2,
        unk_id=3,
        pad_piece="[PAD]",
        bos_piece="[CLS]",
        eos_piece="[SEP]",
        unk_piece="[UNK]",
        user_defined_symbols=["[MASK]"],
        num_threads=2,
        minloglevel=2,
    )
    model = buffer.getvalue()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / SPM_FILE).write_bytes(model)
    config: dict[str, Any] = {
        "tokenizer_class": "DebertaV2Tokenizer",
        "vocab_type": "spm",
        "do_lower_case": False,
        "split_by_punct": False,
        "bos_token": "[CLS]",
        "eos_token": "[SEP]",
        "cls_token": "[CLS]",
        "sep_token": "[SEP]",
        "unk_token": "[UNK]",
        "pad_token": "[PAD]",
        "mask_token": "[MASK]",
    }
    if declared_max_length is not None:
        config["model_max_length"] = declared_max_length
    (directory / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    return int(spm.SentencePieceProcessor(model_proto=model).get_piece_size())


# --- build records --------------------------------------------------------------------------


def read_build_record(directory: Path, fingerprint: str) -> dict[str, Any] | None:
    """Returns the build record of a complete cached directory, or ``None``.

    Args:
        directory: A cached checkpoint or bundle directory.
        fingerprint: What the record must have been written for.

    Returns:
        The record, when present, readable and written for ``fingerprint``.
    """
    try:
        record = json.loads((directory / BUILD_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("fingerprint") != fingerprint:
        return None
    return record


def write_build_record(directory: Path, fingerprint: str, **facts: Any) -> dict[str, Any]:
    """Marks ``directory`` complete (call last, after everything else is written).

    Args:
        directory: The directory just built.
        fingerprint: What it was built from.
        **facts: JSON-serialisable facts to keep with it (timings, sizes).

    Returns:
        The record written.
    """
    record = {"fingerprint": fingerprint, **facts}
    (directory / BUILD_RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


def directory_bytes(directory: Path) -> int:
    """Total size of the files directly in ``directory``."""
    return sum(p.stat().st_size for p in directory.iterdir() if p.is_file())


def fingerprint_of(payload: Mapping[str, Any]) -> str:
    """A stable digest of a JSON-serialisable payload."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def checkpoint_fingerprint(spec: ReferenceSpec, seed: int) -> str:
    """What a built checkpoint depends on: builder version, spec, seed, tokenizer source."""
    if spec.architecture is Architecture.BERTMOJI:
        source = hashlib.sha256("\n".join(reference_corpus()).encode("utf-8")).hexdigest()
    else:
        source = hashlib.sha256(_wordpiece_source().read_bytes()).hexdigest()
    return fingerprint_of(
        {"builder": BUILDER_VERSION, "spec": asdict(spec), "seed": seed, "tokenizer": source}
    )


# --- checkpoints ----------------------------------------------------------------------------


def build_reference_checkpoint(spec: ReferenceSpec, directory: Path, seed: int = 0) -> Path:
    """Writes a checkpoint directory with random weights that transformers loads offline.

    BertMoji is written the way its training code saves it and ``moodmoji export`` reads it:
    the encoder's ``config.json``, the module's state dict in ``pytorch_model.bin`` and the
    labels in ``emoji_mappings.json`` (``id_to_emoji``), with a DeBERTa-v3 ``spm.model``
    tokenizer. The others are written with ``save_pretrained`` (``config.json`` with named
    labels, ``model.safetensors``, the tokenizer files). A build record is written last.

    Args:
        spec: The model's shape.
        directory: Where to write (created if needed; existing files are overwritten).
        seed: Seed of the random weights.

    Returns:
        ``directory``.
    """
    started = time.perf_counter()
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # keep stderr quiet
    fingerprint = checkpoint_fingerprint(spec, seed)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / BUILD_RECORD).unlink(missing_ok=True)
    if spec.architecture is Architecture.BERTMOJI:
        tokens = save_spm_tokenizer(directory, reference_corpus())
    else:
        tokens = _save_wordpiece_tokenizer(spec, directory)
    vocab = max(spec.vocab_size, tokens)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = build_reference_module(spec, vocab).eval()
    if isinstance(module, BertMoji):
        torch.save(module.state_dict(), directory / BERTMOJI_WEIGHTS)
        module.encoder.config.save_pretrained(directory)
        mapping = {"id_to_emoji": {str(i): label for i, label in enumerate(spec.labels)}}
        (directory / MAPPINGS_FILE).write_text(
            json.dumps(mapping, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    else:
        module.save_pretrained(directory)  # type: ignore[operator]
    seconds = time.perf_counter() - started
    write_build_record(
        directory,
        fingerprint,
        name=spec.name,
        build_seconds=round(seconds, 3),
        vocab_size=vocab,
        tokenizer_size=tokens,
    )
    logger.info("built reference checkpoint %s in %.1f s", spec.name, seconds)
    return directory


def ensure_reference_checkpoints(
    cache_dir: Path,
    specs: Iterable[ReferenceSpec] = REFERENCE_SPECS,
    *,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> tuple[ReferenceCheckpoint, ...]:
    """Returns the reference checkpoints under ``cache_dir``, building the missing ones.

    A checkpoint lives in ``cache_dir / spec.name``. One whose build record is missing or was
    written for another spec, seed, builder version or tokenizer source is deleted and rebuilt.

    Args:
        cache_dir: The cache directory (created if needed).
        specs: The models (default: the five real-size ones).
        seed: Seed of the random weights.
        progress: Called with a short line before each build (e.g. to print it).

    Returns:
        One checkpoint per spec, in order.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    found: list[ReferenceCheckpoint] = []
    for spec in specs:
        directory = cache_dir / spec.name
        fingerprint = checkpoint_fingerprint(spec, seed)
        record = read_build_record(directory, fingerprint)
        reused = record is not None
        if record is None:
            if progress is not None:
                progress(f"building {spec.card_id} with random weights")
            shutil.rmtree(directory, ignore_errors=True)
            build_reference_checkpoint(spec, directory, seed)
            record = read_build_record(directory, fingerprint) or {}
        found.append(
            ReferenceCheckpoint(
                spec=spec,
                path=directory,
                reused=reused,
                build_seconds=float(record.get("build_seconds", 0.0)),
                size_bytes=directory_bytes(directory),
            )
        )
    return tuple(found)
