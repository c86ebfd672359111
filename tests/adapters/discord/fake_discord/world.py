"""The fake's world: one server with roles, channels, members and custom emoji, Discord's
permission arithmetic, and the JSON payloads discord.py parses."""

from __future__ import annotations

import datetime
import itertools
import re
import time
from dataclasses import dataclass, field
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
ALL_PERMISSIONS = (1 << 51) - 1

# Gateway intents (https://discord.com/developers/docs/events/gateway#gateway-intents).
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
MESSAGE_CONTENT = 1 << 15

MENTION = re.compile(r"<@!?([0-9]{15,21})>")


class Snowflakes:
    """Discord ids: milliseconds since 2015 in the top bits, so ``created_at`` is now."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def __call__(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return self._at(ms)

    def on_shard(self, shard_id: int, shard_count: int) -> int:
        """An id (of a server) that Discord's formula puts on this shard: a few ms ahead."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return self._at(ms + (shard_id - ms) % shard_count)

    def _at(self, ms: int) -> int:
        return (ms << 22) | (1 << 17) | (1 << 12) | (next(self._counter) % 4096)


def shard_of(guild_id: int, shard_count: int) -> int:
    """Discord's sharding formula: the shard a server's events go to."""
    return (guild_id >> 22) % shard_count


@dataclass
class User:
    id: int
    username: str
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": None if self.bot else self.username.title(),
            "avatar": None,
            "public_flags": 0,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class Role:
    id: int
    name: str
    permissions: int
    position: int
    managed_by: int | None = None

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed_by is not None,
            "mentionable": False,
            "flags": 0,
        }
        if self.managed_by is not None:
            data["tags"] = {"bot_id": str(self.managed_by)}
        return data


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass
class Channel:
    id: int
    name: str
    position: int
    overwrites: list[Overwrite] = field(default_factory=list)

    def payload(self, guild_id: int) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": 0,
            "guild_id": str(guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [o.payload() for o in self.overwrites],
            "parent_id": None,
            "nsfw": False,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }


@dataclass
class Member:
    user: User
    roles: list[int] = field(default_factory=list)

    def payload(self, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        return data


@dataclass
class GuildEmoji:
    id: int
    name: str

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "roles": [],
            "require_colons": True,
            "managed": False,
            "animated": False,
            "available": True,
        }


@dataclass
class Message:
    id: int
    channel_id: int
    author: User
    content: str
    webhook_id: int | None = None


# ------------------------------------------------------------------------------------------------
# Permissions, as https://discord.com/developers/docs/topics/permissions computes them
# ------------------------------------------------------------------------------------------------


def base_permissions(guild: Guild, member: Member) -> int:
    if member.user.id == guild.owner_id:
        return ALL_PERMISSIONS
    permissions = guild.role(guild.id).permissions  # @everyone
    for role_id in member.roles:
        permissions |= guild.role(role_id).permissions
    if permissions & ADMINISTRATOR:
        return ALL_PERMISSIONS
    return permissions


def channel_permissions(guild: Guild, member: Member, channel: Channel) -> int:
    base = base_permissions(guild, member)
    if base & ADMINISTRATOR or base == ALL_PERMISSIONS:
        return ALL_PERMISSIONS
    permissions = base
    by_id = {(o.type, o.id): o for o in channel.overwrites}
    everyone = by_id.get((0, guild.id))
    if everyone is not None:
        permissions &= ~everyone.deny
        permissions |= everyone.allow
    allow = deny = 0
    for role_id in member.roles:
        overwrite = by_id.get((0, role_id))
        if overwrite is not None:
            allow |= overwrite.allow
            deny |= overwrite.deny
    permissions &= ~deny
    permissions |= allow
    own = by_id.get((1, member.user.id))
    if own is not None:
        permissions &= ~own.deny
        permissions |= own.allow
    if not permissions & VIEW_CHANNEL:
        return 0
    return permissions


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: list[Role] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    emojis: list[GuildEmoji] = field(default_factory=list)

    def role(self, role_id: int) -> Role:
        return next(r for r in self.roles if r.id == role_id)

    def channel(self, channel_id: int) -> Channel | None:
        return next((c for c in self.channels if c.id == channel_id), None)

    def channel_named(self, name: str) -> Channel:
        return next(c for c in self.channels if c.name == name)

    def has_channel(self, channel_id: int) -> bool:
        return any(c.id == channel_id for c in self.channels)

    def member(self, user_id: int) -> Member | None:
        return next((m for m in self.members if m.user.id == user_id), None)


def message_payload(
    guild: Guild, bot_user: User, message: Message, *, intents: int | None
) -> dict[str, Any]:
    """A message as the gateway and REST send it, its content blanked without MESSAGE_CONTENT.

    Args:
        intents: The receiving session's intents; ``None`` always includes the content (the
            target message of an app command).
    """
    mentions = [int(m) for m in MENTION.findall(message.content)]
    readable = (
        intents is None
        or intents & MESSAGE_CONTENT
        or bot_user.id in mentions
        or message.author.id == bot_user.id
    )
    data: dict[str, Any] = {
        "id": str(message.id),
        "channel_id": str(message.channel_id),
        "guild_id": str(guild.id),
        "author": message.author.payload(),
        "content": message.content if readable else "",
        "timestamp": datetime.datetime.fromtimestamp(
            ((message.id >> 22) + DISCORD_EPOCH_MS) / 1000, datetime.UTC
        ).isoformat(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [m.user.payload() for uid in mentions if (m := guild.member(uid)) is not None],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
        "components": [],
    }
    if message.webhook_id is not None:
        data["webhook_id"] = str(message.webhook_id)
    else:
        member = guild.member(message.author.id)
        if member is not None:
            data["member"] = member.payload(with_user=False)
    return data


def guild_payload(guild: Guild, bot_user: User, intents: int) -> dict[str, Any]:
    """GUILD_CREATE: without GUILD_MEMBERS, Discord sends only the bot's own member."""
    members = guild.members
    if not intents & GUILD_MEMBERS:  # without the intent Discord sends only the bot itself
        members = [m for m in members if m.user.id == bot_user.id]
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "application_id": None,
        "max_members": 500_000,
        "features": [],
        "roles": [r.payload() for r in guild.roles],
        "emojis": [e.payload() for e in guild.emojis],
        "stickers": [],
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "large": False,
        "unavailable": False,
        "member_count": len(guild.members),
        "voice_states": [],
        "members": [m.payload() for m in members],
        "channels": [c.payload(guild.id) for c in guild.channels],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }
