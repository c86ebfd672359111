"""The Telegram adapter's own settings, as one frozen value built from the config section."""

from __future__ import annotations

from dataclasses import dataclass

from moodmoji.adapters.telegram.info import TelegramSection
from moodmoji.bot.chats import MAX_MOOD_DAYS

__all__ = ["TelegramSettings"]


@dataclass(frozen=True)
class TelegramSettings:
    """How the adapter queues, paces and retries its work.

    Attributes:
        queue_size: Most messages waiting for an automatic reaction; more are dropped (counted).
        workers: Messages decided at once (their model runs are batched together).
        stale_after_s: A message older than this when its turn comes is dropped (counted), and
            a reaction is not sent (nor retried) after that.
        refusal_ttl_s: A chat that refused the bot (403, a rejected reaction) is left alone
            this long.
        available_reactions_ttl_s: How long a chat's allowed reactions (``getChat``) are cached.
        request_queue_size: Most explicit requests (``/suggest``, ``/why``, ``/mood`` as a
            reply, forwarded messages) waiting for a decision.
        request_workers: Explicit requests handled at once.
        retries: Retries after a 429 (``RetryAfter``), each after waiting ``retry_after``,
            when the Application has no rate limiter of its own (whose retry setting applies
            otherwise).
        max_retry_wait_s: A ``retry_after`` longer than this is not waited for: the call is
            given up at once.
        mood_days: Days covered by ``/mood`` when it is not a reply (1 to
            :data:`bot.chats.MAX_MOOD_DAYS`).
        drain_s: At shutdown, how long queued work may still run; ``None`` = ``stale_after_s``
            (anything older would be dropped anyway).

    """

    queue_size: int = 1024
    workers: int = 8
    stale_after_s: float = 60.0
    refusal_ttl_s: float = 3600.0
    available_reactions_ttl_s: float = 600.0
    request_queue_size: int = 64
    request_workers: int = 2
    retries: int = 1
    max_retry_wait_s: float = 30.0
    mood_days: int = 7
    drain_s: float | None = None

    def __post_init__(self) -> None:
        if min(self.queue_size, self.workers, self.request_queue_size, self.request_workers) < 1:
            raise ValueError("queue sizes and worker counts must be at least 1")
        if not self.stale_after_s > 0:
            raise ValueError("stale_after_s must be greater than 0")
        if self.retries < 0:
            raise ValueError("retries must be 0 or more")
        if not 1 <= self.mood_days <= MAX_MOOD_DAYS:
            raise ValueError(f"mood_days must be 1 to {MAX_MOOD_DAYS}")

    @classmethod
    def from_section(cls, section: TelegramSection) -> TelegramSettings:
        """The settings of the ``telegram`` section of the config file."""
        return cls(
            queue_size=section.queue_size,
            workers=section.workers,
            stale_after_s=section.stale_after_s,
            refusal_ttl_s=section.refusal_ttl_s,
            available_reactions_ttl_s=section.available_reactions_ttl_s,
        )

    @property
    def drain_seconds(self) -> float:
        """How long queued work may still run at shutdown."""
        return self.stale_after_s if self.drain_s is None else self.drain_s
