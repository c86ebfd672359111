"""Tests of the asyncio micro-batcher, on a real event loop with real threads."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Sequence

import pytest

from moodmoji.inference.batcher import BatcherStats, MicroBatcher
from moodmoji.inference.errors import BatcherClosed, BatchFailed, InferenceError, QueueFull
from moodmoji.inference.settings import BatchSettings

Result = tuple[str, int]


def transform(text: str) -> Result:
    """The deterministic per-text result: ties every result to its own text."""
    return (text, len(text) * 2 + 1)


class Predictor:
    """A deterministic batch predict function that records every batch it is given.

    Args:
        delay_s: Sleep this long per run (blocking, like a real model in a thread).
        fail_on: Raise ``ValueError`` for any batch that contains this text.
        drop_one: Return one result too few (a broken model).
        gate: If given, every run waits (in its thread) until the event is set.
    """

    def __init__(
        self,
        *,
        delay_s: float = 0.0,
        fail_on: str | None = None,
        drop_one: bool = False,
        gate: threading.Event | None = None,
    ) -> None:
        self.delay_s = delay_s
        self.fail_on = fail_on
        self.drop_one = drop_one
        self.gate = gate
        self.batches: list[list[str]] = []
        self.started = threading.Event()
        self.threads: set[threading.Thread] = set()

    def __call__(self, texts: Sequence[str]) -> list[Result]:
        self.batches.append(list(texts))
        self.threads.add(threading.current_thread())
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(10), "test gate never opened"
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.fail_on is not None and self.fail_on in texts:
            raise ValueError("model exploded")
        results = [transform(t) for t in texts]
        return results[:-1] if self.drop_one else results

    @property
    def calls(self) -> int:
        return len(self.batches)


async def wait_until(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``cond`` on the loop until it holds (fails the test after ``timeout``)."""
    async with asyncio.timeout(timeout):
        while not cond():
            await asyncio.sleep(0.002)


async def wait_started(predictor: Predictor) -> None:
    assert await asyncio.to_thread(predictor.started.wait, 5), "predict never started"


def settings(max_batch_size: int = 16, max_wait_ms: float = 20.0) -> BatchSettings:
    return BatchSettings(max_batch_size=max_batch_size, max_wait_ms=max_wait_ms)


# ---------------------------------------------------------------------- batching


async def test_concurrent_submits_are_coalesced() -> None:
    predictor = Predictor()
    texts = [f"message number {i}" + "!" * (i % 7) for i in range(200)]
    async with MicroBatcher(predictor, settings(max_batch_size=16, max_wait_ms=20)) as batcher:
        results = await asyncio.gather(*(batcher.submit(t) for t in texts))
        stats = batcher.stats

    assert results == [transform(t) for t in texts]
    assert predictor.calls <= 200 // 4  # ideally 13 runs; one-by-one would be 200
    assert all(1 <= len(b) <= 16 for b in predictor.batches)
    assert sorted(t for b in predictor.batches for t in b) == sorted(texts)
    assert stats == BatcherStats(
        runs=predictor.calls, items=200, max_batch_seen=16, queue_depth=0, failures=0
    )


async def test_results_match_one_by_one() -> None:
    texts = ["", "a", "hello", "hello", "ünïcødé 🎉", "x" * 300]
    async with MicroBatcher(Predictor(), settings(max_wait_ms=1)) as batcher:
        one_by_one = [await batcher.submit(t) for t in texts]
        together = await asyncio.gather(*(batcher.submit(t) for t in texts))
    assert one_by_one == list(together) == [transform(t) for t in texts]


async def test_submit_many_keeps_order_across_runs() -> None:
    predictor = Predictor()
    texts = [f"t{i:03d}" for i in range(100)]
    async with MicroBatcher(predictor, settings(max_batch_size=8, max_wait_ms=5)) as batcher:
        assert await batcher.submit_many(texts) == [transform(t) for t in texts]
        assert await batcher.submit_many([]) == []
    assert predictor.calls >= 100 // 8
    assert all(len(b) <= 8 for b in predictor.batches)
    assert [t for b in predictor.batches for t in b] == texts  # runs are in arrival order


async def test_submit_many_interleaved_with_submits() -> None:
    predictor = Predictor()
    async with MicroBatcher(predictor, settings(max_batch_size=5, max_wait_ms=10)) as batcher:
        many_a, single, many_b = await asyncio.gather(
            batcher.submit_many([f"a{i}" for i in range(12)]),
            batcher.submit("solo"),
            batcher.submit_many([f"b{i}" for i in range(7)]),
        )
    assert many_a == [transform(f"a{i}") for i in range(12)]
    assert single == transform("solo")
    assert many_b == [transform(f"b{i}") for i in range(7)]


