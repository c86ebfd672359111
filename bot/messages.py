"""The platform-neutral incoming message and the per-chat context an adapter knows.

Adapters turn a platform's message object into an :class:`IncomingMessage` and hand it to the
core; the core never imports a platform library and never reads :attr:`IncomingMessage.raw`.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from moodmoji.bot.printable import printable

__all__ = ["ChatContext", "IncomingMessage", "Platform"]


_PLATFORM_NAME = r"^[a-z][a-z0-9_-]{0,31}$"


class Platform(str):
    """Where a message came from: the key of a platform in the adapter registry.

    A platform is a name, not a closed list: an adapter package registers its platform (and
    its reaction rules) through the ``moodmoji.adapters`` entry-point group, see
    :mod:`bot.registry`. ``generic`` (the HTTP API, the command line) is always there; the
    names of the adapters that ship with moodmoji are spelled out below for convenience.

    Raises:
        ValueError: The name is not 1 to 32 characters of ``a-z``, ``0-9``, ``-`` and ``_``,
            starting with a letter.
    """

    __slots__ = ()

    GENERIC: ClassVar[Platform]
    DISCORD: ClassVar[Platform]
    TELEGRAM: ClassVar[Platform]

    def __new__(cls, name: object) -> Platform:  # noqa: D102 - the class docstring says it
        text = str(name)
        if not re.fullmatch(_PLATFORM_NAME, text):
            raise ValueError(
                f"{printable(text, 40)!r} is not a platform name "
                "(a-z, 0-9, '-' and '_', starting with a letter)"
            )
        return super().__new__(cls, text)

    def __repr__(self) -> str:
        return f"Platform({str.__repr__(self)})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validates as a string of the platform-name shape (pydantic models, FastAPI)."""
        return core_schema.no_info_after_validator_function(
            cls, core_schema.str_schema(pattern=_PLATFORM_NAME)
        )


Platform.GENERIC = Platform("generic")
Platform.DISCORD = Platform("discord")
Platform.TELEGRAM = Platform("telegram")


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
