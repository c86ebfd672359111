"""A short run of ``benchmarks/remote_engine.py``: the same code, few requests, tiny bundle.

Skipped without ``ray[serve]``; with ``MOODMOJI_REQUIRE_RAY=1`` (CI) that is a failure. A Ray
cluster named by ``MOODMOJI_TEST_RAY_ADDRESS`` is used when set, else a local one is started.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from benchmarks.remote_engine import main

HAVE_RAY = importlib.util.find_spec("ray") is not None
if not HAVE_RAY and os.environ.get("MOODMOJI_REQUIRE_RAY") == "1":
    pytest.fail(
        "MOODMOJI_REQUIRE_RAY=1 but ray[serve] is not installed (pip install 'moodmoji[ray]')",
        pytrace=False,
    )
pytestmark = pytest.mark.skipif(
    not HAVE_RAY,
    reason="ray[serve] is not installed (pip install 'moodmoji[ray]'); "
    "set MOODMOJI_REQUIRE_RAY=1 to make this a failure",
)


def test_a_short_run_measures_every_set_up_without_errors(
    tiny_bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--quick", "--model", str(tiny_bundle), "--replicas", "1,2"]
    argv += ["--cpus-per-replica", "0.5", "--repeats", "1", "--requests", "80", "--calls", "50"]
    if os.environ.get("MOODMOJI_TEST_RAY_ADDRESS"):
        argv += ["--address", os.environ["MOODMOJI_TEST_RAY_ADDRESS"]]
    assert main(argv) == 0

    out = capsys.readouterr().out
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["errors"] == 0
    assert set(figures["api"]) == {"local", "ray x1", "ray x2"}
    for scenarios in figures["api"].values():
        assert scenarios["single"]["messages"] == 16
        assert scenarios["batch16"]["messages"] == 64
        assert all(s["messages_per_s"] > 0 for s in scenarios.values())
    assert figures["ratios"]["local"] == 1.0
    latency = figures["latency_ms"]
    assert latency["local_1_ms"] > 0 and latency["remote_wait0_1_ms"] > 0
    assert "overhead_1_ms" in latency and "overhead_16_ms" in latency
    assert "ray x2" in out and "overhead" in out
