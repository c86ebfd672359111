"""Reading the message a user points ``/why`` at: a message link, ``channel-message`` or an id."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MessageRef", "parse_message_ref"]

_SNOWFLAKE = r"[0-9]{15,21}"
_LINK = re.compile(
    r"<?https?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/channels/"
    rf"(?P<guild>{_SNOWFLAKE}|@me)/(?P<channel>{_SNOWFLAKE})/(?P<message>{_SNOWFLAKE})/?>?"
)
_PAIR = re.compile(rf"(?P<channel>{_SNOWFLAKE})-(?P<message>{_SNOWFLAKE})")
_ID = re.compile(_SNOWFLAKE)


@dataclass(frozen=True)
class MessageRef:
    """Where a message is, as far as the user said.

    Attributes:
        message_id: The message.
        channel_id: Its channel, or ``None`` for "the channel the command was used in".
        guild_id: Its server, or ``None`` (a bare id, or a direct-message link).

    """

    message_id: int
    channel_id: int | None = None
    guild_id: int | None = None


def parse_message_ref(text: str) -> MessageRef | None:
    """Reads a message link (``https://discord.com/channels/G/C/M``), ``C-M`` or a bare ``M``.

    Returns:
        The reference, or ``None`` when ``text`` is none of these.

    """
    text = text.strip()
    if match := _LINK.fullmatch(text):
        guild = match["guild"]
        return MessageRef(
            int(match["message"]),
            int(match["channel"]),
            None if guild == "@me" else int(guild),
        )
    if match := _PAIR.fullmatch(text):
        return MessageRef(int(match["message"]), int(match["channel"]))
    if _ID.fullmatch(text):
        return MessageRef(int(text))
    return None
