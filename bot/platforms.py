"""Platform constraints on reactions: which emoji may be sent, how many, and what stands in.

:class:`PlatformRules` is the shape every platform's rules take; each adapter builds its own
(``adapters/telegram/info.py``: Telegram's 73 reactions and their stand-ins;
``adapters/discord/info.py``: custom emoji) and registers them (:mod:`bot.registry`). The core
brings only **generic** (HTTP, console): the candidates as they are, up to ``max_reactions``.

Every replacement and refusal is recorded as an explanation :class:`~bot.decision.Step`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from types import MappingProxyType

from moodmoji.bot.decision import Candidate, Reaction, Step
from moodmoji.bot.messages import Platform
from moodmoji.inference.reactions import LEARNED_SOURCE
from moodmoji.inference.vocabulary import emoji_key

#: Candidates that stand for the message's mood, which a mood -> custom-emoji map may replace:
#: the fused path's mood and emotion emoji, and the learned reaction head's first choice.
MOOD_LED_SOURCES: frozenset[str] = frozenset({"mood", "emotion", LEARNED_SOURCE})

logger = logging.getLogger(__name__)

__all__ = ["MOOD_LED_SOURCES", "PlatformDataError", "PlatformRules"]


class PlatformDataError(Exception):
    """A platform data file is missing or malformed; ``str()`` names the file."""


@dataclass(frozen=True)
class PlatformRules:
    """The reaction rules of one platform.

    Attributes:
        platform: Which platform.
        max_reactions: Most reactions on one message.
        allowed: The emoji the platform accepts, verbatim (``None``: any Unicode emoji).
        fallbacks: Emoji key -> an allowed emoji that keeps the meaning, or ``None``.
        custom_emoji_allowed: Whether custom emoji (``<:name:id>``) may be sent.

    """

    platform: Platform
    max_reactions: int = 1
    allowed: tuple[str, ...] | None = None
    fallbacks: Mapping[str, str | None] = field(default_factory=lambda: MappingProxyType({}))
    custom_emoji_allowed: bool = False
    by_key: Mapping[str, str] | None = field(init=False, repr=False, compare=False, default=None)
    """``allowed`` by lookup key (without U+FE0F), made once; ``None`` when any emoji goes."""

    def __post_init__(self) -> None:
        if self.max_reactions < 1:
            raise ValueError(f"max_reactions must be at least 1, got {self.max_reactions}")
        fallbacks = {emoji_key(k): v for k, v in self.fallbacks.items()}
        object.__setattr__(self, "fallbacks", MappingProxyType(fallbacks))
        if self.allowed is not None:
            by_key = {emoji_key(e): e for e in self.allowed}
            object.__setattr__(self, "by_key", MappingProxyType(by_key))

    def takes(self, emoji: str, available: AbstractSet[str] | None = None) -> bool:
        """Whether the platform (and a chat's ``available`` keys) take ``emoji`` as it is."""
        key = emoji_key(emoji)
        if self.by_key is not None and key not in self.by_key:
            return False
        return available is None or key in available

    @classmethod
    def generic(cls, max_reactions: int = 3) -> PlatformRules:
        """No platform constraint beyond a count."""
        return cls(Platform.GENERIC, max_reactions=max_reactions)

    def fit(
        self,
        candidates: Sequence[Candidate],
        *,
        mood: str | None = None,
        available: AbstractSet[str] | None = None,
        custom_emoji: Mapping[str, str] | None = None,
    ) -> tuple[tuple[Reaction, ...], tuple[Step, ...]]:
        """Turns ranked, already safe candidates into the reactions this platform can take.

        Args:
            candidates: Candidates that passed the confidence and sensitivity rules, best first.
            mood: The message's leading mood (for a mood -> custom-emoji map).
            available: The emoji a chat allows (Telegram ``available_reactions``), compared
                without U+FE0F; ``None`` means the platform's whole list.
            custom_emoji: Mood or emoji -> ``<:name:id>`` (Discord).

        Returns:
            The reactions (at most ``max_reactions``) and what was replaced or refused.

        """
        steps: list[Step] = []
        reactions: list[Reaction] = []
        seen: set[str] = set()
        allowed = self.by_key
        chat_allows = {emoji_key(e) for e in available} if available is not None else None
        custom = {emoji_key(k): v for k, v in (custom_emoji or {}).items()}
        for candidate in candidates:
            if len(reactions) >= self.max_reactions:
                break
            emoji, stands_for = candidate.emoji, None
            key = emoji_key(emoji)
            if self.custom_emoji_allowed and key in custom:
                emoji, stands_for = custom[key], candidate.emoji
                steps.append(Step("custom-emoji", f"{candidate.emoji} -> server emoji {emoji}"))
            elif (
                self.custom_emoji_allowed
                and mood in custom
                and not reactions
                and set(candidate.sources) & MOOD_LED_SOURCES
            ):
                emoji, stands_for = custom[mood], candidate.emoji
                steps.append(Step("custom-emoji", f"{mood} mood -> server emoji {emoji}"))
            elif allowed is not None and key not in allowed:
                substitute = self.fallbacks.get(key)
                if substitute is None or emoji_key(substitute) not in allowed:
                    steps.append(
                        Step(
                            f"{self.platform}-unavailable",
                            f"{candidate.emoji} is not a {self.platform} reaction and nothing "
                            "with its meaning is",
                        )
                    )
                    continue
                emoji, stands_for = allowed[emoji_key(substitute)], candidate.emoji
                steps.append(
                    Step(
                        f"{self.platform}-fallback",
                        f"{candidate.emoji} is not a {self.platform} reaction; {emoji} stands in",
                    )
                )
            elif allowed is not None:
                emoji = allowed[key]  # the platform's verbatim form (with or without U+FE0F)
            if chat_allows is not None and emoji_key(emoji) not in chat_allows:
                steps.append(Step("chat-reactions", f"{emoji} is not enabled in this chat"))
                continue
            if emoji_key(emoji) in seen:
                continue
            seen.add(emoji_key(emoji))
            reactions.append(Reaction(emoji, candidate.score, stands_for))
        return tuple(reactions), tuple(steps)
