"""What the Discord adapter tells the core and the command line: its registry entry.

Importable without discord.py (the command line lists the adapter and names its extra when the
library is missing). Discord's reaction rules: any Unicode emoji, up to
``platforms.discord_max_reactions``, and a map from coarse moods or emoji to a server's custom
emoji (``<:name:id>``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, cast

from pydantic import Field

from moodmoji.bot.config import AdapterSection, EnvName, Number
from moodmoji.bot.messages import Platform
from moodmoji.bot.platforms import PlatformRules
from moodmoji.bot.registry import AdapterInfo

if TYPE_CHECKING:
    from moodmoji.bot.config import Config

__all__ = ["ADAPTER", "DiscordSection", "discord_rules", "discord_section"]


class DiscordSection(AdapterSection):
    """The Discord adapter: ``moodmoji discord``, or loaded as an extension.

    ``await bot.load_extension("moodmoji.adapters.discord")`` in a bot of one's own.

    Attributes:
        token_env: Environment variable holding the bot token from the Developer Portal.
        message_content: Ask for the privileged MESSAGE_CONTENT intent; without it the bot
            cannot read messages flowing past and offers only the context menu and commands.
        request_timeout_s: Longest wait for one call to Discord, discord.py's own 5xx
            retries included (discord.py sets no timeout; aiohttp's default is 5 minutes).

    """

    token_env: EnvName = "MOODMOJI_DISCORD_TOKEN"
    message_content: bool = True
    request_timeout_s: Number = Field(default=10, gt=0, le=300, allow_inf_nan=False)


def discord_rules(
    config: Config | None = None, *, max_reactions: int | None = None
) -> PlatformRules:
    """Discord's rules: any Unicode emoji, custom emoji through the chat's map.

    Args:
        config: Where ``platforms.discord_max_reactions`` comes from.
        max_reactions: Overrides the config's count (tests, tools).
    """
    if max_reactions is None:
        max_reactions = config.platforms.discord_max_reactions if config is not None else 1
    return PlatformRules(Platform.DISCORD, max_reactions=max_reactions, custom_emoji_allowed=True)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, help="model bundle directory")
    parser.add_argument(
        "--sync",
        action="store_true",
        help="register the slash commands and context menu with Discord at this start",
    )
    parser.add_argument(
        "--guild", type=int, metavar="ID", help="with --sync: sync to this server only (instant)"
    )


ADAPTER = AdapterInfo(
    name="discord",
    summary="run the Discord bot (needs the discord extra and a token)",
    section=DiscordSection,
    platform=Platform.DISCORD,
    rules=discord_rules,
    extra="discord",
    command="discord",
    runner="moodmoji.adapters.discord.command",
    arguments=_arguments,
    install='await bot.load_extension("moodmoji.adapters.discord")',
)


def discord_section(config: Config) -> DiscordSection:
    """The discord section of ``config`` (its defaults when ``config`` was built without it)."""
    # A cast, not isinstance: discord.py's extension reload imports this module afresh, while
    # the config keeps the section it was validated with.
    return cast(DiscordSection, ADAPTER.section_of(config))
