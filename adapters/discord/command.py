"""``moodmoji discord``: the Discord bot on its own, with the moodmoji Cog and nothing else.

The token comes from the environment variable named by ``discord.token_env`` (never from the
config file or the command line). ``--sync`` registers the slash commands and the context menu
with Discord at this start (``--guild ID``: in that server only, which shows at once); a plain
start never syncs. SIGINT and SIGTERM close the gateway connection, the work queue and the bot
core, then exit with status 0.

Sharding (``discord.shard_count`` / ``discord.shard_ids``, or ``--shard-count`` /
``--shard-ids``): without a shard count the bot opens one gateway connection
(:class:`StandaloneBot`); with one it runs discord.py's ``AutoShardedBot``
(:class:`ShardedStandaloneBot`), this process's shard ids only when they are given, so that N
processes sharing one settings store split the servers between them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import signal
import sys
from pathlib import Path

import aiohttp
import discord
from discord.ext import commands

from moodmoji.adapters.common.redaction import protect_secret
from moodmoji.adapters.discord.cog import AnyBot, MoodCog
from moodmoji.adapters.discord.info import discord_section
from moodmoji.adapters.discord.settings import DiscordSettings
from moodmoji.adapters.discord.shards import (
    IdentifyPacer,
    ShardError,
    ShardPlan,
    plan_shards,
    shard_of,
)
from moodmoji.bot.chats import StoreError
from moodmoji.bot.config import Config
from moodmoji.bot.core import MoodBot
from moodmoji.bot.errors import CoreError

logger = logging.getLogger(__name__)

__all__ = ["ShardedStandaloneBot", "StandaloneBot", "build_bot", "build_intents", "run"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: Discord's gateway close codes for shard settings it refuses.
INVALID_SHARD, SHARDING_REQUIRED = 4010, 4011
#: Discord asks a client to wait 1 to 5 seconds (at random) before it identifies again.
REIDENTIFY_WAIT_S = (1.0, 5.0)


def build_intents(message_content: bool) -> discord.Intents:
    """The gateway intents moodmoji needs: servers, messages, custom emoji.

    Args:
        message_content: Ask for the privileged MESSAGE_CONTENT intent (automatic reactions
            need it; it must be enabled for the bot in the Developer Portal too).

    """
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.emojis_and_stickers = True
    intents.message_content = message_content
    return intents


async def _add_moodmoji(
    bot: AnyBot, moodbot: MoodBot, settings: DiscordSettings, *, sync: bool, guild: int | None
) -> None:
    """Adds the Cog to a standalone bot, then syncs the command tree when asked to."""
    await bot.add_cog(MoodCog(bot, moodbot, settings))
    if not sync:
        return
    target = discord.Object(id=guild) if guild is not None else None
    if target is not None:
        bot.tree.copy_global_to(guild=target)
    synced = await bot.tree.sync(guild=target)
    where = f"to server {guild}" if target is not None else "globally"
    logger.info("discord: synced %d application commands %s", len(synced), where)


def _quiet_voice() -> None:
    """Spares the user discord.py's warnings about voice libraries (moodmoji has no voice)."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


class StandaloneBot(commands.Bot):
    """A bot that runs only moodmoji, on one gateway connection (not sharded).

    Args:
        moodbot: The bot core (the caller closes it).
        settings: The Cog's settings.
        intents: Gateway intents (:func:`build_intents`).
        sync: Sync the command tree once logged in.
        guild: With ``sync``: sync to this server only.

    """

    def __init__(
        self,
        moodbot: MoodBot,
        settings: DiscordSettings,
        *,
        intents: discord.Intents,
        sync: bool = False,
        guild: int | None = None,
    ) -> None:
        _quiet_voice()
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, help_command=None)
        self.moodbot = moodbot
        self._settings = settings
        self._sync = sync
        self._guild = guild

    async def setup_hook(self) -> None:
        """Adds the Cog, then syncs the command tree when asked to."""
        await _add_moodmoji(self, self.moodbot, self._settings, sync=self._sync, guild=self._guild)


