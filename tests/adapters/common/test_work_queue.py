"""The adapters' bounded work queue: drops when full or stale, counts, never stops on errors."""

from __future__ import annotations

import asyncio

import pytest

from moodmoji.adapters.common.work_queue import WorkQueue


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


async def test_handles_every_offered_item_in_workers() -> None:
    seen: list[int] = []

    async def handle(item: int) -> None:
        await asyncio.sleep(0)
        seen.append(item)

    queue: WorkQueue[int] = WorkQueue(handle, maxsize=100, workers=4, stale_after_s=60)
    queue.start()
    assert all(queue.offer(i) for i in range(50))
    await asyncio.wait_for(queue.join(), 5)
    await queue.aclose()
    assert sorted(seen) == list(range(50))
    stats = queue.stats
    assert (stats.offered, stats.accepted, stats.processed, stats.failed) == (50, 50, 50, 0)
    assert stats.length == 0
    assert not queue.running


async def test_full_queue_refuses_and_counts_without_waiting() -> None:
    release = asyncio.Event()

    async def handle(item: int) -> None:
        await release.wait()

    queue: WorkQueue[int] = WorkQueue(handle, maxsize=3, workers=1, stale_after_s=60)
    queue.start()
    accepted = [queue.offer(i) for i in range(10)]
    await asyncio.sleep(0.01)  # the worker takes one item, freeing one place
    accepted.append(queue.offer(10))
    release.set()
    await asyncio.wait_for(queue.join(), 5)
    await queue.aclose()
    assert accepted.count(True) == 4
    stats = queue.stats
    assert stats.dropped_full == 7
    assert stats.peak_length == 3
    assert stats.processed == 4


async def test_stale_items_are_dropped_at_offer_and_when_their_turn_comes() -> None:
    clock = Clock()
    handled: list[str] = []
    gate = asyncio.Event()

    async def handle(item: str) -> None:
        if item == "first":
            await gate.wait()
        handled.append(item)

    queue: WorkQueue[str] = WorkQueue(handle, maxsize=10, workers=1, stale_after_s=60, clock=clock)
    queue.start()
    assert not queue.offer("already old", born=clock.now - 61)
    assert queue.offer("first")
    await asyncio.sleep(0.01)
    assert queue.offer("waits too long", born=clock.now)
    clock.now += 61  # while "first" blocks the only worker
    gate.set()
    await asyncio.wait_for(queue.join(), 5)
    await queue.aclose()
    assert handled == ["first"]
    assert queue.stats.dropped_stale == 2


async def test_a_failing_handler_is_counted_and_the_worker_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handled: list[str] = []

    async def handle(item: str) -> None:
        if item.startswith("secret"):
            raise ValueError(f"cannot handle {item}")
        handled.append(item)

    queue: WorkQueue[str] = WorkQueue(handle, maxsize=10, workers=1, stale_after_s=60)
    queue.start()
    for item in ("a", "secret text of a message", "b"):
        queue.offer(item)
    await asyncio.wait_for(queue.join(), 5)
    await queue.aclose()
    assert handled == ["a", "b"]
    assert queue.stats.failed == 1
    assert "ValueError" in caplog.text
    assert "secret text" not in caplog.text


async def test_close_cancels_workers_and_refuses_new_items() -> None:
    started = asyncio.Event()

    async def handle(item: int) -> None:
        started.set()
        await asyncio.sleep(3600)

    queue: WorkQueue[int] = WorkQueue(handle, maxsize=10, workers=2, stale_after_s=60)
    queue.start()
    queue.offer(1)
    queue.offer(2)
    queue.offer(3)
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(queue.aclose(drain_s=0.05), 5)
    assert not queue.running
    assert queue.stats.length == 0
    assert not queue.offer(4)
    with pytest.raises(RuntimeError, match="closed"):
        queue.start()
    workers = [t for t in asyncio.all_tasks() if t.get_name().startswith("work-worker")]
    assert workers == []


def test_bad_sizes_are_refused() -> None:
    async def handle(item: int) -> None:
        return None

    with pytest.raises(ValueError):
        WorkQueue(handle, maxsize=0, workers=1, stale_after_s=1)
    with pytest.raises(ValueError):
        WorkQueue(handle, maxsize=1, workers=0, stale_after_s=1)
    with pytest.raises(ValueError):
        WorkQueue(handle, maxsize=1, workers=1, stale_after_s=0)
