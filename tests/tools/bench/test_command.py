"""``moodmoji bench``: a real (short) run of the default stack, and the summary it prints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from moodmoji.tools.bench.command import TARGETS, render_table, summarise


def _stack(rate: float, p50: float) -> dict[str, Any]:
    return {
        "models": ["a", "b"],
        "single": {"p50_ms": p50, "p99_ms": p50 * 2, "mean_ms": 1000 / rate, "calls": 10},
        "messages_per_s": rate,
        "peak_rss_mb": 900.0,
        "prepare_s": 1.0,
    }


def _default() -> dict[str, Any]:
    throughput = {"messages_per_s": 1000.0, "low": 900.0, "high": 1100.0, "passes": 3}
    return {
        "single": {"p50_ms": 2.5, "p99_ms": 9.0, "mean_ms": 3.0, "calls": 320},
        "batch8": {**throughput, "messages_per_s": 800.0},
        "batch64": throughput,
        "microbatch64": {**throughput, "latency": {"p50_ms": 40.0, "p99_ms": 90.0}},
        "peak_rss_mb": 180.0,
    }


def test_summary_ratios_and_targets() -> None:
    results = {
        "default": _default(),
        "pytorch": _stack(7.0, 140.0),
        "ort-int8": _stack(30.0, 33.0),
        "cold": {"median_wall_s": 1.2, "wall_s": [1.2, 1.3, 1.1]},
    }
    figures = summarise(results, quick=False, messages=320)
    assert figures["speedup_vs_pytorch_stack"] == round(1000 / 7, 1)
    assert figures["speedup_vs_ort_int8_stack"] == round(1000 / 30, 1)
    assert figures["single_speedup_vs_pytorch_stack"] == 56.0
    assert figures["targets"] == {
        "single_p50_ms": True,
        "batched_messages_per_s": False,
        "speedup_vs_pytorch_stack": True,
        "speedup_vs_ort_int8_stack": True,
        "peak_rss_mb": True,
        "cold_start_s": True,
    }
    table = render_table(results, figures)
    assert "PyTorch stack" in table and "ORT int8 stack" in table
    assert "target batched >= 2,000 messages/s: MISSED" in table
    assert len(TARGETS) == 6


def test_stacks_not_measured_are_not_judged() -> None:
    figures = summarise({"default": _default()}, quick=True, messages=16)
    assert figures["speedup_vs_pytorch_stack"] is None
    assert figures["targets"]["speedup_vs_pytorch_stack"] is None
    assert "not measured" in render_table({"default": _default()}, figures)


def test_a_short_real_run_prints_a_table_and_a_json_line(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "moodmoji.tools.cli", "bench", "--quick"),
            *("--stacks", "default"),
            *("--limit", "24", "--cold-starts", "1", "--json", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures == json.loads(out.read_text())
    assert figures["messages"] == 24
    default = figures["stacks"]["default"]
    assert default["single"]["calls"] == 24
    assert default["batch64"]["messages"] == 24
    assert default["microbatch64"]["latency"]["calls"] == 24
    assert figures["single_p50_ms"] > 0 and figures["peak_rss_mb"] > 0
    assert figures["cold_start_s"] > 0
    assert "default pipeline" in done.stdout
    assert "Traceback" not in done.stderr


def test_unknown_stack_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "moodmoji.tools.cli", "bench", "--stacks", "default,gpu"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "moodmoji: error: --stacks: unknown ['gpu']; known: ['default', 'pytorch', 'ort-int8']"
    ]
