"""A small Discord REST API and gateway on 127.0.0.1, for the real discord.py client.

- :mod:`.world`: the server (roles, channels with overwrites, members, emoji), Discord's
  permission arithmetic and the JSON payloads.
- :mod:`.rules`: what Discord accepts (emoji, commands, message content) and its JSON errors.
- :mod:`.gateway`: HELLO, heartbeats, IDENTIFY -> READY, RESUME with a replay, zlib-stream.
- :mod:`.server`: :class:`FakeDiscord`, the REST routes and the helpers tests drive it with.
"""

from tests.adapters.discord.fake_discord.rules import EPHEMERAL
from tests.adapters.discord.fake_discord.server import (
    CALLBACK_ROUTE,
    CUT,
    DROP,
    FOLLOWUP_ROUTE,
    MESSAGE_ROUTE,
    REACTION_ROUTE,
    STALL,
    FakeDiscord,
    Interaction,
    Request,
)
from tests.adapters.discord.fake_discord.world import (
    ADD_REACTIONS,
    GUILD_MESSAGES,
    MANAGE_GUILD,
    MESSAGE_CONTENT,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    USE_APPLICATION_COMMANDS,
    VIEW_CHANNEL,
    Channel,
    GuildEmoji,
    Message,
    Overwrite,
    Role,
    User,
)

__all__ = [
    "ADD_REACTIONS",
    "CALLBACK_ROUTE",
    "CUT",
    "DROP",
    "EPHEMERAL",
    "FOLLOWUP_ROUTE",
    "GUILD_MESSAGES",
    "MANAGE_GUILD",
    "MESSAGE_CONTENT",
    "MESSAGE_ROUTE",
    "REACTION_ROUTE",
    "READ_MESSAGE_HISTORY",
    "SEND_MESSAGES",
    "STALL",
    "USE_APPLICATION_COMMANDS",
    "VIEW_CHANNEL",
    "Channel",
    "FakeDiscord",
    "GuildEmoji",
    "Interaction",
    "Message",
    "Overwrite",
    "Request",
    "Role",
    "User",
]
