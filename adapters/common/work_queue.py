"""A bounded queue of messages waiting for a decision, with a staleness deadline.

Platform handlers must return at once (a Telegram or Discord event loop that waits for the model
stalls every other update), so they :meth:`WorkQueue.offer` the message and return. A fixed
number of workers take messages off the queue and run the adapter's handler; because they run
concurrently, the core's micro-batcher groups their model runs.

Two things are dropped rather than done late, and counted: a message offered while the queue is
full (``dropped_full``), and a message older than ``stale_after_s`` when a worker takes it
(``dropped_stale``). A reaction to a minute-old message would only confuse the chat. The handler
may also ask :meth:`WorkQueue.is_stale` just before it sends something.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

__all__ = ["QueueStats", "WorkQueue"]

T = TypeVar("T")


@dataclass(frozen=True)
class QueueStats:
    """A snapshot of a :class:`WorkQueue`'s counters.

    Attributes:
        offered: Messages offered so far.
        accepted: Messages taken into the queue.
        processed: Messages whose handler returned.
        failed: Messages whose handler raised (logged by exception type only).
        dropped_full: Messages refused because the queue was full.
        dropped_stale: Messages dropped because they were too old when their turn came (or
            when the handler asked :meth:`WorkQueue.is_stale` and gave up).
        length: Messages waiting now.
        peak_length: Most messages ever waiting at once.

    """

    offered: int
    accepted: int
    processed: int
    failed: int
    dropped_full: int
    dropped_stale: int
    length: int
    peak_length: int


@dataclass(frozen=True)
class _Job(Generic[T]):
    item: T
    born: float


class WorkQueue(Generic[T]):
    """Bounded, deadline-aware work queue drained by a fixed pool of asyncio workers.

    Args:
        handle: The coroutine run for each message (the adapter's decide-and-act step).
        maxsize: Most messages waiting; further offers are refused and counted.
        workers: How many messages are handled at once.
        stale_after_s: Messages older than this (by their ``born`` time) are dropped.
        clock: Wall clock in seconds, the same clock as the ``born`` times passed to
            :meth:`offer` (platform timestamps are wall-clock times).
        name: A name for log lines.

    Raises:
        ValueError: If ``maxsize`` or ``workers`` is below 1, or ``stale_after_s`` is not
            positive.

    """

    def __init__(
        self,
        handle: Callable[[T], Awaitable[None]],
        *,
        maxsize: int,
        workers: int,
        stale_after_s: float,
        clock: Callable[[], float] = time.time,
        name: str = "work",
    ) -> None:
        if maxsize < 1 or workers < 1:
            raise ValueError("maxsize and workers must be at least 1")
        if not stale_after_s > 0:
            raise ValueError("stale_after_s must be positive")
        self._handle = handle
        self._maxsize = maxsize
        self._workers = workers
        self.stale_after_s = stale_after_s
        self._clock = clock
        self._name = name
        self._queue: asyncio.Queue[_Job[T]] = asyncio.Queue(maxsize)
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._offered = self._accepted = self._processed = self._failed = 0
        self._dropped_full = self._dropped_stale = self._peak = 0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Starts the workers (call from inside the running event loop; idempotent).

        Raises:
            RuntimeError: The queue was closed; a closed queue is never restarted.

        """
        if self._closing:
            raise RuntimeError(f"{self._name} queue is closed")
        if self._tasks:
            return
        self._tasks = [
            asyncio.create_task(self._work(), name=f"{self._name}-worker-{i}")
            for i in range(self._workers)
        ]

    async def aclose(self, *, drain_s: float = 0.0) -> None:
        """Stops taking messages, lets the queue drain for up to ``drain_s``, then stops.

        Messages still waiting afterwards are discarded (not counted as processed).
        """
        self._closing = True
        if drain_s > 0 and self._tasks:
            try:
                await asyncio.wait_for(self._queue.join(), drain_s)
            except TimeoutError:
                logger.info(
                    "%s queue: %d messages left undone at shutdown", self._name, self._queue.qsize()
                )
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()

    @property
    def running(self) -> bool:
        """Whether workers are running."""
        return bool(self._tasks)

    # ------------------------------------------------------------------ work

    def offer(self, item: T, *, born: float | None = None) -> bool:
        """Queues a message without waiting.

        Args:
            item: What the handler gets.
            born: When the message was written (platform timestamp, wall clock); now if
                ``None``.

        Returns:
            ``True`` if queued; ``False`` if refused (queue full, shutting down, or the message
            is already stale), which is counted.

        """
        self._offered += 1
        born = self._clock() if born is None else born
        if self._closing:
            return False
        if self.is_stale(born):
            self._dropped_stale += 1
            return False
        try:
            self._queue.put_nowait(_Job(item, born))
        except asyncio.QueueFull:
            self._dropped_full += 1
            return False
        self._accepted += 1
        self._peak = max(self._peak, self._queue.qsize())
        return True

    def is_stale(self, born: float) -> bool:
        """Whether a message written at ``born`` is past the deadline now."""
        return self._clock() - born > self.stale_after_s

    def count_stale(self) -> None:
        """Counts a message the handler itself dropped as stale (after :meth:`is_stale`)."""
        self._dropped_stale += 1

    async def join(self) -> None:
        """Waits until every queued message has been handled or dropped."""
        await self._queue.join()

    @property
    def stats(self) -> QueueStats:
        """A snapshot of the counters."""
        return QueueStats(
            offered=self._offered,
            accepted=self._accepted,
            processed=self._processed,
            failed=self._failed,
            dropped_full=self._dropped_full,
            dropped_stale=self._dropped_stale,
            length=self._queue.qsize(),
            peak_length=self._peak,
        )

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                if self.is_stale(job.born):
                    self._dropped_stale += 1
                    continue
                await self._handle(job.item)
                self._processed += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one bad message must not stop the worker
                self._failed += 1
                # The type only: an exception's text may quote the message.
                logger.warning("%s queue: handler failed (%s)", self._name, type(exc).__name__)
            finally:
                self._queue.task_done()
