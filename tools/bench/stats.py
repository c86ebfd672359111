"""Timing helpers of the benchmark: latencies as percentiles, throughputs as medians."""

from __future__ import annotations

import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Latency:
    """Per-call latency over many calls, in milliseconds.

    Attributes:
        p50_ms: Median.
        p99_ms: 99th percentile (nearest rank).
        mean_ms: Mean.
        calls: Calls measured.

    """

    p50_ms: float
    p99_ms: float
    mean_ms: float
    calls: int

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        """Summarises call durations given in seconds."""
        ms = sorted(s * 1000 for s in seconds)
        return cls(
            p50_ms=round(statistics.median(ms), 3),
            p99_ms=round(percentile(ms, 99), 3),
            mean_ms=round(statistics.fmean(ms), 3),
            calls=len(ms),
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for the JSON line."""
        return asdict(self)


@dataclass(frozen=True)
class Throughput:
    """Messages per second over repeated passes; the median pass is the figure.

    Attributes:
        messages_per_s: Median over passes.
        low: Slowest pass.
        high: Fastest pass.
        passes: Passes measured.
        messages: Messages per pass.

    """

    messages_per_s: float
    low: float
    high: float
    passes: int
    messages: int

    @classmethod
    def of(cls, rates: Sequence[float], messages: int) -> Throughput:
        """The summary of per-pass rates (messages per second) over ``messages`` each."""
        return cls(
            messages_per_s=round(statistics.median(rates), 1),
            low=round(min(rates), 1),
            high=round(max(rates), 1),
            passes=len(rates),
            messages=messages,
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for the JSON line."""
        return asdict(self)


def percentile(ordered: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile of already sorted values."""
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n * q / 100), at least 1
    return ordered[int(rank) - 1]


def time_calls(fn: Callable[[str], object], texts: Sequence[str], warmup: int = 10) -> Latency:
    """Calls ``fn`` on each text in turn (after ``warmup`` calls) and summarises latency."""
    for text in texts[:warmup]:
        fn(text)
    seconds = []
    for text in texts:
        started = time.perf_counter()
        fn(text)
        seconds.append(time.perf_counter() - started)
    return Latency.of(seconds)


def time_passes(run: Callable[[], int], passes: int) -> Throughput:
    """Runs ``run`` once to warm up, then ``passes`` times; reports messages per second.

    ``run`` returns how many messages it handled.
    """
    run()
    rates, count = [], 0
    for _ in range(passes):
        started = time.perf_counter()
        count = run()
        rates.append(count / (time.perf_counter() - started))
    return Throughput.of(rates, count)


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (10^6 bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kilobytes = peak / 1024 if sys.platform == "darwin" else peak  # macOS reports bytes
    return round(kilobytes * 1024 / 1e6, 1)
