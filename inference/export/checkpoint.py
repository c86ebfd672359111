"""Recognising a checkpoint directory and loading it as a logits-returning torch module."""

from __future__ import annotations

import inspect
import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import torch
from torch import nn

from moodmoji.inference.errors import ExportError
from moodmoji.inference.export.bertmoji import (
    BERTMOJI_MAX_LENGTH,
    MAPPINGS_FILE,
    load_bertmoji,
    read_emoji_labels,
)

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
SHARDED_WEIGHT_FILES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")
SUPPORTED_MODEL_TYPES = ("bert", "distilbert", "roberta", "deberta-v2")
"""``model_type`` values whose ``*ForSequenceClassification`` models export (tested)."""


class CheckpointKind(StrEnum):
    """The families of checkpoints the exporter understands."""

    BERTMOJI = "bertmoji"
    SEQUENCE_CLASSIFICATION = "sequence-classification"


@dataclass(frozen=True)
class Checkpoint:
    """A recognised checkpoint directory (nothing loaded yet).

    Attributes:
        src: The directory.
        kind: Its family.
        config: Content of ``config.json``, or ``None`` when absent.
        weights: The weights file.
    """

    src: Path
    kind: CheckpointKind
    config: dict[str, Any] | None
    weights: Path


@dataclass(frozen=True)
class LoadedModel:
    """A checkpoint loaded for export.

    Attributes:
        module: Module in eval mode; ``forward(input_ids, attention_mask[, token_type_ids])``
            returns logits of shape (batch, num_labels).
        architecture: ``BertMoji`` or the Hugging Face class name.
        model_type: The encoder's ``model_type``.
        input_names: Graph inputs, in the order ``forward`` takes them.
        labels: Labels found in the checkpoint, one per output (may be generic).
        labels_file: The file the labels came from (named in errors).
        multi_label: Whether the model was trained multi-label.
        emoji: Emoji per output for emoji classifiers, else ``None``.
        vocab_size: Rows of the word embedding table.
        max_positions: Longest sequence the position embeddings allow; ``None`` when
            positions are purely relative.
        default_max_length: Max length the model was trained with, when known.
    """

    module: nn.Module
    architecture: str
    model_type: str
    input_names: tuple[str, ...]
    labels: tuple[str, ...]
    labels_file: Path
    multi_label: bool
    emoji: tuple[str, ...] | None
    vocab_size: int
    max_positions: int | None
    default_max_length: int | None


def inspect_checkpoint(src: Path) -> Checkpoint:
    """Recognises a checkpoint directory.

    A directory with ``emoji_mappings.json`` whose config (if any) is not a sequence
    classifier is BertMoji; a ``config.json`` of a supported ``model_type`` is a
    ``*ForSequenceClassification`` model.

    Args:
        src: The checkpoint directory.

    Returns:
        The recognised checkpoint.

    Raises:
        ExportError: The directory is missing, has no config and no weights, or holds an
            unknown architecture (the message names the file).
    """
    if not src.is_dir():
        raise ExportError(f"{src}: checkpoint directory not found")
    config_path = src / CONFIG_FILE
    config = _read_config(config_path) if config_path.is_file() else None
    weights = next((src / name for name in WEIGHT_FILES if (src / name).is_file()), None)
    if config is None and weights is None:
        raise ExportError(f"{src}: no {CONFIG_FILE} and no pytorch_model.bin: not a checkpoint")
    architectures = [str(a) for a in (config or {}).get("architectures") or []]
    is_classifier = any(a.endswith("ForSequenceClassification") for a in architectures)
    if (src / MAPPINGS_FILE).is_file() and not is_classifier:
        if weights is None:
            raise ExportError(f"{src}: BertMoji checkpoint without pytorch_model.bin")
        return Checkpoint(src=src, kind=CheckpointKind.BERTMOJI, config=config, weights=weights)
    if config is None:
        raise ExportError(
            f"{config_path}: missing (and no {MAPPINGS_FILE}, so not a BertMoji checkpoint)"
        )
    model_type = str(config.get("model_type", ""))
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise ExportError(
            f"{config_path}: unknown architecture (model_type {model_type or 'missing'!r}); "
            f"supported: BertMoji, {', '.join(SUPPORTED_MODEL_TYPES)} sequence classifiers"
        )
    if architectures and not is_classifier:
        raise ExportError(
            f"{config_path}: architecture {architectures[0]} is not a *ForSequenceClassification "
            "model"
        )
    if weights is None:
        weights = next(
            (src / name for name in SHARDED_WEIGHT_FILES if (src / name).is_file()), None
        )
    if weights is None:
        raise ExportError(f"{src}: no weights ({' or '.join(WEIGHT_FILES)})")
    return Checkpoint(
        src=src, kind=CheckpointKind.SEQUENCE_CLASSIFICATION, config=config, weights=weights
    )


