"""Builds the python-telegram-bot Application that ``moodmoji telegram`` runs."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import AIORateLimiter, Application, BaseRateLimiter

from moodmoji.adapters.common.redaction import protect_secret

__all__ = ["DEFAULT_BASE_URL", "build_application", "file_url_for", "protect_token"]

DEFAULT_BASE_URL = "https://api.telegram.org/bot"


def protect_token(token: str) -> None:
    """Keeps ``token`` out of every log record, and PTB's chattiest loggers quiet.

    The token is part of every Bot API URL. httpx and httpcore (which log each request URL)
    are pinned to WARNING, every log record is redacted, and the ``telegram`` loggers are held
    at INFO at least: at DEBUG they print whole updates, message text included.
    """
    protect_secret(token)
    quiet = logging.getLogger("telegram")
    if quiet.getEffectiveLevel() < logging.INFO:
        quiet.setLevel(logging.INFO)


def file_url_for(base_url: str) -> str:
    """The file-download root that goes with a Bot API root (``.../bot`` -> ``.../file/bot``)."""
    root = base_url.rstrip("/")
    if root.endswith("/bot"):
        return root[: -len("bot")] + "file/bot"
    return root + "/file"


def build_application(
    token: str,
    *,
    base_url: str | None = None,
    base_file_url: str | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    retries: int = 1,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """An Application for ``token``, with a rate limiter and the token kept out of logs.

    Args:
        token: The bot token from @BotFather.
        base_url: Bot API root ending in ``/bot`` (a self-hosted Bot API server); ``None`` =
            Telegram's.
        base_file_url: File root; derived from ``base_url`` when ``None``.
        rate_limiter: Overrides the default ``AIORateLimiter`` (30 requests/s overall, 20 a
            minute per group; a 429 waits ``retry_after`` and retries ``retries`` times).
        retries: Retries after a 429 for the default rate limiter.

    """
    protect_token(token)
    root = base_url or DEFAULT_BASE_URL
    limiter = rate_limiter if rate_limiter is not None else AIORateLimiter(max_retries=retries)
    builder = (
        Application.builder()
        .token(token)
        .base_url(root)
        .base_file_url(base_file_url or file_url_for(root))
        .rate_limiter(limiter)
    )
    return builder.build()