async def test_lone_request_runs_after_max_wait() -> None:
    predictor = Predictor()
    async with MicroBatcher(predictor, settings(max_batch_size=1000, max_wait_ms=50)) as batcher:
        loop = asyncio.get_running_loop()
        start = loop.time()
        result = await asyncio.wait_for(batcher.submit("alone"), timeout=5)
        elapsed = loop.time() - start
    assert result == transform("alone")
    assert predictor.batches == [["alone"]]
    assert 0.03 <= elapsed < 3.0  # waited for company, then ran; generous upper bound


async def test_full_batch_does_not_wait_for_max_wait() -> None:
    predictor = Predictor()
    async with MicroBatcher(predictor, settings(max_batch_size=4, max_wait_ms=30_000)) as batcher:
        results = await asyncio.wait_for(
            asyncio.gather(*(batcher.submit(f"q{i}") for i in range(4))), timeout=5
        )
    assert results == [transform(f"q{i}") for i in range(4)]
    assert predictor.batches == [["q0", "q1", "q2", "q3"]]


async def test_next_batch_accumulates_while_a_batch_runs() -> None:
    gate = threading.Event()
    predictor = Predictor(gate=gate)
    async with MicroBatcher(predictor, settings(max_batch_size=64, max_wait_ms=0)) as batcher:
        first = asyncio.create_task(batcher.submit("first"))
        await wait_started(predictor)
        rest = [asyncio.create_task(batcher.submit(f"r{i}")) for i in range(10)]
        await wait_until(lambda: batcher.stats.queue_depth == 10)
        gate.set()
        assert await first == transform("first")
        assert await asyncio.gather(*rest) == [transform(f"r{i}") for i in range(10)]
    assert predictor.batches == [["first"], [f"r{i}" for i in range(10)]]


async def test_predict_runs_off_the_loop_and_loop_stays_responsive() -> None:
    predictor = Predictor(delay_s=0.3)
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            await asyncio.sleep(0.01)
            ticks += 1

    async with MicroBatcher(predictor, settings(max_wait_ms=0)) as batcher:
        ticking = asyncio.create_task(ticker())
        assert await batcher.submit("slow") == transform("slow")
        stop.set()
        await ticking
    # ~30 ticks expected in 300 ms; a blocked loop would give 0 or 1.
    assert ticks >= 5
    assert threading.current_thread() not in predictor.threads
    assert all(t.name.startswith("moodmoji-batcher") for t in predictor.threads)


# ---------------------------------------------------------------------- failures


async def test_predict_raising_fails_that_batch_only() -> None:
    predictor = Predictor(fail_on="boom")
    async with MicroBatcher(predictor, settings(max_batch_size=32, max_wait_ms=20)) as batcher:
        outcomes = await asyncio.gather(
            *(batcher.submit(t) for t in ["ok1", "boom", "ok2"]), return_exceptions=True
        )
        assert len(predictor.batches) == 1
        for outcome in outcomes:
            assert isinstance(outcome, BatchFailed)
            assert isinstance(outcome, InferenceError)
            assert isinstance(outcome.__cause__, ValueError)
            assert outcome.batch_size == 3
            assert "ValueError" in str(outcome)
        assert len({id(o) for o in outcomes}) == 3  # each caller gets its own exception

        # The worker survived: next batches work normally.
        assert await batcher.submit("fine") == transform("fine")
        assert await batcher.submit_many(["x", "yy"]) == [transform("x"), transform("yy")]
        assert batcher.stats.failures == 1
        assert batcher.stats.runs == 3


async def test_submit_many_raises_batch_failed() -> None:
    predictor = Predictor(fail_on="boom")
    async with MicroBatcher(predictor, settings(max_batch_size=2, max_wait_ms=5)) as batcher:
        with pytest.raises(BatchFailed):
            await batcher.submit_many(["a", "b", "boom", "c", "d", "e"])
        assert await batcher.submit("after") == transform("after")
        assert batcher.stats.queue_depth == 0


async def test_wrong_result_count_fails_the_batch() -> None:
    predictor = Predictor(drop_one=True)
    async with MicroBatcher(predictor, settings(max_batch_size=8, max_wait_ms=20)) as batcher:
        outcomes = await asyncio.gather(
            *(batcher.submit(t) for t in ["a", "b", "c"]), return_exceptions=True
        )
        for outcome in outcomes:
            assert isinstance(outcome, BatchFailed)
            assert "2 results for a batch of 3" in str(outcome)
        predictor.drop_one = False
        assert await batcher.submit("d") == transform("d")
        assert batcher.stats.failures == 1