def _read_config(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(raw, dict):
        raise ExportError(f"{path}: expected a JSON object")
    return raw


def load_model(checkpoint: Checkpoint) -> LoadedModel:
    """Loads a recognised checkpoint in eval mode on the CPU.

    Args:
        checkpoint: What :func:`inspect_checkpoint` found.

    Returns:
        The model and what the exporter needs to know about it.

    Raises:
        ExportError: The weights cannot be loaded or lack the classifier.
    """
    if checkpoint.kind is CheckpointKind.BERTMOJI:
        return _load_bertmoji(checkpoint)
    return _load_sequence_classifier(checkpoint)


def _load_bertmoji(checkpoint: Checkpoint) -> LoadedModel:
    labels = read_emoji_labels(checkpoint.src)
    model, config = load_bertmoji(checkpoint.src, checkpoint.weights, checkpoint.config)
    width = model.classifier[4].out_features
    if width != len(labels):
        raise ExportError(
            f"{checkpoint.src / MAPPINGS_FILE}: {len(labels)} emoji but the classifier in "
            f"{checkpoint.weights.name} has {width} outputs"
        )
    names = ["input_ids", "attention_mask"]
    return LoadedModel(
        module=model,
        architecture="BertMoji",
        model_type="deberta-v2",
        input_names=tuple(names),
        labels=labels,
        labels_file=checkpoint.src / MAPPINGS_FILE,
        multi_label=False,
        emoji=labels,
        vocab_size=int(config.vocab_size),
        max_positions=_max_positions(config),
        default_max_length=BERTMOJI_MAX_LENGTH,
    )


class SequenceClassifierLogits(nn.Module):
    """Wraps a Hugging Face sequence classifier so that ``forward`` returns bare logits.

    Args:
        model: A ``*ForSequenceClassification`` model.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Returns the classifier logits, shape (batch, num_labels)."""
        kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            kwargs["token_type_ids"] = token_type_ids
        logits: torch.Tensor = self.model(**kwargs).logits
        return logits


def _load_sequence_classifier(checkpoint: Checkpoint) -> LoadedModel:
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # keep stderr to errors

    config_path = checkpoint.src / CONFIG_FILE
    try:
        model, info = AutoModelForSequenceClassification.from_pretrained(
            checkpoint.src,
            local_files_only=True,
            output_loading_info=True,
            dtype=torch.float32,  # half-precision checkpoints still export an fp32 graph
        )
    except Exception as exc:  # transformers raises many types for broken checkpoints
        first = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise ExportError(f"{checkpoint.src}: cannot load the classifier ({first})") from None
    missing = sorted(info.get("missing_keys") or [])
    if missing:
        raise ExportError(
            f"{checkpoint.weights}: {len(missing)} weights missing ({', '.join(missing[:3])}): "
            "not a fine-tuned sequence classifier"
        )
    mismatched = list(info.get("mismatched_keys") or [])
    if mismatched:
        raise ExportError(f"{checkpoint.weights}: weights with the wrong shape ({mismatched[0]})")
    model.eval()
    config = model.config
    id2label = {int(k): str(v) for k, v in (config.id2label or {}).items()}
    num_labels = int(config.num_labels)
    if sorted(id2label) != list(range(num_labels)):
        raise ExportError(f"{config_path}: id2label does not cover ids 0..{num_labels - 1}")
    names = ["input_ids", "attention_mask"]
    accepts_types = "token_type_ids" in inspect.signature(model.forward).parameters
    if accepts_types and int(getattr(config, "type_vocab_size", 0) or 0) > 0:
        names.append("token_type_ids")
    architecture = type(model).__name__
    logger.info("loaded %s (%s, %d labels)", architecture, config.model_type, num_labels)
    return LoadedModel(
        module=SequenceClassifierLogits(model).eval(),
        architecture=architecture,
        model_type=str(config.model_type),
        input_names=tuple(names),
        labels=tuple(id2label[i] for i in range(num_labels)),
        labels_file=config_path,
        multi_label=config.problem_type == "multi_label_classification",
        emoji=None,
        vocab_size=int(config.vocab_size),
        max_positions=_max_positions(config),
        default_max_length=None,
    )


def _max_positions(config: Any) -> int | None:
    """Longest sequence the absolute position embeddings allow (``None``: relative only)."""
    model_type = getattr(config, "model_type", "")
    if model_type == "deberta-v2" and not getattr(config, "position_biased_input", True):
        return None
    positions = getattr(config, "max_position_embeddings", None)
    if positions is None:
        return None
    if model_type in ("roberta", "xlm-roberta", "camembert"):
        # RoBERTa numbers positions from padding_idx + 1.
        positions -= int(getattr(config, "pad_token_id", 1) or 0) + 1
    return int(positions)
