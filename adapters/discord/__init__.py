"""Discord adapter: a discord.py Cog and extension, plus the standalone ``moodmoji discord``.

Drop moodmoji into an existing bot with one line::

    await bot.load_extension("adapters.discord")

:func:`setup` builds the bot core from the configuration file (``load_config()``), unless the
host bot already carries one as ``bot.moodbot`` (a :class:`bot.core.MoodBot`), which is then
shared and left open when the extension is unloaded. To wire the parts yourself, add
``MoodCog(bot, moodbot, DiscordSettings())`` with ``await bot.add_cog(...)``.

The extension never syncs the command tree; see ``docs/discord.md``.
"""

from __future__ import annotations

try:
    import discord  # noqa: F401  (checked here so that every submodule can rely on it)
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    raise ModuleNotFoundError(
        "the Discord adapter needs discord.py: pip install 'moodmoji[discord]'", name="discord"
    ) from exc

from discord.ext import commands

from adapters.discord.cog import MoodCog
from adapters.discord.settings import DiscordSettings
from bot.config import load_config
from bot.core import MoodBot

__all__ = ["DiscordSettings", "MoodCog", "setup"]


async def setup(bot: commands.Bot) -> None:
    """Entry point of ``bot.load_extension("adapters.discord")``: adds the moodmoji Cog.

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
        settings = DiscordSettings.from_config(load_config().discord)
        cog = MoodCog(bot, shared, settings)
    else:
        cog = await MoodCog.from_config(bot)
    await bot.add_cog(cog)
