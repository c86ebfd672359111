"""The platform-neutral incoming message and the per-chat context an adapter knows.

Adapters turn a platform's message object into an :class:`IncomingMessage` and hand it to the
core; the core never imports a platform library and never reads :attr:`IncomingMessage.raw`.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["ChatContext", "IncomingMessage", "Platform"]


class Platform(StrEnum):
    """Where a message came from; it decides which reaction constraints apply."""

    GENERIC = "generic"
    DISCORD = "discord"
    TELEGRAM = "telegram"


@dataclass(frozen=True)
class IncomingMessage:
    """One chat message, as every adapter hands it to the core.

    Attributes:
        platform: The platform whose rules apply.
        chat_id: The chat, channel or conversation (stringified platform id).
        message_id: The message (stringified platform id).
        author_id: Who wrote it (stringified platform id).
        text: The message text; may be empty or odd, never ``None``.
        author_is_bot: Whether a bot (this one included) wrote it.
        reply_to_id: The message it answers, if any.
        raw: The platform's own object, carried for the adapter; the core never reads it.

    """

    platform: Platform
    chat_id: str
    message_id: str
    author_id: str
    text: str
    author_is_bot: bool = False
    reply_to_id: str | None = None
    raw: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "platform", Platform(self.platform))
        for name in ("chat_id", "message_id", "author_id"):
            object.__setattr__(self, name, str(getattr(self, name)))
        if self.reply_to_id is not None:
            object.__setattr__(self, "reply_to_id", str(self.reply_to_id))
        if not isinstance(self.text, str):
            object.__setattr__(self, "text", "" if self.text is None else str(self.text))


@dataclass(frozen=True)
class ChatContext:
    """What an adapter knows about the chat a message is in.

    Attributes:
        self_id: The bot's own user id on the platform (its messages are ignored).
        available_reactions: Telegram: the emoji the chat allows (``ChatFullInfo.
            available_reactions``); ``None`` means the platform's full list.
        custom_emoji: Discord: the server's custom-emoji map (mood or emoji -> ``<:name:id>``),
            laid over the chat's settings.

    """

    self_id: str | None = None
    available_reactions: AbstractSet[str] | None = None
    custom_emoji: dict[str, str] | None = None