async def test_non_sequence_result_fails_the_batch() -> None:
    def broken(texts: Sequence[str]) -> Sequence[int]:
        return None  # type: ignore[return-value]

    async with MicroBatcher(broken, settings(max_wait_ms=1)) as batcher:
        with pytest.raises(BatchFailed) as info:
            await batcher.submit("a")
        assert isinstance(info.value.__cause__, TypeError)


# ---------------------------------------------------------------------- cancellation


async def test_cancelled_before_run_is_not_predicted() -> None:
    gate = threading.Event()
    predictor = Predictor(gate=gate)
    async with MicroBatcher(predictor, settings(max_batch_size=16, max_wait_ms=0)) as batcher:
        blocker = asyncio.create_task(batcher.submit("blocker"))
        await wait_started(predictor)  # the worker is busy; later submits queue up
        a, b, c = (asyncio.create_task(batcher.submit(t)) for t in ["A", "B", "C"])
        await wait_until(lambda: batcher.stats.queue_depth == 3)
        b.cancel()
        with pytest.raises(asyncio.CancelledError):
            await b
        assert batcher.stats.queue_depth == 2
        gate.set()
        assert await blocker == transform("blocker")
        assert await a == transform("A")
        assert await c == transform("C")
    assert predictor.batches == [["blocker"], ["A", "C"]]


async def test_cancelled_during_run_does_not_break_the_batch() -> None:
    gate = threading.Event()
    predictor = Predictor(gate=gate)
    async with MicroBatcher(predictor, settings(max_batch_size=16, max_wait_ms=20)) as batcher:
        tasks = [asyncio.create_task(batcher.submit(t)) for t in ["A", "B", "C"]]
        await wait_started(predictor)
        tasks[1].cancel()
        await asyncio.sleep(0)
        gate.set()
        assert await tasks[0] == transform("A")
        assert await tasks[2] == transform("C")
        assert tasks[1].cancelled()
        assert await batcher.submit("D") == transform("D")  # worker still healthy
    assert predictor.batches[0] == ["A", "B", "C"]


