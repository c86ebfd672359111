"""The curated emoji vocabulary (``data/emoji_vocabulary.json``) and its loader.

The vocabulary lists the emoji the bot may react with. Each entry carries a short text (name,
description, keywords) that is embedded for topical matching against a message, a category, a
tone that says which messages the emoji may go on, and the coarse moods it suits as a reaction.
Two ranked maps ride along: coarse mood -> emoji and GoEmotions label -> emoji.

Every comparison and lookup goes through :func:`emoji_key`, which drops U+FE0F, so ``"❤"`` and
``"❤️"`` name the same entry. Entries store the fully-qualified form.

Example::

    vocabulary = EmojiVocabulary.load()
    entry = vocabulary.get("🍕")
    text = entry.phrase() if entry else ""

The loader uses the standard library only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from moodmoji.inference.datasets import GOEMOTIONS_LABELS
from moodmoji.inference.errors import FileProblem
from moodmoji.inference.files import read_json_file

logger = logging.getLogger(__name__)

MOODS: tuple[str, ...] = (
    "joy",
    "love",
    "sadness",
    "anger",
    "fear",
    "surprise",
    "disgust",
    "neutral",
)
CATEGORIES: tuple[str, ...] = (
    "faces",
    "hearts",
    "hands",
    "people",
    "celebration",
    "animals",
    "nature",
    "weather",
    "food",
    "drink",
    "activities",
    "sports",
    "travel",
    "places",
    "objects",
    "symbols",
)
DEFAULT_VOCABULARY_FILE: Path = Path(__file__).resolve().parent / "data" / "emoji_vocabulary.json"

#: Coarse moods whose ranked lists must never name a playful emoji.
SOMBER_MOODS: frozenset[str] = frozenset({"sadness", "fear"})
#: GoEmotions labels whose ranked lists must never name a playful emoji.
SOMBER_LABELS: frozenset[str] = frozenset(
    {"grief", "sadness", "remorse", "fear", "nervousness", "disappointment", "embarrassment"}
)

_VARIATION_SELECTOR_16 = "\ufe0f"
_ENTRY_FIELDS: tuple[str, ...] = (
    "emoji",
    "name",
    "description",
    "keywords",
    "category",
    "tone",
    "moods",
)
_SECTIONS: tuple[str, ...] = ("entries", "moods", "labels")


class VocabularyError(FileProblem):
    """The emoji vocabulary file is missing, malformed or inconsistent (first problem named)."""


class Tone(StrEnum):
    """Which messages an emoji may be put on.

    ``PLAYFUL`` emoji (laughing, silly, party, hype) never go on sad, fearful or grieving
    messages; ``WARM`` ones express affection or comfort; ``SOMBER`` ones express sadness,
    hurt, fear or anger; ``NEUTRAL`` covers acknowledgements and most topical emoji.
    """

    PLAYFUL = "playful"
    WARM = "warm"
    NEUTRAL = "neutral"
    SOMBER = "somber"


def emoji_key(emoji: str) -> str:
    """Returns the lookup key of an emoji: the emoji with every U+FE0F removed.

    Args:
        emoji: An emoji, fully-qualified or not.

    Returns:
        The emoji without variation selector 16, e.g. ``"❤"`` for ``"❤️"``.

    """
    return emoji.replace(_VARIATION_SELECTOR_16, "")


@dataclass(frozen=True)
class EmojiEntry:
    """One emoji of the vocabulary.

    Attributes:
        emoji: The emoji, fully-qualified.
        name: Short lower-case name.
        description: What it depicts and how it is used in chat.
        keywords: Lower-case words and phrases a message on its topic would contain.
        category: One of :data:`CATEGORIES`.
        tone: Which messages it may go on.
        moods: Coarse moods (from :data:`MOODS`) it suits as a reaction; empty for purely
            topical emoji.

    """

    emoji: str
    name: str
    description: str
    keywords: tuple[str, ...]
    category: str
    tone: Tone
    moods: tuple[str, ...]

    def phrase(self) -> str:
        """Returns the text embedded for topical similarity.

        Returns:
            ``"name: description; keyword, keyword, ..."``.

        """
        return f"{self.name}: {self.description}; {', '.join(self.keywords)}"


@dataclass(frozen=True)
class EmojiVocabulary:
    """The validated emoji vocabulary.

    Attributes:
        entries: The emoji, in file order.
        mood_emoji: Coarse mood -> emoji ranked best first (fully-qualified, as in entries).
        label_emoji: GoEmotions label -> emoji ranked best first.

    """

    entries: tuple[EmojiEntry, ...]
    mood_emoji: Mapping[str, tuple[str, ...]]
    label_emoji: Mapping[str, tuple[str, ...]]
    _by_key: Mapping[str, EmojiEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key = MappingProxyType({emoji_key(entry.emoji): entry for entry in self.entries})
        object.__setattr__(self, "_by_key", by_key)

    @classmethod
    def load(cls, path: Path | None = None) -> EmojiVocabulary:
        """Reads and validates a vocabulary file.

        Args:
            path: The JSON file; ``None`` reads :data:`DEFAULT_VOCABULARY_FILE`.

        Returns:
            The validated vocabulary.

        Raises:
            VocabularyError: The file is missing, not JSON, or fails validation (the message
                names the file and the first problem).

        """
        path = DEFAULT_VOCABULARY_FILE if path is None else path
        raw = read_json_file(path, VocabularyError, "vocabulary file")
        try:
            vocabulary = _parse(raw)
        except ValueError as exc:
            raise VocabularyError(path, str(exc)) from None
        logger.debug("loaded %d vocabulary emoji from %s", len(vocabulary), path)
        return vocabulary

    def get(self, emoji: str) -> EmojiEntry | None:
        """Returns the entry of an emoji, ignoring U+FE0F, or ``None`` if it is not listed."""
        return self._by_key.get(emoji_key(emoji))

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[EmojiEntry]:
        return iter(self.entries)

    def __contains__(self, emoji: object) -> bool:
        return isinstance(emoji, str) and emoji_key(emoji) in self._by_key


def _parse(raw: Any) -> EmojiVocabulary:
    """Builds a vocabulary from decoded JSON; raises ValueError naming the first problem."""
    if not isinstance(raw, dict):
        raise ValueError("top level must be a JSON object")
    for section in _SECTIONS:
        if section not in raw:
            raise ValueError(f"missing section {section!r}")
    unknown = sorted(k for k in raw if k not in _SECTIONS and not str(k).startswith("_"))
    if unknown:
        raise ValueError(f"unknown top-level keys {unknown}")
    if not isinstance(raw["entries"], list) or not raw["entries"]:
        raise ValueError("'entries' must be a non-empty list")

    entries: list[EmojiEntry] = []
    by_key: dict[str, EmojiEntry] = {}
    for index, item in enumerate(raw["entries"]):
        entry = _parse_entry(item, f"entries[{index}]")
        key = emoji_key(entry.emoji)
        if key in by_key:
            raise ValueError(f"entries[{index}]: duplicate emoji {entry.emoji!r}")
        by_key[key] = entry
        entries.append(entry)

    mood_emoji = _parse_ranked(raw["moods"], "moods", MOODS, SOMBER_MOODS, by_key)
    label_emoji = _parse_ranked(raw["labels"], "labels", GOEMOTIONS_LABELS, SOMBER_LABELS, by_key)
    return EmojiVocabulary(entries=tuple(entries), mood_emoji=mood_emoji, label_emoji=label_emoji)


def _parse_entry(item: Any, where: str) -> EmojiEntry:
    if not isinstance(item, dict):
        raise ValueError(f"{where}: must be a JSON object")
    for name in _ENTRY_FIELDS:
        if name not in item:
            raise ValueError(f"{where}: missing field {name!r}")
    unknown = sorted(k for k in item if k not in _ENTRY_FIELDS)
    if unknown:
        raise ValueError(f"{where}: unknown fields {unknown}")
    emoji = _text(item["emoji"], f"{where}.emoji")
    where = f"{where} ({emoji})"
    if any(ch.isspace() or (ch.isascii() and ch.isalnum()) for ch in emoji):
        raise ValueError(f"{where}: emoji must be a single emoji, got {emoji!r}")
    keywords = _strings(item["keywords"], f"{where}.keywords")
    if not keywords:
        raise ValueError(f"{where}: keywords must not be empty")
    for keyword in keywords:
        if keyword != keyword.lower():
            raise ValueError(f"{where}: keyword {keyword!r} is not lower-case")
    category = _text(item["category"], f"{where}.category")
    if category not in CATEGORIES:
        raise ValueError(f"{where}: unknown category {category!r}; known: {list(CATEGORIES)}")
    tone_name = _text(item["tone"], f"{where}.tone")
    try:
        tone = Tone(tone_name)
    except ValueError:
        known = [t.value for t in Tone]
        raise ValueError(f"{where}: unknown tone {tone_name!r}; known: {known}") from None
    moods = _strings(item["moods"], f"{where}.moods")
    for mood in moods:
        if mood not in MOODS:
            raise ValueError(f"{where}: unknown mood {mood!r}; known: {list(MOODS)}")
    if len(set(moods)) != len(moods):
        raise ValueError(f"{where}: moods are not unique")
    if tone is Tone.PLAYFUL and SOMBER_MOODS & set(moods):
        somber = sorted(SOMBER_MOODS & set(moods))
        raise ValueError(f"{where}: a playful emoji cannot suit the moods {somber}")
    return EmojiEntry(
        emoji=emoji,
        name=_text(item["name"], f"{where}.name"),
        description=_text(item["description"], f"{where}.description"),
        keywords=keywords,
        category=category,
        tone=tone,
        moods=moods,
    )


def _parse_ranked(
    raw: Any,
    section: str,
    names: tuple[str, ...],
    somber: frozenset[str],
    by_key: Mapping[str, EmojiEntry],
) -> Mapping[str, tuple[str, ...]]:
    """Validates a name -> ranked emoji section; emoji are returned as spelled in entries."""
    if not isinstance(raw, dict):
        raise ValueError(f"{section!r} must be a JSON object")
    missing = [name for name in names if name not in raw]
    if missing:
        raise ValueError(f"{section}: missing lists for {missing}")
    unknown = sorted(k for k in raw if k not in names)
    if unknown:
        raise ValueError(f"{section}: unknown names {unknown}")
    ranked: dict[str, tuple[str, ...]] = {}
    for name in names:
        where = f"{section}.{name}"
        emojis = _strings(raw[name], where)
        if not emojis:
            raise ValueError(f"{where}: the list must not be empty")
        keys = [emoji_key(e) for e in emojis]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{where}: emoji are not unique")
        resolved: list[str] = []
        for emoji, key in zip(emojis, keys, strict=True):
            entry = by_key.get(key)
            if entry is None:
                raise ValueError(f"{where}: {emoji!r} is not in entries")
            if name in somber and entry.tone is Tone.PLAYFUL:
                raise ValueError(f"{where}: playful emoji {emoji!r} cannot react to {name}")
            resolved.append(entry.emoji)
        ranked[name] = tuple(resolved)
    return MappingProxyType(ranked)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: must be a non-empty string")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where}: must be a list of non-empty strings")
    return tuple(value)
