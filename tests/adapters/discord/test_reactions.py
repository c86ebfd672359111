"""The core's reactions in the form discord.py sends, and the permission pre-check."""

from __future__ import annotations

import discord

from moodmoji.adapters.discord.reactions import missing_permissions, reaction_emoji
from moodmoji.bot.decision import Reaction

PEPE = "<:pepehappy:123456789012345678>"
PARTY = "<a:party:223456789012345678>"


def test_unicode_emoji_go_as_they_are() -> None:
    assert reaction_emoji(Reaction("🎂", 0.9), lambda _: False) == "🎂"
    assert reaction_emoji(Reaction("❤️", 0.9), lambda _: False) == "❤️"


def test_a_usable_custom_emoji_goes_as_name_and_id() -> None:
    emoji = reaction_emoji(Reaction(PEPE, 0.9, stands_for="😊"), lambda i: i == 123456789012345678)
    assert isinstance(emoji, discord.PartialEmoji)
    assert emoji._as_reaction() == "pepehappy:123456789012345678"
    animated = reaction_emoji(Reaction(PARTY, 0.9), lambda _: True)
    assert isinstance(animated, discord.PartialEmoji) and animated.animated
    assert animated._as_reaction() == "party:223456789012345678"


def test_an_unusable_custom_emoji_falls_back_to_what_it_stands_for() -> None:
    assert reaction_emoji(Reaction(PEPE, 0.9, stands_for="😊"), lambda _: False) == "😊"
    assert reaction_emoji(Reaction(PEPE, 0.9), lambda _: False) is None
    assert reaction_emoji(Reaction(PEPE, 0.9, stands_for=PARTY), lambda _: False) is None


def test_missing_permissions_are_named() -> None:
    everything = discord.Permissions(
        view_channel=True, read_message_history=True, add_reactions=True
    )
    assert missing_permissions(everything) == ()
    assert missing_permissions(discord.Permissions(view_channel=True)) == (
        "read_message_history",
        "add_reactions",
    )
    assert missing_permissions(discord.Permissions.none()) == (
        "view_channel",
        "read_message_history",
        "add_reactions",
    )
