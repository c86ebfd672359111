"""A short run of the HTTP soak (``benchmarks/http_soak.py``): the same code, fewer requests.

A queue bound of 16 and a slowed engine make the designed 503s happen; everything else must be
a 200 with a decision per message, and ``/metrics`` must agree with what the client saw.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.http_soak import BATCH, SINGLE, Planned, judge, main

pytestmark = pytest.mark.reliability

SHORT = [
    "--requests=300",
    "--concurrency=32",
    "--max-queue=16",
    "--slow-every=1.5",
    "--slow-for=0.75",
    "--slow-ms=300",
    "--warmup=32",
    "--sample-every=0.5",
]


def test_a_short_soak_answers_every_request_with_a_decision_or_the_designed_503(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(SHORT)

    out = capsys.readouterr().out
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["failures"] == []
    assert status == 0
    assert figures["answered"] == 300
    assert figures["problems"] == {}
    assert set(figures["statuses"]) == {"200", "503"}
    assert figures["statuses"]["200"] + figures["statuses"]["503"] == 300
    # The slowed engine filled the queue: refusals came, and came in the slow windows.
    assert figures["slow_windows"] >= 1
    assert figures["model_runs"]["slowed_runs"] >= 1
    assert figures["refused_in_slow_windows"] >= 1
    assert figures["refused_messages"] >= figures["statuses"]["503"]
    # Both routes answered decisions.
    assert figures["by_route"][f"{SINGLE} 200"] > 0
    assert figures["by_route"][f"{BATCH} 200"] > 0
    assert figures["metrics_agree"] is True
    assert figures["server_exit"] == 0
    rss = figures["rss_mib"]
    assert rss["samples"] >= 2
    assert 0 < rss["start"] <= rss["peak_hwm"]
    assert rss["growth"] <= 64
    assert "PASS" in out


def test_the_soak_refuses_answers_that_break_the_contract() -> None:
    single = Planned(SINGLE, b"{}", 1)
    batch = Planned(BATCH, b"{}", 3)
    decision = b'{"mood": "joy", "reactions": []}'
    overloaded = b'{"type": "/problems/overloaded", "status": 503, "code": "overloaded"}'
    retry = {"Retry-After": "1"}

    assert judge(single, 200, {}, decision) is None
    assert judge(batch, 200, {}, b'{"results": [{}, {}, {}]}') is None
    assert judge(single, 503, retry, overloaded) is None
    assert judge(batch, 200, {}, b'{"results": [{}, {}]}') is not None
    assert judge(single, 200, {}, b"{}") is not None
    assert judge(single, 503, {}, overloaded) == "503 without Retry-After"
    shutting = overloaded.replace(b"overloaded", b"shutting_down")
    assert judge(single, 503, retry, shutting) == "503 shutting_down"
    assert judge(single, 500, {}, b"{}") == "status 500"
