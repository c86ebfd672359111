"""What the Discord adapter tells the core and the command line: its registry entry.

Importable without discord.py (the command line lists the adapter and names its extra when the
library is missing). Discord's reaction rules: any Unicode emoji, up to
``platforms.discord_max_reactions``, and a map from coarse moods or emoji to a server's custom
emoji (``<:name:id>``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, cast

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from moodmoji.adapters.discord.shards import (
    parse_shard_count,
    parse_shard_ids,
    shard_count_input,
    shard_ids_problem,
)
from moodmoji.bot.config import AdapterSection, EnvName, Integer, Number
from moodmoji.bot.messages import Platform
from moodmoji.bot.platforms import PlatformRules
from moodmoji.bot.registry import AdapterInfo

if TYPE_CHECKING:
    from moodmoji.bot.config import Config

__all__ = ["ADAPTER", "DiscordSection", "discord_rules", "discord_section"]


def _shard_count(value: object) -> object:
    """One clear problem for a bad ``shard_count`` (not one per member of the union)."""
    try:
        return shard_count_input(value)
    except ValueError as err:
        raise PydanticCustomError("shard_count", str(err)) from None


_ShardCount = Annotated[int | Literal["auto"] | None, BeforeValidator(_shard_count)]
_ShardId = Annotated[Integer, Field(ge=0)]


class DiscordSection(AdapterSection):
    """The Discord adapter: ``moodmoji discord``, or loaded as an extension.

    ``await bot.load_extension("moodmoji.adapters.discord")`` in a bot of one's own.

    Attributes:
        token_env: Environment variable holding the bot token from the Developer Portal.
        message_content: Ask for the privileged MESSAGE_CONTENT intent; without it the bot
            cannot read messages flowing past and offers only the context menu and commands.
        request_timeout_s: Longest wait for one call to Discord, discord.py's own 5xx
            retries included (discord.py sets no timeout; aiohttp's default is 5 minutes).
        shard_count: ``moodmoji discord`` only. ``None``: one gateway connection, not sharded
            (enough below 2,500 servers). A number: the bot's shards across every process;
            ``auto``: as many as Discord recommends, all in this process.
        shard_ids: The shards this process runs (each in ``0..shard_count-1``, no repeats);
            ``None``: all of them. Needs a numeric ``shard_count``.

    """

    token_env: EnvName = "MOODMOJI_DISCORD_TOKEN"
    message_content: bool = True
    request_timeout_s: Number = Field(default=10, gt=0, le=300, allow_inf_nan=False)
    shard_count: _ShardCount = None
    shard_ids: tuple[_ShardId, ...] | None = None

    @field_validator("shard_ids")
    @classmethod
    def _shard_ids_fit(
        cls, value: tuple[int, ...] | None, info: ValidationInfo
    ) -> tuple[int, ...] | None:
        if value is None or "shard_count" not in info.data:  # a bad count has its own error
            return value
        problem = shard_ids_problem(
            value, info.data["shard_count"], count_key="discord.shard_count"
        )
        if problem is not None:
            raise PydanticCustomError("shard_ids", problem)
        return value


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
    parser.add_argument(
        "--shard-count",
        type=parse_shard_count,
        metavar="N|auto",
        help="the bot's gateway shards across every process (overrides discord.shard_count)",
    )
    parser.add_argument(
        "--shard-ids",
        type=parse_shard_ids,
        metavar="IDS",
        help="the shards this process runs, like 0,1 (overrides discord.shard_ids)",
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
