"""Chats that refused the bot, remembered for a while so it does not knock again and again.

A 403, a missing permission or a rejected reaction is not retried: Discord counts 401/403/429
answers toward an IP ban and Telegram answers every retry with the same error. The adapter
records the refusal here and checks :meth:`RefusalMemory.refused` before its next attempt.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["RefusalMemory"]


class RefusalMemory:
    """Remembers refusing chats for ``ttl_s`` seconds, bounded in size.

    Args:
        ttl_s: How long a refusal is remembered (0 = not at all).
        clock: Monotonic clock in seconds.
        max_entries: Most chats remembered; the oldest refusal is forgotten first.

    """

    def __init__(
        self,
        ttl_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._max = max_entries
        self._until: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def refuse(self, key: str, reason: str) -> None:
        """Records that ``key`` (a chat or channel) refused, for the reason given."""
        if self.ttl_s <= 0:
            return
        self._until.pop(key, None)
        self._until[key] = (self._clock() + self.ttl_s, reason)
        while len(self._until) > self._max:
            self._until.popitem(last=False)

    def refused(self, key: str) -> str | None:
        """The reason ``key`` refused, while it is remembered; else ``None``."""
        entry = self._until.get(key)
        if entry is None:
            return None
        until, reason = entry
        if self._clock() >= until:
            del self._until[key]
            return None
        return reason

    def forgive(self, key: str) -> None:
        """Forgets a refusal (say, after the bot was given the permission)."""
        self._until.pop(key, None)

    def __len__(self) -> int:
        return len(self._until)
