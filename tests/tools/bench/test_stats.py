"""Percentiles, latency and throughput summaries of the benchmark."""

from __future__ import annotations

import math

from moodmoji.tools.bench.stats import Latency, peak_rss_mb, percentile, time_calls, time_passes


def test_nearest_rank_percentile() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


def test_latency_of_seconds_in_milliseconds() -> None:
    latency = Latency.of([0.001] * 98 + [0.010, 0.020])
    assert latency.p50_ms == 1.0 and latency.p99_ms == 10.0 and latency.calls == 100
    assert latency.as_dict()["mean_ms"] == round((0.098 + 0.030) * 10, 3)


def test_time_calls_and_passes_count_what_ran() -> None:
    seen: list[str] = []
    latency = time_calls(seen.append, ["a", "b", "c"], warmup=2)
    assert seen == ["a", "b", "a", "b", "c"] and latency.calls == 3
    runs: list[int] = []

    def run() -> int:
        runs.append(1)
        return 10

    throughput = time_passes(run, passes=3)
    assert len(runs) == 4  # one warm-up pass
    assert throughput.messages == 10 and throughput.passes == 3
    assert throughput.low <= throughput.messages_per_s <= throughput.high


def test_peak_rss_is_this_process() -> None:
    assert 10 < peak_rss_mb() < 100_000
