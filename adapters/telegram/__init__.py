"""Telegram adapter on python-telegram-bot 22: standalone ``moodmoji telegram``, or handlers.

Add moodmoji to an :class:`telegram.ext.Application` you already run::

    from moodmoji.adapters.telegram import TelegramMoodmoji
    from moodmoji.bot.config import load_config

    moodmoji = TelegramMoodmoji.from_config(load_config())
    moodmoji.install(application)  # handlers in their own group; drains at post_stop

or run it on its own with ``moodmoji telegram`` (token from the environment variable named by
``telegram.token_env``). See ``docs/telegram.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from moodmoji.adapters.common.extras import lazy_exports
from moodmoji.adapters.telegram.info import ADAPTER

if TYPE_CHECKING:
    from moodmoji.adapters.telegram.application import build_application
    from moodmoji.adapters.telegram.plugin import TelegramMoodmoji, TelegramStats
    from moodmoji.adapters.telegram.settings import TelegramSettings

__all__ = ["ADAPTER", "TelegramMoodmoji", "TelegramSettings", "TelegramStats", "build_application"]

__getattr__ = lazy_exports(
    __name__,
    {
        "build_application": "moodmoji.adapters.telegram.application",
        "TelegramMoodmoji": "moodmoji.adapters.telegram.plugin",
        "TelegramStats": "moodmoji.adapters.telegram.plugin",
        "TelegramSettings": "moodmoji.adapters.telegram.settings",
    },
    libraries=("telegram",),
    extra="telegram",
    what="the Telegram adapter",
    needs="python-telegram-bot",
)
