"""Discord adapter: a discord.py Cog and extension, plus the standalone ``moodmoji discord``.

Drop moodmoji into an existing bot with one line::

    await bot.load_extension("moodmoji.adapters.discord")

:func:`setup` builds the bot core from the configuration file (``load_config()``), unless the
host bot already carries one as ``bot.moodbot`` (a :class:`bot.core.MoodBot`), which is then
shared and left open when the extension is unloaded. To wire the parts yourself, add
``MoodCog(bot, moodbot, DiscordSettings())`` with ``await bot.add_cog(...)``.

The extension never syncs the command tree; see ``docs/discord.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from moodmoji.adapters.common.extras import lazy_exports
from moodmoji.adapters.discord.info import ADAPTER

if TYPE_CHECKING:
    from moodmoji.adapters.discord.cog import MoodCog
    from moodmoji.adapters.discord.extension import setup
    from moodmoji.adapters.discord.settings import DiscordSettings

__all__ = ["ADAPTER", "DiscordSettings", "MoodCog", "setup"]

__getattr__ = lazy_exports(
    __name__,
    {
        "DiscordSettings": "moodmoji.adapters.discord.settings",
        "MoodCog": "moodmoji.adapters.discord.cog",
        "setup": "moodmoji.adapters.discord.extension",
    },
    libraries=("discord",),
    extra="discord",
    what="the Discord adapter",
    needs="discord.py",
)
