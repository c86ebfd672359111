"""The manifest of a model bundle (``manifest.json``) and its validation.

A bundle is a directory holding ``model.onnx``, ``tokenizer.json`` and ``manifest.json``. The
manifest declares the graph inputs the model expects, the longest sequence it takes, and one
entry per head: which graph output it reads, how scores are made from it, its labels, and
optional label -> emoji and label -> mood maps. Provenance and measured metrics ride along so a
bundle can always say where it came from.

Example::

    {
      "format_version": 1,
      "name": "tiny-emotion",
      "inputs": ["input_ids", "attention_mask"],
      "max_length": 128,
      "heads": [
        {"name": "emotion", "output": "logits", "kind": "softmax",
         "labels": ["sadness", "joy"], "mood": {"sadness": "sadness", "joy": "joy"}},
        {"name": "goemotions", "output": "ge_logits", "kind": "sigmoid",
         "labels": ["admiration", "anger"], "thresholds": [0.3, 0.25]},
        {"name": "embedding", "output": "embedding", "kind": "embedding"}
      ],
      "provenance": {"source": "...", "licence": "Apache-2.0"},
      "metrics": {"emotion": {"accuracy": 0.93}}
    }

Graph outputs of classifier heads are logits; the engine applies softmax or sigmoid. Embedding
heads are L2-normalised by the engine.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from moodmoji.inference.errors import BundleError
from moodmoji.inference.files import read_json_file

MANIFEST_FILE = "manifest.json"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
FORMAT_VERSION = 1
KNOWN_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class HeadKind(StrEnum):
    """How a head's graph output becomes scores."""

    SOFTMAX = "softmax"
    SIGMOID = "sigmoid"
    EMBEDDING = "embedding"


class HeadRole(StrEnum):
    """What a learned response head answers (heads without a role are plain classifiers).

    ``reaction``: every emoji a reader might set (sigmoid over emoji labels); ``trigger``:
    whether a reader would react at all (one sigmoid label); ``intent``: which reply intents
    fit (sigmoid); ``mood``: the author's coarse moods in chat (sigmoid over the eight moods);
    ``reader``: real readers' Facebook reactions (softmax over love, haha, wow, sad, angry).
    """

    REACTION = "reaction"
    TRIGGER = "trigger"
    INTENT = "intent"
    MOOD = "mood"
    READER = "reader"


