"""The extension hooks of ``await bot.load_extension("moodmoji.adapters.discord")``."""

from __future__ import annotations

from moodmoji.adapters.discord.cog import AnyBot, MoodCog
from moodmoji.adapters.discord.info import discord_section
from moodmoji.adapters.discord.settings import DiscordSettings
from moodmoji.bot.config import load_config
from moodmoji.bot.core import MoodBot

__all__ = ["setup"]


async def setup(bot: AnyBot) -> None:
    """Entry point of ``bot.load_extension("moodmoji.adapters.discord")``: adds the moodmoji Cog.

    Uses ``bot.moodbot`` when the host bot provides a :class:`~bot.core.MoodBot` (it stays
    the host's to close); otherwise builds one from the configuration file, in a worker thread
    so that the event loop keeps running, and closes it when the extension is unloaded.

    Raises:
        ConfigError: The configuration file is invalid.
        InferenceError: The model bundle is missing or invalid.
        StoreError: The settings store cannot be opened.

    """
    shared = getattr(bot, "moodbot", None)
    if isinstance(shared, MoodBot):
        settings = DiscordSettings.from_config(discord_section(load_config()))
        cog = MoodCog(bot, shared, settings)
    else:
        cog = await MoodCog.from_config(bot)
    await bot.add_cog(cog)