async def test_all_cancelled_batch_is_skipped() -> None:
    gate = threading.Event()
    predictor = Predictor(gate=gate)
    async with MicroBatcher(predictor, settings(max_batch_size=16, max_wait_ms=0)) as batcher:
        blocker = asyncio.create_task(batcher.submit("blocker"))
        await wait_started(predictor)
        tasks = [asyncio.create_task(batcher.submit(t)) for t in ["A", "B"]]
        await wait_until(lambda: batcher.stats.queue_depth == 2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert batcher.stats.queue_depth == 0
        gate.set()
        await blocker
        assert await batcher.submit("C") == transform("C")
    assert predictor.batches == [["blocker"], ["C"]]
    assert batcher.stats.runs == 2


async def test_cancelled_submit_many_withdraws_its_texts() -> None:
    gate = threading.Event()
    predictor = Predictor(gate=gate)
    async with MicroBatcher(predictor, settings(max_batch_size=16, max_wait_ms=0)) as batcher:
        blocker = asyncio.create_task(batcher.submit("blocker"))
        await wait_started(predictor)
        many = asyncio.create_task(batcher.submit_many(["m1", "m2", "m3"]))
        other = asyncio.create_task(batcher.submit("other"))
        await wait_until(lambda: batcher.stats.queue_depth == 4)
        many.cancel()
        await asyncio.gather(many, return_exceptions=True)
        assert batcher.stats.queue_depth == 1
        gate.set()
        await blocker
        assert await other == transform("other")
    assert predictor.batches == [["blocker"], ["other"]]


# ---------------------------------------------------------------------- back-pressure


async def test_queue_full_rejects_immediately() -> None:
    gate = threading.Event()
    predictor = Predictor(gate=gate)
    batcher = MicroBatcher(predictor, settings(max_batch_size=2, max_wait_ms=0), max_queue=3)
    async with batcher:
        running = asyncio.create_task(batcher.submit("running"))
        await wait_started(predictor)  # taken out of the queue: depth 0
        queued = [asyncio.create_task(batcher.submit(f"q{i}")) for i in range(3)]
        await wait_until(lambda: batcher.stats.queue_depth == 3)

        with pytest.raises(QueueFull) as info:
            await batcher.submit("one too many")
        assert isinstance(info.value, InferenceError)
        assert (info.value.limit, info.value.depth) == (3, 3)
        with pytest.raises(QueueFull):
            await batcher.submit_many(["x"])
        assert batcher.stats.queue_depth == 3

        gate.set()
        assert await running == transform("running")
        assert await asyncio.gather(*queued) == [transform(f"q{i}") for i in range(3)]
        # Room again once the queue drained.
        assert await batcher.submit("later") == transform("later")
    assert "one too many" not in [t for b in predictor.batches for t in b]


async def test_submit_many_is_all_or_nothing_under_max_queue() -> None:
    predictor = Predictor()
    async with MicroBatcher(predictor, settings(max_wait_ms=1), max_queue=4) as batcher:
        with pytest.raises(QueueFull, match="never fit"):
            await batcher.submit_many(["a", "b", "c", "d", "e"])
        assert batcher.stats.queue_depth == 0
        assert await batcher.submit_many(["a", "b", "c", "d"]) == [
            transform(t) for t in ["a", "b", "c", "d"]
        ]
    assert predictor.calls >= 1


# ---------------------------------------------------------------------- closing


async def test_aclose_drains_pending_and_rejects_later_submits() -> None:
    gate = threading.Event()
    predictor = Predictor(gate=gate)
    batcher = MicroBatcher(predictor, settings(max_batch_size=2, max_wait_ms=10_000))
    first = [asyncio.create_task(batcher.submit(t)) for t in ["a", "b"]]  # full batch: runs
    await wait_started(predictor)
    pending = [asyncio.create_task(batcher.submit(f"p{i}")) for i in range(5)]
    await wait_until(lambda: batcher.stats.queue_depth == 5)

    closing = asyncio.create_task(batcher.aclose())
    await asyncio.sleep(0)
    with pytest.raises(BatcherClosed):
        await batcher.submit("too late")
    with pytest.raises(BatcherClosed):
        await batcher.submit_many([])
    gate.set()
    await asyncio.wait_for(closing, timeout=5)  # does not wait 10 s for company

    assert await asyncio.gather(*first) == [transform("a"), transform("b")]
    assert await asyncio.gather(*pending) == [transform(f"p{i}") for i in range(5)]
    assert batcher.closed
    assert batcher.stats.items == 7
    assert batcher.stats.queue_depth == 0
    await batcher.aclose()  # idempotent


async def test_aclose_before_first_submit() -> None:
    batcher = MicroBatcher(Predictor(), settings())
    await batcher.aclose()
    with pytest.raises(BatcherClosed):
        await batcher.submit("x")


async def test_cancelled_aclose_fails_pending_with_batcher_closed() -> None:
    gate = threading.Event()
    predictor = Predictor(gate=gate)
    batcher = MicroBatcher(predictor, settings(max_batch_size=1, max_wait_ms=0))
    tasks = [asyncio.create_task(batcher.submit(t)) for t in ["a", "b", "c"]]
    await wait_started(predictor)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(batcher.aclose(), timeout=0.05)
    gate.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(o, BatcherClosed) for o in outcomes)


async def test_supplied_executor_is_used_and_left_running() -> None:
    with concurrent.futures.ThreadPoolExecutor(
        max_workers=2, thread_name_prefix="supplied"
    ) as pool:
        predictor = Predictor()
        async with MicroBatcher(predictor, settings(max_wait_ms=1), executor=pool) as batcher:
            assert await batcher.submit("x") == transform("x")
        assert all(t.name.startswith("supplied") for t in predictor.threads)
        assert pool.submit(lambda: 42).result(timeout=5) == 42


async def test_owned_executor_thread_ends_after_aclose() -> None:
    predictor = Predictor()
    async with MicroBatcher(predictor, settings(max_wait_ms=1)) as batcher:
        await batcher.submit("x")
    (thread,) = predictor.threads
    await wait_until(lambda: not thread.is_alive())


# ---------------------------------------------------------------------- misc


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="max_batch_size"):
        MicroBatcher(Predictor(), BatchSettings(max_batch_size=0))
    with pytest.raises(ValueError, match="max_wait_ms"):
        MicroBatcher(Predictor(), BatchSettings(max_wait_ms=-1))
    with pytest.raises(ValueError, match="max_queue"):
        MicroBatcher(Predictor(), BatchSettings(), max_queue=0)


async def test_texts_are_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    secret = "my very private message"
    caplog.set_level(logging.DEBUG, logger="moodmoji.inference.batcher")
    predictor = Predictor(fail_on=secret + " 2")
    async with MicroBatcher(predictor, settings(max_wait_ms=1)) as batcher:
        await batcher.submit(secret)
        with pytest.raises(BatchFailed) as info:
            await batcher.submit(secret + " 2")
    assert caplog.records, "expected DEBUG size/timing records"
    assert all(secret not in record.getMessage() for record in caplog.records)
    assert secret not in str(info.value)
