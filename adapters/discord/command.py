"""``moodmoji discord``: the Discord bot on its own, with the moodmoji Cog and nothing else.

The token comes from the environment variable named by ``discord.token_env`` (never from the
config file or the command line). ``--sync`` registers the slash commands and the context menu
with Discord at this start (``--guild ID``: in that server only, which shows at once); a plain
start never syncs. SIGINT and SIGTERM close the gateway connection, the work queue and the bot
core, then exit with status 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

import aiohttp
import discord
from discord.ext import commands

from moodmoji.adapters.common.redaction import protect_secret
from moodmoji.adapters.discord.cog import MoodCog
from moodmoji.adapters.discord.info import discord_section
from moodmoji.adapters.discord.settings import DiscordSettings
from moodmoji.bot.chats import StoreError
from moodmoji.bot.config import Config
from moodmoji.bot.core import MoodBot
from moodmoji.bot.errors import CoreError

logger = logging.getLogger(__name__)

__all__ = ["StandaloneBot", "build_intents", "run"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


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


class StandaloneBot(commands.Bot):
    """A bot that runs only moodmoji.

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
        # moodmoji never joins voice: spare the user discord.py's warnings about voice libraries.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, help_command=None)
        self.moodbot = moodbot
        self._settings = settings
        self._sync = sync
        self._guild = guild

    async def setup_hook(self) -> None:
        """Adds the Cog, then syncs the command tree when asked to."""
        await self.add_cog(MoodCog(self, self.moodbot, self._settings))
        if not self._sync:
            return
        target = discord.Object(id=self._guild) if self._guild is not None else None
        if target is not None:
            self.tree.copy_global_to(guild=target)
        synced = await self.tree.sync(guild=target)
        where = f"to server {self._guild}" if target is not None else "globally"
        logger.info("discord: synced %d application commands %s", len(synced), where)


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
    protect_secret(token)
    _quiet_library_debug()
    return asyncio.run(
        _serve(token, config, model=getattr(args, "model", None), sync=sync, guild=guild)
    )


def _quiet_library_debug() -> None:
    """discord.py's DEBUG records carry whole payloads (message text): keep them at INFO."""
    library = logging.getLogger("discord")
    if library.getEffectiveLevel() < logging.INFO:
        library.setLevel(logging.INFO)


async def _serve(
    token: str, config: Config, *, model: Path | None, sync: bool, guild: int | None
) -> int:
    try:
        moodbot = await asyncio.to_thread(MoodBot.from_config, config, model=model)
    except (CoreError, StoreError) as err:
        print(f"moodmoji: error: {err}", file=sys.stderr)
        return EXIT_FAILED
    settings = DiscordSettings.from_config(discord_section(config))
    client = StandaloneBot(
        moodbot,
        settings,
        intents=build_intents(discord_section(config).message_content),
        sync=sync,
        guild=guild,
    )
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
