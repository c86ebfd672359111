"""BertMoji: a DeBERTa-v3 encoder with an emoji classifier on the CLS token.

The checkpoint is a plain state dict (``pytorch_model.bin`` or ``model.safetensors``) of a
module holding ``encoder`` (a ``DebertaV2Model``) and ``classifier`` (Dropout, Linear(h, h),
GELU, Dropout, Linear(h, n)), its labels are in ``emoji_mappings.json`` under ``id_to_emoji``,
and the encoder's ``config.json`` may be missing, in which case the configuration is rebuilt
from deberta-v3-small defaults and the tensor shapes.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import DebertaV2Config, DebertaV2Model

from moodmoji.inference.errors import ExportError
from moodmoji.inference.export.labels import resolve_emoji

logger = logging.getLogger(__name__)

MAPPINGS_FILE = "emoji_mappings.json"
BERTMOJI_MAX_LENGTH = 96

DEBERTA_V3_SMALL_DEFAULTS: dict[str, Any] = {
    "hidden_size": 768,
    "num_hidden_layers": 6,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "vocab_size": 128100,
    "hidden_act": "gelu",
    "layer_norm_eps": 1e-7,
    "relative_attention": True,
    "position_buckets": 256,
    "max_relative_positions": -1,
    "pos_att_type": ["p2c", "c2p"],
    "norm_rel_ebd": "layer_norm",
    "share_att_key": True,
    "position_biased_input": False,
    "type_vocab_size": 0,
    "max_position_embeddings": 512,
    "pad_token_id": 0,
}
"""The deberta-v3-small encoder configuration, used when a checkpoint has no config.json."""

_WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"
_CLASSIFIER_KEYS = ("1.weight", "1.bias", "4.weight", "4.bias")
_LAYER = re.compile(r"^encoder\.layer\.(\d+)\.")


class BertMoji(nn.Module):
    """DeBERTa-v2/v3 encoder, CLS token, two-layer classifier.

    Args:
        config: The encoder configuration.
        num_labels: Width of the classifier output.
    """

    def __init__(self, config: DebertaV2Config, num_labels: int) -> None:
        super().__init__()
        hidden = int(config.hidden_size)
        self.encoder = DebertaV2Model(config)
        self.classifier = nn.Sequential(
            nn.Dropout(0.1),
            nn.Linear(hidden, hidden),
            nn.GELU(),
            nn.Dropout(0.1),
            nn.Linear(hidden, num_labels),
        )

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Returns the classifier logits, shape (batch, num_labels)."""
        del token_type_ids  # the v3 encoder has no token type embeddings
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        logits: torch.Tensor = self.classifier(hidden.last_hidden_state[:, 0])
        return logits


def read_emoji_labels(src: Path) -> tuple[str, ...]:
    """Reads ``emoji_mappings.json`` and resolves every entry to an emoji character.

    Args:
        src: The checkpoint directory.

    Returns:
        One emoji per class id, in id order.

    Raises:
        ExportError: The file is unreadable, ids are not 0..n-1, a name cannot be resolved, or
            two ids resolve to the same emoji (the message names the file).
    """
    path = src / MAPPINGS_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"{path}: not a readable JSON file ({exc})") from None
    table = raw.get("id_to_emoji") if isinstance(raw, dict) else None
    if not isinstance(table, dict) or not table:
        raise ExportError(f"{path}: expected an object with a non-empty 'id_to_emoji' map")
    try:
        by_id = {int(key): value for key, value in table.items()}
    except ValueError:
        raise ExportError(f"{path}: id_to_emoji keys must be class ids 0..n-1") from None
    if sorted(by_id) != list(range(len(by_id))):
        raise ExportError(f"{path}: id_to_emoji keys must be class ids 0..{len(by_id) - 1}")
    labels: list[str] = []
    seen: dict[str, int] = {}
    for class_id in range(len(by_id)):
        value = by_id[class_id]
        char = resolve_emoji(value) if isinstance(value, str) else None
        if char is None:
            raise ExportError(f"{path}: cannot resolve emoji name {value!r} (id {class_id})")
        if char in seen:
            raise ExportError(
                f"{path}: ids {seen[char]} and {class_id} both resolve to {char} ({value!r})"
            )
        seen[char] = class_id
        labels.append(char)
    return tuple(labels)


