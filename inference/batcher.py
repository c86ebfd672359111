"""An asyncio micro-batcher that coalesces concurrent requests into one model run.

Callers ``await batcher.submit(text)``; a background worker collects requests until
``max_batch_size`` are waiting or the oldest has waited ``max_wait_ms``, then runs the prediction
function on the whole batch in an executor (so the event loop stays responsive: ONNX Runtime
releases the GIL) and hands every caller its own result. While one batch runs, the next one
accumulates in the queue.

The batcher is generic over the prediction function, so it knows nothing about the engine::

    async with MicroBatcher(engine.predict, settings.batch) as batcher:
        result = await batcher.submit("what a day")

All methods must be called from the event loop the batcher first ran on; it is not thread-safe.
Only sizes and timings are logged (at DEBUG), never texts.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, TypeVar

from moodmoji.inference.errors import BatcherClosed, BatchFailed, QueueFull
from moodmoji.inference.settings import BatchSettings

__all__ = ["BatcherStats", "MicroBatcher"]

T = TypeVar("T")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatcherStats:
    """A snapshot of a batcher's counters.

    Attributes:
        runs: Calls of the prediction function so far (failed ones included).
        items: Texts passed to the prediction function so far.
        max_batch_seen: Largest batch run so far.
        queue_depth: Requests waiting now (not yet taken into a run).
        failures: Runs that failed (predict raised, or returned the wrong number of results).

    """

    runs: int
    items: int
    max_batch_seen: int
    queue_depth: int
    failures: int


class _Request(Generic[T]):
    """One text waiting for its result.

    Attributes:
        text: The text to predict on.
        future: Resolved with the result (or a ``BatchFailed``/``BatcherClosed``).
        enqueued_at: Loop time at which the request was queued.
        queued: True while the request sits in the queue and counts towards its depth; cleared
            when the worker takes it or its caller gives up.

    """

    __slots__ = ("enqueued_at", "future", "queued", "text")

    def __init__(self, text: str, future: asyncio.Future[T], enqueued_at: float) -> None:
        self.text = text
        self.future = future
        self.enqueued_at = enqueued_at
        self.queued = True


class MicroBatcher(Generic[T]):
    """Coalesces concurrent single-text requests into batched runs of a prediction function.

    The worker task starts lazily on the first submit, on the running loop. Batches run one at a
    time, in the order their requests arrived; results come back in input order.

    Args:
        predict: Maps a batch of texts to one result per text, in order. It runs in ``executor``,
            never on the event loop, and may be slow.
        settings: ``max_batch_size`` (most texts per run) and ``max_wait_ms`` (longest time the
            oldest waiting request waits for company before its batch runs).
        executor: Where ``predict`` runs. Default: a single-thread executor owned by the batcher
            and shut down by :meth:`aclose`. A supplied executor is left running.
        max_queue: Most requests allowed to wait (not yet taken into a run); beyond that,
            submits raise ``QueueFull`` at once. ``None`` means unbounded.

    Raises:
        ValueError: If ``max_batch_size`` < 1, ``max_wait_ms`` < 0 or ``max_queue`` < 1.

    """

    def __init__(
        self,
        predict: Callable[[Sequence[str]], Sequence[T]],
        settings: BatchSettings,
        *,
        executor: concurrent.futures.Executor | None = None,
        max_queue: int | None = None,
    ) -> None:
        if settings.max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, got {settings.max_batch_size}")
        if settings.max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must not be negative, got {settings.max_wait_ms}")
        if max_queue is not None and max_queue < 1:
            raise ValueError(f"max_queue must be at least 1 or None, got {max_queue}")
        self._predict = predict
        self._max_batch = settings.max_batch_size
        self._max_wait_s = settings.max_wait_ms / 1000.0
        self._max_queue = max_queue
        self._owns_executor = executor is None
        self._executor: concurrent.futures.Executor = (
            executor
            if executor is not None
            else concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="moodmoji-batcher"
            )
        )
        self._queue: deque[_Request[T]] = deque()
        self._depth = 0
        self._in_flight: list[_Request[T]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._closed = False
        self._runs = 0
        self._items = 0
        self._max_batch_seen = 0
        self._failures = 0

    # ------------------------------------------------------------------ public API

    @property
    def stats(self) -> BatcherStats:
        """A snapshot of the batcher's counters."""
        return BatcherStats(
            runs=self._runs,
            items=self._items,
            max_batch_seen=self._max_batch_seen,
            queue_depth=self._depth,
            failures=self._failures,
        )

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    async def submit(self, text: str) -> T:
        """Queue one text and wait for its result.

        Cancelling the caller withdraws the text if its batch has not started yet, and never
        affects the other requests.

        Args:
            text: The text to predict on.

        Returns:
            The prediction function's result for ``text``.

        Raises:
            BatcherClosed: If the batcher is closed, or closes before the text could run.
            QueueFull: If ``max_queue`` requests are already waiting.
            BatchFailed: If the run the text was batched into failed.

        """
        (request,) = self._enqueue([text])
        try:
            return await request.future
        except asyncio.CancelledError:
            self._withdraw(request)
            raise

    async def submit_many(self, texts: Sequence[str]) -> list[T]:
        """Queue several texts at once and wait for all their results.

        The texts are queued together (so they batch together) and may span several runs. With
        ``max_queue`` set, either all of them are queued or none is.

        Args:
            texts: The texts to predict on.

        Returns:
            One result per text, in the order of ``texts``.

        Raises:
            BatcherClosed: If the batcher is closed, or closes before the texts could run.
            QueueFull: If the queue has no room for all of ``texts``.
            BatchFailed: If any run holding one of the texts failed (the first failure is
                raised; the remaining texts that have not run yet are withdrawn).

        """
        if not texts:
            self._check_open()
            return []
        requests = self._enqueue(texts)
        try:
            return list(await asyncio.gather(*(r.future for r in requests)))
        except BaseException:
            for request in requests:
                self._withdraw(request)
            raise

    async def aclose(self) -> None:
        """Close the batcher, draining what is already queued.

        Requests already queued still run (without waiting for company); later submits raise
        ``BatcherClosed``. Once the worker has stopped, an owned executor is shut down. If this
        call is cancelled, the worker is cancelled too and every request it had not finished
        fails with ``BatcherClosed``. Calling it again is harmless.
        """
        self._closed = True
        if self._wakeup is not None:
            self._wakeup.set()
        worker = self._worker
        try:
            if worker is not None and not worker.done():
                await worker
        finally:
            self._fail_pending("batcher closed before the request could run")
            if self._owns_executor:
                self._executor.shutdown(wait=False, cancel_futures=True)

    async def __aenter__(self) -> MicroBatcher[T]:
        """Return the batcher itself; the worker starts on the first submit."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the batcher (see :meth:`aclose`)."""
        await self.aclose()

    # ------------------------------------------------------------------ queueing

    def _check_open(self) -> None:
        if self._closed:
            raise BatcherClosed("batcher is closed")

    def _enqueue(self, texts: Sequence[str]) -> list[_Request[T]]:
        """Queue texts atomically and wake the worker (starting it if needed)."""
        self._check_open()
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError("MicroBatcher is bound to another event loop")
        if self._max_queue is not None and self._depth + len(texts) > self._max_queue:
            raise QueueFull(limit=self._max_queue, depth=self._depth, requested=len(texts))
        if self._wakeup is None:
            self._wakeup = asyncio.Event()
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._work(), name="moodmoji-batcher")
        now = loop.time()
        requests = [_Request[T](text, loop.create_future(), now) for text in texts]
        self._queue.extend(requests)
        self._depth += len(requests)
        self._wakeup.set()
        return requests

    def _withdraw(self, request: _Request[T]) -> None:
        """Give up on a request: it leaves the queue count and its future is cancelled."""
        if request.queued:
            request.queued = False
            self._depth -= 1
        if not request.future.done():
            request.future.cancel()

    def _take_batch(self) -> list[_Request[T]]:
        """Take up to ``max_batch_size`` live requests from the front of the queue."""
        batch: list[_Request[T]] = []
        while self._queue and len(batch) < self._max_batch:
            request = self._queue.popleft()
            if not request.queued:
                continue  # withdrawn by its caller
            request.queued = False
            self._depth -= 1
            if request.future.done():
                continue
            batch.append(request)
        return batch

    def _drop_withdrawn_head(self) -> None:
        while self._queue and not self._queue[0].queued:
            self._queue.popleft()

    def _fail_pending(self, message: str) -> None:
        """Fail every request still queued or in flight (used when the worker stops)."""
        requests = [*self._in_flight, *self._queue]
        self._in_flight = []
        self._queue.clear()
        self._depth = 0
        for request in requests:
            request.queued = False
            if not request.future.done():
                request.future.set_exception(BatcherClosed(message))

    # ------------------------------------------------------------------ worker

    async def _work(self) -> None:
        """Collect batches and run them until closed and drained (the worker task)."""
        try:
            await self._work_loop()
        except asyncio.CancelledError:
            self._fail_pending("batcher worker was cancelled")
            raise
        except Exception:
            logger.exception("micro-batcher worker crashed")
            self._fail_pending("batcher worker crashed")

    async def _work_loop(self) -> None:
        loop = asyncio.get_running_loop()
        wakeup = self._wakeup
        assert wakeup is not None  # created before the worker is started
        while True:
            self._drop_withdrawn_head()
            if not self._queue:
                if self._closed:
                    return
                wakeup.clear()
                await wakeup.wait()
                continue
            if not self._closed and self._depth < self._max_batch:
                remaining = self._queue[0].enqueued_at + self._max_wait_s - loop.time()
                if remaining > 0:
                    wakeup.clear()
                    try:
                        async with asyncio.timeout(remaining):
                            await wakeup.wait()
                    except TimeoutError:
                        pass
                    continue  # re-evaluate: more requests, a withdrawal, or time is up
            batch = self._take_batch()
            if batch:
                await self._run_batch(loop, batch)

    async def _run_batch(self, loop: asyncio.AbstractEventLoop, batch: list[_Request[T]]) -> None:
        """Run one batch in the executor and resolve its futures."""
        size = len(batch)
        texts = [request.text for request in batch]
        self._in_flight = batch
        self._runs += 1
        self._items += size
        self._max_batch_seen = max(self._max_batch_seen, size)
        waited_ms = (loop.time() - batch[0].enqueued_at) * 1000.0
        started = loop.time()
        try:
            results = await loop.run_in_executor(self._executor, self._predict, texts)
            count = len(results)
        except Exception as exc:
            self._fail_batch(
                batch, f"prediction failed for a batch of {size}: {type(exc).__name__}", exc
            )
            return
        finally:
            run_ms = (loop.time() - started) * 1000.0
            logger.debug(
                "batch of %d: waited %.1f ms, ran %.1f ms, %d still queued",
                size,
                waited_ms,
                run_ms,
                self._depth,
            )
        self._in_flight = []
        if count != size:
            self._fail_batch(
                batch, f"prediction returned {count} results for a batch of {size} texts", None
            )
            return
        for request, result in zip(batch, results, strict=True):
            if not request.future.done():  # its caller may have been cancelled meanwhile
                request.future.set_result(result)

    def _fail_batch(
        self, batch: list[_Request[T]], message: str, cause: BaseException | None
    ) -> None:
        self._in_flight = []
        self._failures += 1
        logger.debug("batch of %d failed", len(batch))
        for request in batch:
            if not request.future.done():
                error = BatchFailed(message, batch_size=len(batch))
                error.__cause__ = cause
                request.future.set_exception(error)
