"""Per-chat settings: the mode a chat runs in, its thresholds, pacing and custom-emoji map.

:class:`ChatSettings` holds concrete values. The defaults come from the config file (section
``bot``); a chat's own changes are stored as *overrides* (a mapping of field name to value) in
the settings store, and :meth:`ChatSettings.with_overrides` lays them over the defaults. Only the
fields named in :data:`OVERRIDABLE` can be changed per chat, and :func:`check_override` is the
one place that says which values are valid.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from moodmoji.bot.printable import printable

__all__ = [
    "CUSTOM_EMOJI_PATTERN",
    "OVERRIDABLE",
    "ChatSettings",
    "Mode",
    "check_override",
]

#: A Discord custom emoji as discord.py writes it: ``<:name:id>`` or animated ``<a:name:id>``.
CUSTOM_EMOJI_PATTERN = re.compile(r"<a?:[A-Za-z0-9_]{2,32}:[0-9]{15,21}>")


class Mode(StrEnum):
    """What the bot does in a chat."""

    REACT = "react"
    SUGGEST = "suggest"
    BOTH = "both"
    OFF = "off"

    @property
    def reacts(self) -> bool:
        """Whether the bot reacts on its own in this mode."""
        return self in (Mode.REACT, Mode.BOTH)

    @property
    def suggests(self) -> bool:
        """Whether the bot offers reply suggestions in this mode."""
        return self in (Mode.SUGGEST, Mode.BOTH)


@dataclass(frozen=True)
class ChatSettings:
    """The effective settings of one chat.

    Attributes:
        mode: react, suggest, both or off.
        reaction_threshold: With a learned trigger head (the default model), the probability
            that a reader would react at all must reach this (0..1); without one, the best
            reaction candidate must score at least this. Else no reaction.
        suggestion_threshold: The best reply must fit at least this well (0..1) for the bot to
            suggest anything unasked (asked-for suggestions are not gated by it).
        max_suggestions: Most replies suggested at once (0..3).
        chat_cooldown_s: Least time between two automatic reactions in one chat.
        user_cooldown_s: Least time between two automatic reactions to one person in one chat.
        budget_reactions: Most automatic reactions in one chat within ``budget_window_s``.
        budget_window_s: The window of the reaction budget, in seconds.
        budget_share: Most automatic reactions as a share of the messages seen in the window
            (0..1), so that a fast chat never gets a reaction on every message.
        custom_emoji: Discord only: coarse mood or emoji -> a server's custom emoji
            (``<:name:id>``), used in place of the Unicode reaction.

    """

    mode: Mode = Mode.BOTH
    reaction_threshold: float = 0.85
    suggestion_threshold: float = 0.55
    max_suggestions: int = 3
    chat_cooldown_s: float = 20.0
    user_cooldown_s: float = 60.0
    budget_reactions: int = 5
    budget_window_s: float = 600.0
    budget_share: float = 0.25
    custom_emoji: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        for f in fields(self):
            check_override(f.name, getattr(self, f.name))
        object.__setattr__(self, "mode", Mode(self.mode))
        object.__setattr__(self, "custom_emoji", MappingProxyType(dict(self.custom_emoji)))

    def with_overrides(self, overrides: Mapping[str, Any]) -> ChatSettings:
        """These settings with a chat's overrides laid over them.

        Raises:
            ValueError: An override names an unknown field or holds an invalid value.
        """
        for name, value in overrides.items():
            check_override(name, value)
        return replace(self, **dict(overrides))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values, field by field."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = (
                dict(value)
                if isinstance(value, Mapping)
                else str(value)
                if isinstance(value, Mode)
                else value
            )
        return out


#: Longest cooldown or budget window, in seconds (a day): a pacer keeps a chat's reaction times
#: for one window, so an unbounded window would grow its memory with every message.
MAX_DURATION_S = 86_400.0
#: Most reactions in one budget window.
MAX_BUDGET_REACTIONS = 10_000
#: Most entries of a chat's custom-emoji map.
MAX_CUSTOM_EMOJI = 256

#: Fields a chat may override, with a one-line description each (for help texts).
OVERRIDABLE: Mapping[str, str] = MappingProxyType(
    {
        "mode": "react | suggest | both | off",
        "reaction_threshold": "0..1, least score of a reaction",
        "suggestion_threshold": "0..1, least fit of a suggested reply",
        "max_suggestions": "0..3",
        "chat_cooldown_s": "seconds between reactions in the chat (0..86400)",
        "user_cooldown_s": "seconds between reactions to one person (0..86400)",
        "budget_reactions": "most reactions per budget window (0..10000)",
        "budget_window_s": "length of the budget window in seconds (> 0, up to 86400)",
        "budget_share": "0..1, most reactions as a share of messages in the window",
        "custom_emoji": "mood or emoji -> <:name:id> custom emoji",
    }
)


def check_override(name: str, value: Any) -> None:
    """Checks one setting's value.

    Args:
        name: A field of :class:`ChatSettings`.
        value: The proposed value.

    Raises:
        ValueError: Unknown field, or a value of the wrong type or out of range; the message
            names the field.

    """
    if name not in OVERRIDABLE:
        raise ValueError(f"{name}: unknown setting (known: {', '.join(OVERRIDABLE)})")
    if name == "mode":
        if value not in {m.value for m in Mode}:
            raise ValueError(f"mode: should be one of react, suggest, both, off, not {value!r}")
    elif name == "custom_emoji":
        if not isinstance(value, Mapping):
            raise ValueError("custom_emoji: should be a mapping of mood or emoji to <:name:id>")
        if len(value) > MAX_CUSTOM_EMOJI:
            raise ValueError(f"custom_emoji: at most {MAX_CUSTOM_EMOJI} entries, not {len(value)}")
        for key, emoji in value.items():
            if not isinstance(key, str) or not key:
                raise ValueError("custom_emoji: keys should be moods or emoji")
            if not isinstance(emoji, str) or not CUSTOM_EMOJI_PATTERN.fullmatch(emoji):
                raise ValueError(
                    f"custom_emoji.{printable(key, 40)}: should look like "
                    "<:name:123456789012345678>"
                )
    elif name in ("max_suggestions", "budget_reactions"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name}: should be a whole number")
        top = 3 if name == "max_suggestions" else MAX_BUDGET_REACTIONS
        if not 0 <= value <= top:
            raise ValueError(f"{name}: should be between 0 and {top}, not {value}")
    else:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError(f"{name}: should be a number")
        if name in ("reaction_threshold", "suggestion_threshold", "budget_share"):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}: should be between 0 and 1, not {value}")
        elif name == "budget_window_s":
            if not 0 < value <= MAX_DURATION_S:
                raise ValueError(
                    f"{name}: should be over 0 and at most {MAX_DURATION_S:g}, not {value}"
                )
        elif not 0 <= value <= MAX_DURATION_S:
            raise ValueError(f"{name}: should be between 0 and {MAX_DURATION_S:g}, not {value}")