class TextStep(StrEnum):
    """Text transformations a bundle declares, applied after clean-up and before tokenizing."""

    EMOJI_NAMES = "emoji-names"
    """Emoji spelled out by their CLDR English names (:mod:`inference.emoji_names`)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HeadSpec(_Frozen):
    """One head of a bundle.

    Attributes:
        name: Name the engine reports results under (unique in the bundle).
        output: Name of the graph output this head reads.
        kind: ``softmax`` (single-label), ``sigmoid`` (multi-label with per-label thresholds)
            or ``embedding`` (a sentence vector).
        labels: Class labels in output order (empty for embeddings).
        thresholds: Per-label decision thresholds for sigmoid heads, aligned with ``labels``.
        emoji: Optional label -> emoji character map.
        mood: Optional label -> coarse mood map.
        role: What a learned response head answers (:class:`HeadRole`), if anything.
        by_language: Language code (ISO 639-1) -> another head of the bundle that answers in
            this head's place for a message in that language (same kind and labels, its own
            thresholds). Such a language head is read only through this map: it takes no
            mood map and no role of its own.

    """

    name: str = Field(min_length=1)
    output: str = Field(min_length=1)
    kind: HeadKind
    labels: tuple[str, ...] = ()
    thresholds: tuple[float, ...] | None = None
    emoji: dict[str, str] = Field(default_factory=dict)
    mood: dict[str, str] = Field(default_factory=dict)
    role: HeadRole | None = None
    by_language: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> HeadSpec:
        if self.kind is HeadKind.EMBEDDING:
            if self.labels or self.thresholds or self.emoji or self.mood:
                raise ValueError(f"head {self.name!r}: an embedding head has no labels or maps")
            return self
        if not self.labels:
            raise ValueError(f"head {self.name!r}: a {self.kind} head needs labels")
        if len(set(self.labels)) != len(self.labels):
            raise ValueError(f"head {self.name!r}: labels are not unique")
        if self.kind is HeadKind.SIGMOID:
            if self.thresholds is None or len(self.thresholds) != len(self.labels):
                raise ValueError(
                    f"head {self.name!r}: a sigmoid head needs one threshold per label "
                    f"({len(self.labels)})"
                )
            if any(not 0.0 < t < 1.0 for t in self.thresholds):
                raise ValueError(f"head {self.name!r}: thresholds must lie between 0 and 1")
        elif self.thresholds is not None:
            raise ValueError(f"head {self.name!r}: only sigmoid heads take thresholds")
        for map_name, mapping in (("emoji", self.emoji), ("mood", self.mood)):
            unknown = sorted(set(mapping) - set(self.labels))
            if unknown:
                raise ValueError(
                    f"head {self.name!r}: {map_name} map names unknown labels {unknown[:3]}"
                )
        return self


class Manifest(_Frozen):
    """The validated content of ``manifest.json``.

    Attributes:
        format_version: Bundle format version (currently 1).
        name: Short human name of the model.
        inputs: Graph inputs the tokenizer must feed, in any order.
        max_length: Longest token sequence the model takes; longer inputs are truncated.
        heads: The heads, in the order they are reported.
        provenance: Where the weights came from (source checkpoint, data, licence, tool).
        metrics: Measured metrics, free-form per task.
        text_steps: Transformations of the cleaned text before tokenizing, in order
            (:class:`TextStep`); the model was trained on text made the same way.
        caution: The probability from which a somber fine emotion of this bundle's emotion
            heads makes the bot careful (no playful reactions), when its heads are calibrated
            differently from the default model's (``None``: the bot's own point,
            :data:`moodmoji.bot.policy.CAUTION_SCORE`).

    """

    format_version: int = FORMAT_VERSION
    name: str = Field(min_length=1)
    inputs: tuple[str, ...]
    max_length: int = Field(gt=1, le=8192)
    heads: tuple[HeadSpec, ...] = Field(min_length=1)
    text_steps: tuple[TextStep, ...] = ()
    caution: float | None = Field(default=None, gt=0.0, le=1.0)
    provenance: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Manifest:
        if self.format_version != FORMAT_VERSION:
            raise ValueError(
                f"format_version {self.format_version} is not supported (expected {FORMAT_VERSION})"
            )
        unknown = sorted(set(self.inputs) - set(KNOWN_INPUTS))
        if unknown:
            raise ValueError(f"inputs: unknown input names {unknown}; known: {list(KNOWN_INPUTS)}")
        if "input_ids" not in self.inputs:
            raise ValueError("inputs: input_ids is required")
        names = [h.name for h in self.heads]
        if len(set(names)) != len(names):
            raise ValueError("heads: head names are not unique")
        roles = [h.role for h in self.heads if h.role is not None]
        if len(set(roles)) != len(roles):
            raise ValueError("heads: a role is given to more than one head")
        self._check_language_heads()
        for head in self.heads:
            if head.role is HeadRole.READER and head.kind is not HeadKind.SOFTMAX:
                raise ValueError(f"head {head.name!r}: a reader head is a softmax head")
            if head.role not in (None, HeadRole.READER) and head.kind is not HeadKind.SIGMOID:
                raise ValueError(f"head {head.name!r}: a {head.role} head is a sigmoid head")
        return self

    def _check_language_heads(self) -> None:
        by_name = {h.name: h for h in self.heads}
        for head in self.heads:
            for language, name in head.by_language.items():
                where = f"head {head.name!r}: by_language[{language!r}]"
                if not language or language != language.strip():
                    raise ValueError(f"{where}: a language code is a non-empty word")
                variant = by_name.get(name)
                if variant is None:
                    raise ValueError(f"{where}: no head is called {name!r}")
                if variant is head or variant.by_language:
                    raise ValueError(f"{where}: {name!r} cannot itself name language heads")
                if variant.kind is not head.kind or variant.labels != head.labels:
                    raise ValueError(f"{where}: {name!r} needs the same kind and labels")
                if head.kind is HeadKind.EMBEDDING:
                    raise ValueError(f"{where}: an embedding head has no language heads")
                if variant.mood or variant.emoji or variant.role is not None:
                    raise ValueError(
                        f"{where}: {name!r} is read through {head.name!r}; "
                        "it takes no mood or emoji map and no role"
                    )

    @property
    def language_heads(self) -> frozenset[str]:
        """Names of the heads that answer only in another head's place for one language."""
        return frozenset(name for head in self.heads for name in head.by_language.values())

    def heads_for(self, language: str) -> dict[str, str]:
        """Head name -> the head that answers in its place for ``language`` (may be empty)."""
        return {
            head.name: head.by_language[language]
            for head in self.heads
            if language in head.by_language
        }

    def role(self, role: HeadRole) -> HeadSpec | None:
        """The head with ``role``, or ``None`` when the bundle has none."""
        return next((h for h in self.heads if h.role is role), None)

    def head(self, name: str) -> HeadSpec:
        """Returns the head called ``name``.

        Raises:
            KeyError: No head has that name.

        """
        for spec in self.heads:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def to_json(self) -> str:
        """Serialises the manifest as pretty, UTF-8 friendly JSON."""
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"

    def write(self, directory: Path) -> Path:
        """Writes ``manifest.json`` into ``directory`` and returns its path."""
        path = directory / MANIFEST_FILE
        path.write_text(self.to_json(), encoding="utf-8")
        return path


def read_manifest(path: Path) -> Manifest:
    """Reads and validates a manifest file.

    Args:
        path: Path of ``manifest.json``.

    Returns:
        The validated manifest.

    Raises:
        BundleError: The file is missing, not JSON, or fails validation (the message names the
            file and the first problem).

    """
    raw = read_json_file(path, BundleError, "manifest file")
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        raise BundleError(path, _first_problem(exc)) from None


def _first_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(part) for part in err["loc"])
    message = str(err["msg"]).removeprefix("Value error, ")
    extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where + ': ' if where else ''}{message}{extra}"
