"""The background writer of mood counts, shared by every backend of the settings store.

Counts of messages flowing past wait in memory, added up per chat, day and mood, and one daemon
thread writes all of them in one transaction every :data:`COUNT_INTERVAL_S` (one statement per
chat, day and mood that changed, never one write per message), so counting never waits on the
database. Whoever reads the counts, forgets a chat, flushes or closes the store has what waits
written first, so a clean stop loses nothing; a crash loses at most one interval's counts.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Protocol

from moodmoji.bot.store.common import StoreError

__all__ = ["COUNT_INTERVAL_S", "COUNT_RETRY_S", "MAX_PENDING_COUNTS", "CountKey", "CountWriter"]

logger = logging.getLogger(__name__)

COUNT_INTERVAL_S = 1.0
"""How long mood counts gather in memory before the background writer writes them (one
transaction for all); a crash loses at most this long's counts."""
COUNT_RETRY_S = 1.0
"""Pause of the background writer after a busy or unreachable store, before it tries again."""
MAX_PENDING_COUNTS = 10_000
"""Most mood counts waiting for the background writer; more are dropped (with a warning)."""

#: What a waiting mood count is kept under: platform, chat id, mood and UTC day.
CountKey = tuple[str, str, str, datetime.date]
_CountKey = CountKey


class CountWriter(Protocol):
    """A store the background writer hands its counts to."""

    def _write_mood_counts(self, counts: Mapping[CountKey, int]) -> None:
        """Adds the counts to their counters in one transaction, or raises StoreError."""


class _BackgroundCounts:
    """Mood counts written by one daemon thread, so that counting never waits on the store.

    Counts wait in memory, added up per chat, day and mood; the thread writes everything that
    waits in one transaction once the first of them has waited :attr:`interval` seconds, or at
    once when someone waits for them (:meth:`flush`, :meth:`close`). A busy store keeps them for
    another try (:data:`COUNT_RETRY_S` later, then the next interval).

    Args:
        store: The store whose ``_write_mood_counts`` writes them.
        interval: Seconds counts gather before they are written.

    """

    def __init__(self, store: CountWriter, interval: float = COUNT_INTERVAL_S) -> None:
        self._store = store
        self.interval = interval
        self._pending: dict[_CountKey, int] = {}
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self._busy = False
        self._closed = False
        self._hurry = 0  # callers waiting for the pending counts to be written
        self._dropped = 0

    def add(self, keys: Sequence[tuple[str, str, str]], day: datetime.date) -> None:
        """Counts one for each ``(platform, chat_id, mood)`` of ``keys`` on ``day``."""
        with self._condition:
            if self._closed:
                return
            idle = not self._pending
            for platform, chat_id, mood in keys:
                self._add(platform, chat_id, mood, day)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="moodmoji-mood-counts", daemon=True
                )
                self._thread.start()
            if idle and self._pending:
                self._condition.notify_all()  # the writer starts its interval

    def _add(self, platform: str, chat_id: str, mood: str, day: datetime.date) -> None:
        key = (platform, chat_id, mood, day)
        if key not in self._pending and len(self._pending) >= MAX_PENDING_COUNTS:
            self._dropped += 1
            if self._dropped in (1, 10, 100) or self._dropped % 1000 == 0:
                logger.warning(
                    "%d mood count(s) dropped: the store is not keeping up", self._dropped
                )
            return
        self._pending[key] = self._pending.get(key, 0) + 1

    def flush(self, timeout: float) -> bool:
        """Has the waiting counts written now; whether they were within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._condition:
            self._hurry += 1
            self._condition.notify_all()
            try:
                while self._pending or self._busy:
                    left = deadline - time.monotonic()
                    if left <= 0 or self._thread is None:
                        return False
                    self._condition.wait(left)
            finally:
                self._hurry -= 1
        return True

    def close(self, timeout: float) -> None:
        self.flush(timeout)
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._pending and not self._closed:
                    self._condition.wait()
                if not self._pending:
                    return
                self._gather()
                batch, self._pending = self._pending, {}
                self._busy = True
            retry = self._write(batch)
            with self._condition:
                for key, count in retry.items():  # kept for the next try
                    self._pending[key] = self._pending.get(key, 0) + count
                self._busy = False
                self._condition.notify_all()
                if retry:
                    self._condition.wait(COUNT_RETRY_S)

    def _gather(self) -> None:
        """Lets counts gather for an interval, unless someone waits for them (lock held)."""
        deadline = time.monotonic() + self.interval
        while not self._closed and not self._hurry:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._condition.wait(left)

    def _write(self, batch: dict[_CountKey, int]) -> dict[_CountKey, int]:
        """Writes a batch of counts in one transaction; what to try again (a busy store)."""
        try:
            self._store._write_mood_counts(batch)
        except StoreError as exc:
            if exc.retryable and not self._closed:
                logger.warning("mood counts wait for another try: %s", exc.problem)
                return batch
            logger.warning("%d mood count(s) were not written: %s", len(batch), exc.problem)
        except Exception:  # the writer thread must live on; the counts are lost
            logger.exception("%d mood count(s) were not written", len(batch))
        return {}