def split_state_dict(
    state: Mapping[str, torch.Tensor], weights: Path
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Splits a BertMoji state dict into encoder and classifier parts, prefixes removed.

    The encoder prefix (``encoder.``, ``deberta.``, ``model.``, none...) is found from the word
    embeddings key; an optional ``module.`` wrapper prefix is tolerated on both parts.

    Args:
        state: The loaded state dict.
        weights: The weights file (named in errors).

    Returns:
        ``(encoder_state, classifier_state)``; classifier keys are ``1.weight`` ... ``4.bias``.

    Raises:
        ExportError: No word embeddings or no two-layer classifier was found.
    """
    embedding_keys = [key for key in state if key.endswith(_WORD_EMBEDDINGS)]
    if len(embedding_keys) != 1:
        raise ExportError(
            f"{weights}: expected one DeBERTa encoder (a key ending in {_WORD_EMBEDDINGS}), "
            f"found {len(embedding_keys)}"
        )
    prefix = embedding_keys[0][: -len(_WORD_EMBEDDINGS)]
    head_keys = [key for key in state if key.endswith("classifier.4.weight")]
    if len(head_keys) != 1:
        raise ExportError(
            f"{weights}: expected a classifier Sequential with keys classifier.1.* and "
            "classifier.4.* (Dropout, Linear, GELU, Dropout, Linear)"
        )
    head_prefix = head_keys[0][: -len("4.weight")]
    classifier = {
        key: state[head_prefix + key] for key in _CLASSIFIER_KEYS if head_prefix + key in state
    }
    if len(classifier) != len(_CLASSIFIER_KEYS):
        missing = [head_prefix + k for k in _CLASSIFIER_KEYS if k not in classifier]
        raise ExportError(f"{weights}: classifier weights missing: {', '.join(missing)}")
    encoder = {
        key[len(prefix) :]: value
        for key, value in state.items()
        if key.startswith(prefix) and not key.startswith(head_prefix)
    }
    return encoder, classifier


def infer_config(encoder_state: Mapping[str, torch.Tensor]) -> DebertaV2Config:
    """Rebuilds a DeBERTa-v3 encoder configuration from deberta-v3-small defaults and shapes.

    Hidden size, vocabulary, layer count, intermediate size, relative position buckets, the
    relative-embedding layer norm, shared attention keys, absolute positions, token types and
    an embedding projection are read off the tensors. The number of attention heads cannot be
    seen in the shapes: it is taken as ``hidden / 64`` (every DeBERTa-v3 size), or
    ``hidden / 16`` for tiny encoders.

    Args:
        encoder_state: Encoder state dict with the prefix removed.

    Returns:
        The configuration.
    """
    values = dict(DEBERTA_V3_SMALL_DEFAULTS)
    words = encoder_state[_WORD_EMBEDDINGS]
    values["vocab_size"] = int(words.shape[0])
    hidden = int(words.shape[1])
    projection = encoder_state.get("embeddings.embed_proj.weight")
    if projection is not None:
        values["embedding_size"] = hidden
        hidden = int(projection.shape[0])
    values["hidden_size"] = hidden
    layers = {int(m.group(1)) for key in encoder_state if (m := _LAYER.match(key))}
    if layers:
        values["num_hidden_layers"] = max(layers) + 1
    intermediate = encoder_state.get("encoder.layer.0.intermediate.dense.weight")
    if intermediate is not None:
        values["intermediate_size"] = int(intermediate.shape[0])
    relative = encoder_state.get("encoder.rel_embeddings.weight")
    values["relative_attention"] = relative is not None
    if relative is not None:
        values["position_buckets"] = int(relative.shape[0]) // 2
    values["norm_rel_ebd"] = "layer_norm" if "encoder.LayerNorm.weight" in encoder_state else "none"
    values["share_att_key"] = not any(".pos_key_proj." in key for key in encoder_state)
    positions = encoder_state.get("embeddings.position_embeddings.weight")
    values["position_biased_input"] = positions is not None
    if positions is not None:
        values["max_position_embeddings"] = int(positions.shape[0])
    types = encoder_state.get("embeddings.token_type_embeddings.weight")
    values["type_vocab_size"] = 0 if types is None else int(types.shape[0])
    conv = encoder_state.get("encoder.conv.conv.weight")
    if conv is not None:
        values["conv_kernel_size"] = int(conv.shape[-1])
    values["num_attention_heads"] = _guess_heads(hidden)
    return DebertaV2Config(**values)


def _guess_heads(hidden: int) -> int:
    for head_size in (64, 16):
        if hidden >= head_size and hidden % head_size == 0:
            return hidden // head_size
    return 1


def load_state_dict(weights: Path) -> dict[str, torch.Tensor]:
    """Loads a state dict safely (``weights_only``) from ``.bin`` or ``.safetensors``.

    Raises:
        ExportError: The file cannot be read as a state dict.
    """
    try:
        if weights.suffix == ".safetensors":
            from safetensors.torch import load_file

            state: Any = load_file(str(weights), device="cpu")
        else:
            state = torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch and safetensors raise many types for corrupt files
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ExportError(f"{weights}: not a loadable state dict ({first})") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ExportError(f"{weights}: expected a state dict of tensors")
    return {str(key): value for key, value in state.items()}


def load_bertmoji(
    src: Path, weights: Path, config_json: Mapping[str, Any] | None
) -> tuple[BertMoji, DebertaV2Config]:
    """Builds a BertMoji module from a checkpoint directory.

    Args:
        src: The checkpoint directory.
        weights: Its state dict file.
        config_json: The encoder's ``config.json`` content, or ``None`` when absent.

    Returns:
        The module in eval mode and its encoder configuration.

    Raises:
        ExportError: The weights do not fit the configuration.
    """
    encoder_state, classifier_state = split_state_dict(load_state_dict(weights), weights)
    if config_json is None:
        config = infer_config(encoder_state)
        logger.warning(
            "%s has no config.json: using deberta-v3-small defaults with shapes from %s "
            "(hidden %d, %d layers, %d heads guessed, vocab %d, %d position buckets)",
            src,
            weights.name,
            config.hidden_size,
            config.num_hidden_layers,
            config.num_attention_heads,
            config.vocab_size,
            config.position_buckets,
        )
    else:
        model_type = config_json.get("model_type", "deberta-v2")
        if model_type != "deberta-v2":
            raise ExportError(
                f"{src / 'config.json'}: a BertMoji encoder must be deberta-v2, not {model_type!r}"
            )
        config = DebertaV2Config.from_dict(dict(config_json))
    num_labels = int(classifier_state["4.weight"].shape[0])
    model = BertMoji(config, num_labels)
    encoder_state = {k: v for k, v in encoder_state.items() if not k.endswith("position_ids")}
    try:
        result = model.encoder.load_state_dict(encoder_state, strict=False)
        model.classifier.load_state_dict(classifier_state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[1 if "\n" in str(exc) else 0].strip()[:300]
        raise ExportError(
            f"{weights}: weights do not fit the encoder configuration ({first})"
        ) from None
    if result.missing_keys or result.unexpected_keys:
        detail = ", ".join([*result.missing_keys[:3], *result.unexpected_keys[:3]])
        raise ExportError(
            f"{weights}: encoder weights do not match a DeBERTa-v2 encoder "
            f"({len(result.missing_keys)} missing, {len(result.unexpected_keys)} unexpected: "
            f"{detail})"
        )
    model.eval()
    return model, config
