"""Telegram webhooks: ``moodmoji telegram --webhook URL`` on PTB's own webhook server.

Telegram posts each update to one public ``https://`` URL. A reverse proxy terminates TLS there
and forwards to one or more workers, each running PTB's webhook server (tornado, from
``python-telegram-bot[webhooks]``) on ``listen:port``. Every worker checks the secret token
(PTB answers 403 to a request without the right ``X-Telegram-Bot-Api-Secret-Token`` header,
before the update is read), and claims each update in the shared settings store before
deciding on it (:mod:`adapters.telegram.claims`), so that an update delivered twice is decided
once.

Exactly one worker registers the webhook with Telegram (``setWebhook``, with the URL and the
secret); the others run with ``--no-set-webhook``. PTB's ``Updater.start_webhook`` calls
``setWebhook`` on every start, so the Application is built around :class:`WebhookBot`, whose
``set_webhook`` leaves that to :func:`register_webhook`: one request, no retry loop, and a
refusal (403), a rate limit (429) or a rejected URL ends start-up with one clear message.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from telegram import Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter, Application, BaseRateLimiter, ExtBot
from telegram.request import HTTPXRequest

from moodmoji.adapters.common.redaction import protect_secret
from moodmoji.adapters.telegram.application import (
    DEFAULT_BASE_URL,
    file_url_for,
    protect_token,
)
from moodmoji.adapters.telegram.calls import describe, retry_after_s
from moodmoji.adapters.telegram.info import TelegramSection

logger = logging.getLogger(__name__)

__all__ = [
    "ALLOWED_UPDATES",
    "MIN_SECRET_LENGTH",
    "WebhookBot",
    "WebhookError",
    "WebhookOptions",
    "WebhookUsageError",
    "build_webhook_application",
    "read_secret",
    "register_webhook",
    "start_webhook",
    "webhook_options",
]

#: The update types moodmoji handles (asked for by ``getUpdates`` and ``setWebhook`` alike).
ALLOWED_UPDATES: tuple[str, ...] = (Update.MESSAGE, Update.CALLBACK_QUERY)

#: Telegram allows 1-256 characters of ``A-Z a-z 0-9 _ -``; moodmoji asks for at least 16.
MIN_SECRET_LENGTH = 16
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class WebhookError(Exception):
    """The webhook could not be set up; the message says why and what to do (exit status 1)."""


class WebhookUsageError(WebhookError):
    """The webhook is misconfigured: secret unset or malformed, bad URL (exit status 2)."""


@dataclass(frozen=True)
class WebhookOptions:
    """Where a webhook worker listens and what it tells Telegram.

    Attributes:
        url: The public ``https://`` URL Telegram posts to (the proxy's).
        secret: The secret token Telegram sends in ``X-Telegram-Bot-Api-Secret-Token``.
        listen: Address PTB's webhook server binds.
        port: Port it binds.
        path: URL path it answers on (other paths get 404).
        set_webhook: Whether this worker calls ``setWebhook`` (one worker of several).
        max_connections: Most connections Telegram opens to the webhook at once.

    """

    url: str
    secret: str = field(repr=False)
    listen: str = "127.0.0.1"
    port: int = 8443
    path: str = "/"
    set_webhook: bool = True
    max_connections: int = 40


def read_secret(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The webhook secret from the environment variable ``name``.

    Raises:
        WebhookUsageError: It is unset, empty, shorter than :data:`MIN_SECRET_LENGTH`, or has
            characters Telegram does not allow (the message names the variable, never the
            value).

    """
    env = os.environ if environ is None else environ
    secret = env.get(name, "").strip()
    if not secret:
        raise WebhookUsageError(
            f"environment variable {name} is not set; put the webhook's secret token in it "
            "(telegram.webhook_secret_env names the variable), e.g. "
            "\"python -c 'import secrets; print(secrets.token_urlsafe(32))'\""
        )
    if not _SECRET.match(secret) or len(secret) < MIN_SECRET_LENGTH:
        raise WebhookUsageError(
            f"environment variable {name} should hold {MIN_SECRET_LENGTH} to 256 characters of "
            "A-Z a-z 0-9 _ - (Telegram's rule for a webhook secret token)"
        )
    return secret


