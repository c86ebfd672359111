"""Runs a real PTB Application with moodmoji's handlers against the fake Bot API server."""

from __future__ import annotations

import datetime
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram.ext import Application

from moodmoji.adapters.telegram import TelegramMoodmoji, build_application
from moodmoji.adapters.telegram.application import protect_token
from moodmoji.adapters.telegram.webhook import (
    WebhookOptions,
    build_webhook_application,
    start_webhook,
)
from moodmoji.bot.chat_settings import ChatSettings
from tests.adapters.telegram.fake_bot_api import FakeBotAPI

TOKEN = "7012345678:AAH-fake-token-Zx9Qw8Er7Ty6Ui5Op4As3Df"

#: Pacing relaxed so that assertions are about the adapter, not the core's cooldowns.
RELAXED = ChatSettings(
    chat_cooldown_s=0, user_cooldown_s=0, budget_reactions=10_000, budget_share=1.0
)

HAPPY = "I love you all so much"
WIN = "We won the championship!!!"
GRIEF = "My grandmother passed away last night."


def limited_application(fake: FakeBotAPI) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Application ``moodmoji telegram`` builds (with ``AIORateLimiter``), on the fake."""
    return build_application(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url)


def plain_application(fake: FakeBotAPI) -> Application[Any, Any, Any, Any, Any, Any]:
    """A user's own Application: no rate limiter, built with PTB's builder."""
    protect_token(TOKEN)
    return (
        Application.builder()
        .token(TOKEN)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )


@asynccontextmanager
async def running(
    fake: FakeBotAPI,
    moodmoji: TelegramMoodmoji,
    application: Application[Any, Any, Any, Any, Any, Any] | None = None,
    *,
    drain_s: float = 10.0,
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Polls the fake with moodmoji installed; stops gracefully (drains queued work)."""
    app = application if application is not None else limited_application(fake)
    moodmoji.install(app)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=datetime.timedelta(seconds=1))
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
            await moodmoji.aclose(drain_s=drain_s)


async def settle(
    fake: FakeBotAPI,
    app: Application[Any, Any, Any, Any, Any, Any],
    moodmoji: TelegramMoodmoji,
    *,
    timeout: float = 30.0,
) -> None:
    """Waits until every update was fetched and confirmed, dispatched, and its work done."""
    await fake.wait_for(lambda: fake.pending == 0, timeout=timeout, what="updates confirmed")
    await app.update_queue.join()
    await moodmoji.join()


#: The webhook secret of the tests (Telegram's alphabet, 16 characters at least).
WEBHOOK_SECRET = "s3cr3t-Webhook_token-for-tests-0123456789"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_options(
    *, port: int | None = None, set_webhook: bool = True, secret: str = WEBHOOK_SECRET
) -> WebhookOptions:
    """A worker on 127.0.0.1:``port`` (a free one by default), answering on ``/telegram``."""
    port = port if port is not None else free_port()
    return WebhookOptions(
        url=f"http://127.0.0.1:{port}/telegram",
        secret=secret,
        listen="127.0.0.1",
        port=port,
        path="/telegram",
        set_webhook=set_webhook,
    )


def webhook_application(fake: FakeBotAPI) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Application ``moodmoji telegram --webhook`` builds, on the fake."""
    return build_webhook_application(
        TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url
    )


@asynccontextmanager
async def webhook_running(
    fake: FakeBotAPI,
    moodmoji: TelegramMoodmoji,
    options: WebhookOptions,
    *,
    drain_s: float = 10.0,
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A webhook worker, as ``moodmoji telegram --webhook`` runs it (claims included)."""
    app = webhook_application(fake)
    moodmoji.install(app, claim_updates=True)
    async with app:
        await app.start()
        try:
            await start_webhook(app, options)
            yield app
        finally:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            await app.stop()
            await moodmoji.aclose(drain_s=drain_s)