class ShardedStandaloneBot(commands.AutoShardedBot):
    """A bot that runs only moodmoji, on the gateway shards of ``plan``.

    Before connecting it reads the session start limit (``GET /gateway/bot``): its
    ``max_concurrency`` lets shards of different rate-limit keys identify together
    (:class:`~adapters.discord.shards.IdentifyPacer`), and few session starts left are
    warned about (Discord resets the token of a bot that uses them all up).

    Args:
        moodbot: The bot core (the caller closes it).
        settings: The Cog's settings.
        intents: Gateway intents (:func:`build_intents`).
        plan: The shard count and this process's shard ids (``plan.sharded`` must be true).
        sync: Sync the command tree once logged in.
        guild: With ``sync``: sync to this server only.
        pacer: Spaces this process's IDENTIFYs (built from the session start limit if not
            given).
        guild_ready_timeout: Seconds discord.py waits for a shard's next server at start.

    """

    def __init__(
        self,
        moodbot: MoodBot,
        settings: DiscordSettings,
        *,
        intents: discord.Intents,
        plan: ShardPlan,
        sync: bool = False,
        guild: int | None = None,
        pacer: IdentifyPacer | None = None,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        if not plan.sharded:
            raise ValueError("a sharded bot needs a shard count (a number or auto)")
        _quiet_voice()
        count = plan.count if isinstance(plan.count, int) else None
        if plan.ids is not None:
            super().__init__(
                command_prefix=commands.when_mentioned,
                intents=intents,
                help_command=None,
                shard_count=count,
                shard_ids=list(plan.ids),
                guild_ready_timeout=guild_ready_timeout,
            )
        else:
            super().__init__(
                command_prefix=commands.when_mentioned,
                intents=intents,
                help_command=None,
                shard_count=count,
                guild_ready_timeout=guild_ready_timeout,
            )
        self.moodbot = moodbot
        self.plan = plan
        self.pacer = pacer or IdentifyPacer()
        self._own_pacer = pacer is None
        self._settings = settings
        self._sync = sync
        self._guild = guild

    async def setup_hook(self) -> None:
        """Reads the session start limit, adds the Cog, syncs the tree when asked to."""
        await self._read_session_start_limit()
        await _add_moodmoji(self, self.moodbot, self._settings, sync=self._sync, guild=self._guild)

    async def _read_session_start_limit(self) -> None:
        try:
            limits = await self.fetch_session_start_limits()
        except (discord.DiscordException, OSError, aiohttp.ClientError, TimeoutError) as err:
            logger.warning(
                "discord: could not read the session start limit (%s); identifying one "
                "shard at a time",
                type(err).__name__,
            )
            return
        if self._own_pacer:
            self.pacer.max_concurrency = max(1, limits.max_concurrency)
        logger.info(
            "discord: %d of %d session starts left (reset in %.0f s); %d shard(s) may identify "
            "at once",
            limits.remaining,
            limits.total,
            limits.reset_after / 1000,
            limits.max_concurrency,
        )
        shards = len(self.plan.ids) if self.plan.ids is not None else None
        low = max(limits.total // 10, 2 * (shards or 1))
        if limits.remaining <= low:
            logger.warning(
                "discord: only %d session starts left until the reset in %.0f s: Discord "
                "resets the token of a bot that uses them all; avoid restarts until then",
                limits.remaining,
                limits.reset_after / 1000,
            )

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Waits until this shard may IDENTIFY (its rate-limit key's 5 s window).

        A shard that is identifying again (its session was invalidated) first waits 1 to 5
        seconds at random, as Discord asks; shards being launched wait only for their key.
        """
        shard = shard_id or 0
        if self.get_shard(shard) is not None:  # running already: identifying again
            await asyncio.sleep(random.uniform(*REIDENTIFY_WAIT_S))
        waited = await self.pacer.wait(shard)
        if waited > 0:
            logger.info("discord: shard %d identifies after %.1f s (rate limit)", shard, waited)

    async def on_shard_ready(self, shard_id: int) -> None:
        """Logs a shard ready, with its server count."""
        count = self.shard_count or 1
        servers = sum(1 for g in self.guilds if shard_of(g.id, count) == shard_id)
        logger.info("discord: shard %d of %d ready (%d servers)", shard_id, count, servers)

    async def on_shard_resumed(self, shard_id: int) -> None:
        """Logs a shard that resumed its session (no event was lost)."""
        logger.info("discord: shard %d resumed", shard_id)

    async def on_shard_disconnect(self, shard_id: int) -> None:
        """Logs a shard whose connection closed (discord.py reconnects it)."""
        logger.info("discord: shard %d disconnected", shard_id)


def build_bot(
    moodbot: MoodBot,
    settings: DiscordSettings,
    *,
    intents: discord.Intents,
    plan: ShardPlan,
    sync: bool = False,
    guild: int | None = None,
) -> AnyBot:
    """The standalone bot for ``plan``: sharded when it has a shard count, else one connection."""
    if plan.sharded:
        return ShardedStandaloneBot(
            moodbot, settings, intents=intents, plan=plan, sync=sync, guild=guild
        )
    return StandaloneBot(moodbot, settings, intents=intents, sync=sync, guild=guild)


def run(args: argparse.Namespace, config: Config) -> int:
    """Runs the bot until SIGINT or SIGTERM.

    Returns:
        0 after a clean shutdown; 1 when the bot could not start or lost its connection for
        good; 2 when the token variable is unset or the options do not fit together.

    """
    env = discord_section(config).token_env
    token = os.environ.get(env, "").strip()
    if not token:
        print(f"moodmoji: error: set {env} to the Discord bot token", file=sys.stderr)
        return EXIT_USAGE
    sync = bool(getattr(args, "sync", False))
    guild: int | None = getattr(args, "guild", None)
    if guild is not None and not sync:
        print("moodmoji: error: --guild only goes with --sync", file=sys.stderr)
        return EXIT_USAGE
    section = discord_section(config)
    try:
        plan = plan_shards(
            section.shard_count,
            section.shard_ids,
            count_arg=getattr(args, "shard_count", None),
            ids_arg=getattr(args, "shard_ids", None),
        )
    except ShardError as err:
        print(f"moodmoji: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    protect_secret(token)
    _quiet_library_debug()
    return asyncio.run(
        _serve(token, config, model=getattr(args, "model", None), sync=sync, guild=guild, plan=plan)
    )


def _quiet_library_debug() -> None:
    """discord.py's DEBUG records carry whole payloads (message text): keep them at INFO."""
    library = logging.getLogger("discord")
    if library.getEffectiveLevel() < logging.INFO:
        library.setLevel(logging.INFO)


async def _serve(
    token: str,
    config: Config,
    *,
    model: Path | None,
    sync: bool,
    guild: int | None,
    plan: ShardPlan,
) -> int:
    try:
        moodbot = await asyncio.to_thread(MoodBot.from_config, config, model=model)
    except (CoreError, StoreError) as err:
        print(f"moodmoji: error: {err}", file=sys.stderr)
        return EXIT_FAILED
    settings = DiscordSettings.from_config(discord_section(config))
    client = build_bot(
        moodbot,
        settings,
        intents=build_intents(discord_section(config).message_content),
        plan=plan,
        sync=sync,
        guild=guild,
    )
    logger.info("discord: running %s", plan.describe())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:
        loop.add_signal_handler(number, stop.set)
    runner = asyncio.create_task(client.start(token), name="moodmoji-discord-client")
    stopper = asyncio.create_task(stop.wait(), name="moodmoji-discord-stop")
    try:
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for number in signals:
            loop.remove_signal_handler(number)
        stopper.cancel()
        await client.close()
        if not runner.done():
            runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        await moodbot.aclose()
    failure = None if runner.cancelled() else runner.exception()
    if failure is None:
        logger.info("discord: stopped cleanly")
        return EXIT_OK
    print(f"moodmoji: error: {_explain(failure, config)}", file=sys.stderr)
    return EXIT_FAILED


def _explain(failure: BaseException, config: Config) -> str:
    """One line for why the bot stopped (never the token)."""
    if isinstance(failure, discord.LoginFailure):
        return f"Discord refused the token in {discord_section(config).token_env}"
    if isinstance(failure, discord.ConnectionClosed) and failure.code == SHARDING_REQUIRED:
        return (
            "Discord requires sharding for this many servers: set discord.shard_count (a "
            "number, or auto)"
        )
    if isinstance(failure, discord.ConnectionClosed) and failure.code == INVALID_SHARD:
        return (
            "Discord refused the shard settings (close code 4010): check discord.shard_count "
            "and discord.shard_ids"
        )
    if isinstance(failure, discord.PrivilegedIntentsRequired):
        return (
            "Discord refused the MESSAGE_CONTENT intent: enable it for the bot in the Developer "
            "Portal, or set discord.message_content: false"
        )
    if isinstance(failure, discord.HTTPException):
        return f"Discord answered {failure.status} (code {failure.code})"
    if isinstance(failure, discord.DiscordException | OSError | aiohttp.ClientError):
        return f"lost the connection to Discord ({type(failure).__name__})"
    logger.debug("discord: unexpected stop", exc_info=failure)
    return f"the Discord bot stopped ({type(failure).__name__})"