def webhook_options(
    section: TelegramSection,
    *,
    url: str | None = None,
    listen: str | None = None,
    port: int | None = None,
    set_webhook: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> WebhookOptions | None:
    """The webhook settings of the ``telegram`` section with the command line's laid over.

    Args:
        section: The config's ``telegram`` section.
        url: ``--webhook`` (``None`` = ``telegram.webhook_url``).
        listen: ``--webhook-listen`` (``None`` = ``telegram.webhook_listen``).
        port: ``--webhook-port`` (``None`` = ``telegram.webhook_port``).
        set_webhook: ``False`` for ``--no-set-webhook`` (``None`` = ``telegram.webhook_set``).
        environ: Where the secret is read (default: ``os.environ``).

    Returns:
        ``None`` when no webhook URL is set (long polling), else the options.

    Raises:
        WebhookUsageError: A command-line value is invalid, or the secret is missing.

    """
    changes: dict[str, Any] = {
        "webhook_url": url,
        "webhook_listen": listen,
        "webhook_port": port,
        "webhook_set": set_webhook,
    }
    overrides = {key: value for key, value in changes.items() if value is not None}
    if overrides:
        try:
            section = TelegramSection.model_validate({**section.model_dump(), **overrides})
        except ValidationError as exc:
            error = exc.errors()[0]
            key = str(error["loc"][0]) if error["loc"] else "telegram"
            raise WebhookUsageError(f"telegram.{key}: {error['msg']}") from None
    if section.webhook_url is None:
        if listen is not None or port is not None or set_webhook is not None:
            raise WebhookUsageError(
                "--webhook-listen, --webhook-port and --no-set-webhook need a webhook URL "
                "(--webhook URL or telegram.webhook_url)"
            )
        return None
    return WebhookOptions(
        url=section.webhook_url,
        secret=read_secret(section.webhook_secret_env, environ),
        listen=section.webhook_listen,
        port=int(section.webhook_port),
        path=section.webhook_path or urlsplit(section.webhook_url).path or "/",
        set_webhook=section.webhook_set,
        max_connections=int(section.webhook_max_connections),
    )


class WebhookBot(ExtBot[Any]):
    """An ``ExtBot`` whose webhook is registered by :func:`register_webhook` alone.

    PTB's ``Updater.start_webhook`` calls ``set_webhook`` every time it starts; with several
    workers only one of them may, and moodmoji wants one attempt with a clear error rather than
    PTB's retry loop. So :meth:`set_webhook` does nothing here; :meth:`register_webhook` makes
    the real request.
    """

    __slots__ = ()

    async def set_webhook(self, *args: Any, **kwargs: Any) -> bool:
        """Does nothing (PTB's start-up call); see :meth:`register_webhook`."""
        return True

    async def register_webhook(
        self,
        url: str,
        *,
        secret_token: str,
        allowed_updates: Sequence[str],
        max_connections: int,
    ) -> bool:
        """Calls ``setWebhook`` (through the rate limiter, if any)."""
        return await super().set_webhook(
            url,
            secret_token=secret_token,
            allowed_updates=allowed_updates,
            max_connections=max_connections,
        )


def build_webhook_application(
    token: str,
    *,
    base_url: str | None = None,
    base_file_url: str | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    retries: int = 1,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """Like :func:`~.application.build_application`, around a :class:`WebhookBot`.

    Args:
        token: The bot token from @BotFather.
        base_url: Bot API root ending in ``/bot``; ``None`` = Telegram's.
        base_file_url: File root; derived from ``base_url`` when ``None``.
        rate_limiter: Overrides the default ``AIORateLimiter``.
        retries: Retries after a 429 for the default rate limiter (``setWebhook`` included).

    """
    protect_token(token)
    root = base_url or DEFAULT_BASE_URL
    limiter = rate_limiter if rate_limiter is not None else AIORateLimiter(max_retries=retries)
    bot = WebhookBot(
        token,
        base_url=root,
        base_file_url=base_file_url or file_url_for(root),
        request=HTTPXRequest(connection_pool_size=256),  # as PTB's builder makes it
        get_updates_request=HTTPXRequest(),
        rate_limiter=limiter,
    )
    return Application.builder().bot(bot).build()


async def start_webhook(
    application: Application[Any, Any, Any, Any, Any, Any], options: WebhookOptions
) -> None:
    """Starts PTB's webhook server; then, if ``options.set_webhook``, registers the webhook.

    The server listens before Telegram is told the URL, so the first delivery finds it. Call
    after ``application.start()``; ``application.updater.stop()`` stops the server.

    Raises:
        WebhookError: The address cannot be bound, or Telegram refused the webhook.
        InvalidToken: Telegram refused the token.

    """
    updater = application.updater
    bot = application.bot
    if updater is None or not isinstance(bot, WebhookBot):
        raise TypeError("build the Application with build_webhook_application()")
    protect_secret(options.secret)
    try:
        await updater.start_webhook(
            listen=options.listen,
            port=options.port,
            url_path=options.path,
            webhook_url=options.url,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=options.max_connections,
            secret_token=options.secret,
        )
    except RuntimeError as exc:  # PTB without its webhooks extra
        if "webhooks" in str(exc):
            raise WebhookError(
                "the webhook server needs tornado: pip install 'moodmoji[telegram]' "
                "(python-telegram-bot[webhooks])"
            ) from None
        raise
    except OSError as exc:
        raise WebhookError(
            f"cannot listen on {options.listen}:{options.port} ({exc.strerror or exc})"
        ) from None
    logger.info(
        "telegram: webhook server listening on %s:%d (secret token required)",
        options.listen,
        options.port,
    )
    if options.set_webhook:
        await register_webhook(bot, options)
    else:
        logger.info("telegram: not calling setWebhook (--no-set-webhook: another worker does)")


async def register_webhook(bot: WebhookBot, options: WebhookOptions) -> None:
    """Tells Telegram the webhook URL and secret: one ``setWebhook``, no retry loop.

    A 429 is waited out and retried only as the bot's rate limiter does (once, by default).

    Raises:
        WebhookError: Telegram refused (403), rate-limited (429) or rejected (400) it, or could
            not be reached; the message says what to do.
        InvalidToken: Telegram refused the token.

    """
    host = urlsplit(options.url).hostname
    try:
        await bot.register_webhook(
            options.url,
            secret_token=options.secret,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=options.max_connections,
        )
    except RetryAfter as exc:
        raise WebhookError(
            f"Telegram rate-limited setWebhook (retry after {retry_after_s(exc):.0f} s); not "
            "retrying further. Start this worker again later, and run every worker but one with "
            "--no-set-webhook"
        ) from None
    except Forbidden as exc:
        raise WebhookError(f"Telegram refused setWebhook ({describe(exc)})") from None
    except InvalidToken:
        raise
    except BadRequest as exc:
        raise WebhookError(
            f"Telegram rejected the webhook ({describe(exc)}); it needs a public https:// URL "
            "on port 443, 80, 88 or 8443 whose proxy reaches this worker"
        ) from None
    except NetworkError as exc:
        raise WebhookError(
            f"cannot reach the Bot API to set the webhook ({describe(exc)})"
        ) from None
    logger.info("telegram: webhook set; Telegram posts updates to %s", host)
