"""``moodmoji telegram``: runs the Telegram bot on its own until SIGINT or SIGTERM.

The token comes from the environment variable named by ``telegram.token_env`` (exit status 2,
one line naming the variable, when it is unset or empty). Start-up checks the token with
``getMe`` before the model is loaded, so a wrong token fails fast (exit status 1). On SIGINT or
SIGTERM the bot stops fetching updates, finishes the work it already took (Telegram was told
those updates are handled), closes the core and exits with status 0.

Updates come by long polling, or, with ``--webhook URL`` (``telegram.webhook_url``), through
PTB's webhook server (:mod:`adapters.telegram.webhook`): the secret token comes from the
variable named by ``telegram.webhook_secret_env`` (exit status 2 when it is unset), each update
is claimed in the shared store before it is decided, and ``--no-set-webhook`` leaves
``setWebhook`` to another worker.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from moodmoji.adapters.telegram import texts
from moodmoji.adapters.telegram.application import build_application
from moodmoji.adapters.telegram.info import telegram_section
from moodmoji.adapters.telegram.plugin import COMMANDS, TelegramMoodmoji
from moodmoji.adapters.telegram.webhook import (
    ALLOWED_UPDATES,
    WebhookError,
    WebhookOptions,
    WebhookUsageError,
    build_webhook_application,
    start_webhook,
    webhook_options,
)
from moodmoji.bot.chats import StoreError
from moodmoji.bot.config import Config
from moodmoji.bot.core import MoodBot
from moodmoji.bot.errors import CoreError

logger = logging.getLogger(__name__)

__all__ = ["run", "serve"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def run(args: argparse.Namespace, config: Config) -> int:
    """Runs the bot until SIGINT or SIGTERM; returns the exit status."""
    section = telegram_section(config)
    name = section.token_env
    token = os.environ.get(name, "").strip()
    if not token:
        print(
            f"moodmoji: error: environment variable {name} is not set; put the bot token "
            "from @BotFather in it (telegram.token_env names the variable)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        webhook = webhook_options(
            section,
            url=getattr(args, "webhook", None),
            listen=getattr(args, "webhook_listen", None),
            port=getattr(args, "webhook_port", None),
            set_webhook=getattr(args, "set_webhook", None),
        )
    except WebhookUsageError as exc:
        print(f"moodmoji: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # Opt in to PTB's coming timedelta time periods (no deprecation warning on every 429).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    try:
        return asyncio.run(
            serve(token, config, model=getattr(args, "model", None), webhook=webhook)
        )
    except InvalidToken:
        print("moodmoji: error: Telegram refused the bot token (check it)", file=sys.stderr)
    except NetworkError as exc:
        print(f"moodmoji: error: cannot reach the Bot API ({exc.message})", file=sys.stderr)
    except (CoreError, StoreError, WebhookError) as exc:
        print(f"moodmoji: error: {exc}", file=sys.stderr)
    return EXIT_FAILED


async def serve(
    token: str,
    config: Config,
    *,
    model: Path | None = None,
    stop: asyncio.Event | None = None,
    webhook: WebhookOptions | None = None,
) -> int:
    """Runs the bot until ``stop`` is set (by SIGINT or SIGTERM unless one is given).

    Args:
        token: The bot token.
        config: The loaded configuration.
        model: A model bundle directory overriding ``model.path``.
        stop: Set to stop; ``None`` = stop on SIGINT or SIGTERM.
        webhook: Receive updates on PTB's webhook server; ``None`` = long polling.

    Raises:
        InvalidToken: Telegram refused the token.
        NetworkError: The Bot API could not be reached at start-up.
        CoreError, StoreError: The model or the settings store could not be loaded.
        WebhookError: The webhook server could not listen, or Telegram refused the webhook.

    """
    section = telegram_section(config)
    if webhook is None:
        application = build_application(token, base_url=section.base_url)
    else:
        application = build_webhook_application(token, base_url=section.base_url)
    stop = stop if stop is not None else _stop_on_signals()
    async with application:  # initialize() checks the token with getMe
        logger.info("telegram: signed in as @%s; loading the model", application.bot.username)
        moodbot = await asyncio.to_thread(MoodBot.from_config, config, model=model)
        moodmoji = TelegramMoodmoji.from_config(config, moodbot=moodbot)
        try:
            moodmoji.install(application, help_commands=True, claim_updates=webhook is not None)
            application.add_error_handler(_log_error)
            if webhook is None or webhook.set_webhook:  # one worker of several registers
                await _announce_commands(application)
            await application.start()
            assert application.updater is not None  # built by the ApplicationBuilder
            if webhook is None:
                await application.updater.start_polling(
                    poll_interval=0.0,
                    timeout=datetime.timedelta(seconds=section.poll_timeout_s),
                    allowed_updates=ALLOWED_UPDATES,
                )
            else:
                if not moodbot.chats.keeps_state:
                    logger.warning(
                        "telegram: no settings store (store.path): an update delivered to "
                        "two workers may be decided twice"
                    )
                await start_webhook(application, webhook)
            logger.info("telegram: listening (Ctrl-C or SIGTERM stops)")
            await stop.wait()
            logger.info("telegram: stopping; finishing the work already taken")
        finally:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()  # confirms the updates fetched so far
            if application.running:
                await application.stop()  # hands every fetched update to the handlers
            await moodmoji.aclose()  # finishes the queued work
            await moodbot.aclose()
    logger.info("telegram: stopped")
    return EXIT_OK


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (a second signal is ignored, the stop is under way)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # platforms without signal handlers
            loop.add_signal_handler(sig, stop.set)
    return stop


async def _announce_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Registers the command list shown in Telegram's menu (best effort).

    The English list is every user's menu; each other language of the catalogues gets its own
    (``language_code``), which Telegram shows to users whose app is in that language.
    """
    bot = application.bot
    try:
        await bot.set_my_commands([BotCommand(name, about) for name, about in COMMANDS.items()])
        for language in texts.command_languages():
            described = texts.command_descriptions(texts.texts_for_user(language))
            commands = [BotCommand(name, about) for name, about in described.items()]
            await bot.set_my_commands(commands, language_code=language)
    except TelegramError as exc:
        logger.warning("telegram: could not register the command list (%s)", type(exc).__name__)


async def _log_error(update: object, context: Any) -> None:
    """PTB's error handler: the error's type and the update id, never the update itself."""
    update_id = update.update_id if isinstance(update, Update) else None
    logger.warning(
        "telegram: a handler failed on update %s (%s)", update_id, type(context.error).__name__
    )
