"""Calling the Bot API without retry storms, and telling refusals from passing trouble.

* A 429 (:class:`telegram.error.RetryAfter`) is waited out and retried a bounded number of
  times, and never past the moment the work would be stale anyway.
* A 403 (:class:`telegram.error.Forbidden`) or a rejected reaction (``REACTION_INVALID`` ...)
  is a *refusal*: the chat is left alone for a while (:class:`adapters.common.refusals.
  RefusalMemory`) instead of being asked again and again.
* Anything else (timeouts, 5xx) is logged by the caller and not retried.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

logger = logging.getLogger(__name__)

__all__ = ["RetryPolicy", "call_api", "describe", "refusal", "retry_after_s"]

T = TypeVar("T")

#: Markers (lower case) of Bad Request descriptions that mean "this chat will not take it".
REFUSING_BAD_REQUESTS = (
    "reaction_invalid",
    "reactions_too_many",
    "reaction_empty",
    "chat_admin_required",
    "not enough rights",
    "chat_write_forbidden",
    "chat not found",
)


@dataclass(frozen=True)
class RetryPolicy:
    """How a 429 is handled.

    Attributes:
        retries: Retries after a 429, each after waiting ``retry_after``.
        max_wait_s: A longer ``retry_after`` is not waited for; the call gives up at once.

    """

    retries: int = 1
    max_wait_s: float = 30.0


def retry_after_s(exc: RetryAfter) -> float:
    """The seconds Telegram asked to wait, whichever type PTB reports them in."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return float(value)


async def call_api(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    deadline: float | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    on_retry: Callable[[float], None] | None = None,
) -> T:
    """Runs ``call``, waiting out a 429 and retrying at most ``policy.retries`` times.

    Args:
        call: Makes the API request (called once per attempt).
        policy: The retry bounds.
        deadline: A time (``clock``) after which retrying is pointless (the message is stale);
            a wait that would end later gives up at once.
        clock: The clock of ``deadline``.
        sleep: Waits (injected by tests).
        on_retry: Called with the wait before each retry (for counters).

    Raises:
        RetryAfter: Still rate limited after the retries, or the wait was too long.
        TelegramError: Any other API error, at once.

    """
    attempt = 0
    while True:
        try:
            return await call()
        except RetryAfter as exc:
            wait = retry_after_s(exc)
            too_late = deadline is not None and clock() + wait > deadline
            if attempt >= policy.retries or wait > policy.max_wait_s or too_late:
                raise
            attempt += 1
            logger.info("rate limited (429): waiting %.1f s before retry %d", wait, attempt)
            if on_retry is not None:
                on_retry(wait)
            await sleep(wait)


def refusal(exc: BaseException) -> str | None:
    """Why a chat refused, if ``exc`` means it will keep refusing; else ``None``."""
    if isinstance(exc, Forbidden):
        return "forbidden"
    if isinstance(exc, BadRequest):
        text = exc.message.lower()
        for marker in REFUSING_BAD_REQUESTS:
            if marker in text:
                return marker.replace(" ", "-")
    return None


def describe(exc: BaseException) -> str:
    """A short label of an API error for logs: its type and Telegram's description.

    Telegram's descriptions name the problem (``REACTION_INVALID``, ``Forbidden: bot was
    kicked``), never the message text.
    """
    name = type(exc).__name__
    if isinstance(exc, TelegramError):
        text = exc.message[:120]
        return text if text.startswith(name) else f"{name}: {text}"
    return name
