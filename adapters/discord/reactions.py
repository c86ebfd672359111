"""Turning the core's reactions into what Discord takes, and checking the bot may react.

Discord's reaction route takes a Unicode emoji (percent-encoded by discord.py) or a custom
emoji as ``name:id``. The core writes custom emoji as ``<:name:id>``; discord.py would send that
string as ``:name:id``, which Discord rejects, so custom emoji travel as
:class:`discord.PartialEmoji`.
"""

from __future__ import annotations

from collections.abc import Callable

import discord

from moodmoji.bot.chat_settings import CUSTOM_EMOJI_PATTERN
from moodmoji.bot.decision import Reaction

__all__ = ["REACTION_PERMISSIONS", "missing_permissions", "reaction_emoji"]

#: What the bot needs in a channel to react: see it, read its history, add reactions.
REACTION_PERMISSIONS = ("view_channel", "read_message_history", "add_reactions")


def reaction_emoji(
    reaction: Reaction, usable: Callable[[int], bool]
) -> discord.PartialEmoji | str | None:
    """What to pass to :meth:`discord.Message.add_reaction` for one of the core's reactions.

    Args:
        reaction: The core's reaction (a Unicode emoji, or ``<:name:id>``).
        usable: Whether the bot may use the custom emoji with this id (it must be on a
            server the bot is in and not restricted to roles the bot lacks).

    Returns:
        The Unicode emoji, a :class:`discord.PartialEmoji` for a usable custom emoji, the
        Unicode emoji a custom one stands for when the bot cannot use it, or ``None`` when
        nothing is left to send.

    """
    text = reaction.emoji
    if not CUSTOM_EMOJI_PATTERN.fullmatch(text):
        return text or None
    partial = discord.PartialEmoji.from_str(text)
    if partial.id is not None and usable(partial.id):
        return partial
    fallback = reaction.stands_for
    if fallback and not CUSTOM_EMOJI_PATTERN.fullmatch(fallback):
        return fallback
    return None


def missing_permissions(permissions: discord.Permissions) -> tuple[str, ...]:
    """The reaction permissions (:data:`REACTION_PERMISSIONS`) missing from ``permissions``."""
    return tuple(name for name in REACTION_PERMISSIONS if not getattr(permissions, name))
