"""The Discord adapter's own settings, taken from the ``discord`` section of the config file."""

from __future__ import annotations

from dataclasses import dataclass

from moodmoji.adapters.discord.info import DiscordSection

__all__ = ["DiscordSettings"]


@dataclass(frozen=True)
class DiscordSettings:
    """How the Cog queues and paces its work.

    Attributes:
        queue_size: Most messages waiting for a decision; newer ones are dropped and counted.
        workers: Messages decided at once (their model runs are batched together).
        stale_after_s: A message older than this is not reacted to any more.
        refusal_ttl_s: A channel that answered 403 is left alone this many seconds.
        mood_days: Days ``/mood`` looks back when the user does not say.
        request_timeout_s: Longest wait for one call to Discord (a reaction, an interaction
            answer, a message fetch), discord.py's own retries of 5xx answers included;
            then the call is given up. discord.py sets no timeout of its own (aiohttp's
            default of 5 minutes applies) and retries a 500, 502 or 504 for up to 25 s.

    """

    queue_size: int = 1024
    workers: int = 8
    stale_after_s: float = 60.0
    refusal_ttl_s: float = 3600.0
    mood_days: int = 7
    request_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.queue_size < 1 or self.workers < 1:
            raise ValueError("queue_size and workers must be at least 1")
        if not self.stale_after_s > 0:
            raise ValueError("stale_after_s must be positive")
        if self.refusal_ttl_s < 0:
            raise ValueError("refusal_ttl_s must be 0 or more")
        if not 1 <= self.mood_days <= 90:
            raise ValueError("mood_days must be between 1 and 90")
        if not self.request_timeout_s > 0:
            raise ValueError("request_timeout_s must be positive")

    @classmethod
    def from_config(cls, section: DiscordSection) -> DiscordSettings:
        """The settings of a config file's ``discord`` section."""
        return cls(
            queue_size=section.queue_size,
            workers=section.workers,
            stale_after_s=section.stale_after_s,
            refusal_ttl_s=section.refusal_ttl_s,
            request_timeout_s=section.request_timeout_s,
        )
