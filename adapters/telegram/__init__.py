"""Telegram adapter on python-telegram-bot 22: standalone ``moodmoji telegram``, or handlers.

Add moodmoji to an :class:`telegram.ext.Application` you already run::

    from adapters.telegram import TelegramMoodmoji
    from bot.config import load_config

    moodmoji = TelegramMoodmoji.from_config(load_config())
    moodmoji.install(application)  # handlers in their own group; drains at post_stop

or run it on its own with ``moodmoji telegram`` (token from the environment variable named by
``telegram.token_env``). See ``docs/telegram.md``.
"""

from __future__ import annotations

try:
    import telegram  # noqa: F401  (checked here so that every submodule can rely on it)
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    raise ModuleNotFoundError(
        "the Telegram adapter needs python-telegram-bot: pip install 'moodmoji[telegram]'",
        name="telegram",
    ) from exc

from adapters.telegram.application import build_application
from adapters.telegram.plugin import TelegramMoodmoji, TelegramStats
from adapters.telegram.settings import TelegramSettings

__all__ = ["TelegramMoodmoji", "TelegramSettings", "TelegramStats", "build_application"]
