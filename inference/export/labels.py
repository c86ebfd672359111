"""Label handling: generic names, user overrides, emoji names, head names and moods."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path

import emoji

from moodmoji.inference.errors import ExportError
from moodmoji.inference.manifest import HeadKind, HeadSpec

logger = logging.getLogger(__name__)

LOGITS_OUTPUT = "logits"
DEFAULT_SIGMOID_THRESHOLD = 0.3

GOEMOTIONS_LABELS = (
    "admiration",
    "amusement",
    "anger",
    "annoyance",
    "approval",
    "caring",
    "confusion",
    "curiosity",
    "desire",
    "disappointment",
    "disapproval",
    "disgust",
    "embarrassment",
    "excitement",
    "fear",
    "gratitude",
    "grief",
    "joy",
    "love",
    "nervousness",
    "optimism",
    "pride",
    "realization",
    "relief",
    "remorse",
    "sadness",
    "surprise",
    "neutral",
)
"""The 28 GoEmotions labels, in the data set's order."""

EMOTION_LABELS = ("sadness", "joy", "love", "anger", "fear", "surprise")
"""The 6 dair-ai/emotion labels, in the data set's order."""

BERT_EMOTION_LABELS = (
    "Sadness",
    "Anger",
    "Love",
    "Surprise",
    "Fear",
    "Happiness",
    "Neutral",
    "Disgust",
    "Shame",
    "Guilt",
    "Confusion",
    "Desire",
    "Sarcasm",
)
"""The 13 labels of the 4-layer BERT-Emotion classifier, in output order."""

_GENERIC = re.compile(r"^LABEL_\d+$")
_MOODS_FILE = "moods.json"


def is_generic(labels: Sequence[str]) -> bool:
    """Tells whether labels are placeholder names such as ``LABEL_0`` (any one is enough)."""
    return any(_GENERIC.match(label) for label in labels)


def parse_labels_option(value: str) -> tuple[str, ...]:
    """Splits a ``--labels a,b,c`` option value into label names.

    Args:
        value: Comma-separated label names.

    Returns:
        The stripped names.

    Raises:
        ExportError: A name is empty.
    """
    names = tuple(part.strip() for part in value.split(","))
    if any(not name for name in names):
        raise ExportError("--labels: empty label name (expected a,b,c)")
    return names


def final_labels(
    found: Sequence[str],
    given: Sequence[str] | None,
    *,
    found_in: Path,
) -> tuple[str, ...]:
    """Chooses the labels of a head: the given ones if any, else those of the checkpoint.

    Args:
        found: Labels read from the checkpoint, one per output, in output order.
        given: Labels passed by the user (``--labels``), or ``None``.
        found_in: The file ``found`` came from (named in errors).

    Returns:
        One unique label per output.

    Raises:
        ExportError: The given labels are the wrong number, empty or repeated; or the
            checkpoint's labels are generic or repeated and none were given.
    """
    if given is not None:
        labels = tuple(label.strip() for label in given)
        if len(labels) != len(found):
            raise ExportError(
                f"--labels: {len(labels)} labels given but the model has {len(found)} outputs"
            )
        if any(not label for label in labels):
            raise ExportError("--labels: empty label name")
        _check_unique(labels, "--labels")
        return labels
    labels = tuple(found)
    if is_generic(labels):
        raise ExportError(
            f"{found_in}: id2label holds generic names ({labels[0]}, ...); pass --labels with "
            f"{len(labels)} names in output order"
        )
    _check_unique(labels, str(found_in))
    return labels


def _check_unique(labels: Sequence[str], where: str) -> None:
    seen: set[str] = set()
    for label in labels:
        if label in seen:
            raise ExportError(f"{where}: label {label!r} appears more than once")
        seen.add(label)


def resolve_emoji(value: str) -> str | None:
    """Turns an emoji character or an emoji name into the emoji character.

    Accepts the character itself, CLDR names (``red_heart``), GitHub/Slack aliases
    (``:dog:``, ``heart``) and names with an ``_emoji`` suffix (``pizza_emoji``).

    Args:
        value: The character or name.

    Returns:
        The emoji character, or ``None`` when the name is unknown.
    """
    text = value.strip()
    if text and emoji.is_emoji(text):
        return text
    core = text.strip(":")
    stems = [core]
    if core.lower().endswith("_emoji"):
        stems.append(core[: -len("_emoji")])
    candidates: list[str] = []
    for stem in stems:
        for cand in (stem, stem.lower(), stem.replace(" ", "_").replace("-", "_").lower()):
            if cand and cand not in candidates:
                candidates.append(cand)
    for cand in candidates:
        code = f":{cand}:"
        for language in ("alias", "en"):
            char = emoji.emojize(code, language=language)
            if char != code and emoji.is_emoji(char):
                return str(char)
    return None


def head_name(labels: Sequence[str]) -> str:
    """Names a head after its label set: ``goemotions``, ``emotion`` or ``labels``."""
    folded = {label.lower() for label in labels}
    if len(labels) == len(GOEMOTIONS_LABELS) and folded == set(GOEMOTIONS_LABELS):
        return "goemotions"
    if len(labels) == len(EMOTION_LABELS) and folded == set(EMOTION_LABELS):
        return "emotion"
    return "labels"


@cache
def _mood_table() -> dict[str, str]:
    table_file = resources.files(__package__).joinpath(_MOODS_FILE)
    raw = json.loads(table_file.read_text("utf-8"))
    moods = set(raw["moods"])
    table = {str(k).lower(): str(v) for k, v in raw["labels"].items()}
    unknown = sorted(set(table.values()) - moods)
    if unknown:  # guards the data file itself
        raise ExportError(f"{_MOODS_FILE}: unknown moods {unknown}")
    return table


def mood_map(labels: Sequence[str]) -> dict[str, str]:
    """Maps each label with an obvious coarse mood to it (case-insensitive).

    Args:
        labels: The head's labels.

    Returns:
        Label -> mood for the labels the table knows; the others are left out.
    """
    table = _mood_table()
    return {label: table[label.lower()] for label in labels if label.lower() in table}


def build_head(
    *,
    name: str,
    labels: Sequence[str],
    multi_label: bool,
    threshold: float | None,
    emoji_map: Mapping[str, str] | None = None,
) -> HeadSpec:
    """Builds the manifest head of an exported classifier.

    Args:
        name: Head name.
        labels: Final labels in output order.
        multi_label: Whether the model was trained multi-label (sigmoid head).
        threshold: Decision threshold for every label of a sigmoid head; default 0.3.
        emoji_map: Optional label -> emoji map.

    Returns:
        The validated head spec reading the ``logits`` output.

    Raises:
        ExportError: ``threshold`` is out of range or given for a single-label model.
    """
    thresholds: tuple[float, ...] | None = None
    if multi_label:
        value = DEFAULT_SIGMOID_THRESHOLD if threshold is None else float(threshold)
        if not 0.0 < value < 1.0:
            raise ExportError(f"--threshold: {value} must lie strictly between 0 and 1")
        thresholds = (value,) * len(labels)
    elif threshold is not None:
        raise ExportError(
            "--threshold: only multi-label (sigmoid) models take a threshold; this one is "
            "single-label (softmax)"
        )
    moods = mood_map(labels)
    if moods:
        logger.debug("mood map covers %d of %d labels", len(moods), len(labels))
    return HeadSpec(
        name=name,
        output=LOGITS_OUTPUT,
        kind=HeadKind.SIGMOID if multi_label else HeadKind.SOFTMAX,
        labels=tuple(labels),
        thresholds=thresholds,
        emoji=dict(emoji_map or {}),
        mood=moods,
    )
