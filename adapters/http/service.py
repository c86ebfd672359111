"""The state one app shares between its routes: the bot, the settings, the metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from moodmoji.adapters.http.errors import ApiError
from moodmoji.adapters.http.metrics import HttpMetrics
from moodmoji.adapters.http.settings import HttpSettings
from moodmoji.bot.chats import StoreError
from moodmoji.bot.core import MoodBot
from moodmoji.bot.decision import Decision
from moodmoji.bot.errors import CoreClosed, CoreError, DecisionFailed, Overloaded
from moodmoji.bot.messages import ChatContext, IncomingMessage, Platform

__all__ = ["RETRY_AFTER_S", "Service", "core_error"]

logger = logging.getLogger(__name__)

RETRY_AFTER_S = 1
"""Seconds a client is asked to wait (``Retry-After``) when the queue is full."""

WARM_UP = IncomingMessage(Platform.GENERIC, "moodmoji-warm-up", "0", "moodmoji", "hello there")


@dataclass
class Service:
    """What the routes of one app work with.

    Attributes:
        bot: The core.
        settings: Address, token and limits.
        metrics: The app's metrics.
        ready: Whether the model is loaded and the batcher takes work (set by the app's
            start-up, cleared at shutdown).

    """

    bot: MoodBot
    settings: HttpSettings
    metrics: HttpMetrics = field(default_factory=HttpMetrics)
    ready: bool = False

    async def warm_up(self) -> None:
        """Runs one message through the batcher, so that the first request is not slow."""
        try:
            await self.bot.adecide(WARM_UP, explicit=True)
        except (CoreError, StoreError) as exc:
            logger.error("the model failed its warm-up run: %s", type(exc).__name__)
            return
        self.ready = True

    async def decide(
        self, messages: Sequence[tuple[IncomingMessage, ChatContext, bool]]
    ) -> list[Decision]:
        """Decides about messages concurrently (they batch together in the core).

        Each item is a message, its chat context and whether the request is explicit. When one
        fails, the others are withdrawn and the whole request fails.

        Raises:
            ApiError: 503 when the queue is full or the core is closing, 500 when the model
                run or the store failed.

        """
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(self.bot.adecide(message, context, explicit=explicit))
                    for message, context, explicit in messages
                ]
        except* (CoreError, StoreError) as failed:
            raise core_error(failed.exceptions[0], self.metrics, len(messages)) from None
        decisions = [task.result() for task in tasks]
        for (message, _, _), decision in zip(messages, decisions, strict=True):
            self.metrics.observe_decision(message.platform, decision)
        return decisions


def core_error(exc: BaseException, metrics: HttpMetrics, count: int = 1) -> ApiError:
    """The API error answering a failure of the core or the store."""
    if isinstance(exc, Overloaded):
        metrics.overloaded.inc(count)
        logger.warning("queue full: refused %d message(s) with 503", count)
        return ApiError(
            503,
            "overloaded",
            "too many messages are waiting for the model; try again shortly",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    if isinstance(exc, CoreClosed):
        return ApiError(
            503,
            "shutting_down",
            "the server is shutting down",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    if isinstance(exc, DecisionFailed):
        cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else "no cause"
        logger.error("a model run of %d text(s) failed (%s)", exc.batch_size, cause)
        return ApiError(500, "decision_failed", "the model run for this message failed")
    if isinstance(exc, StoreError):
        logger.error("the settings store failed: %s", exc)
        return ApiError(500, "store_failed", "the settings store could not be read or written")
    logger.error("the core failed: %s", type(exc).__name__)
    return ApiError(500, "core_failed", "the model could not analyse this message")
