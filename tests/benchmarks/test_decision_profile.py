"""``benchmarks/decision_profile.py``: the stage timer, and a short run on the real model."""

from __future__ import annotations

import json
import threading

import pytest

from benchmarks.decision_profile import STAGES, StageTimer, main


class _Clock:
    """Seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_a_stage_is_charged_its_own_time_less_the_stages_it_calls() -> None:
    clock = _Clock()
    timer = StageTimer(clock)

    def inner() -> str:
        clock.advance(2.0)
        return "inner"

    timed_inner = timer.wrap("b", "inner", inner)

    def outer() -> str:
        clock.advance(1.0)
        return timed_inner() + timed_inner()

    assert timer.wrap("a", "outer", outer)() == "innerinner"
    assert timer.main == {"a": 1.0, "b": 4.0}
    assert timer.calls == {"outer": 1, "inner": 2}

    worker = threading.Thread(target=timed_inner)
    worker.start()
    worker.join()
    assert timer.threads == {"b": 2.0}  # kept apart from the calling thread's
    assert timer.main == {"a": 1.0, "b": 4.0}
    timer.reset()
    assert not timer.main and not timer.threads and not timer.calls


def test_a_wrapped_call_that_raises_is_timed_and_raises() -> None:
    timer = StageTimer()

    def broken() -> None:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        timer.wrap("a", "broken", broken)()
    assert timer.calls == {"broken": 1} and timer.main["a"] >= 0


def test_a_short_run_attributes_every_stage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--limit", "12", "--passes", "1"]) == 0

    out = capsys.readouterr().out
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["messages"] == 12 and figures["row_wise"] is True
    assert [b["batch"] for b in figures["batches"]] == [1, 64]
    for batch in figures["batches"]:
        assert set(batch["stages"]) == set(STAGES)
        stages = {name: row["us_per_message"] for name, row in batch["stages"].items()}
        assert all(us >= 0 for us in stages.values())
        # the stages cover the decision: their sum is the total (one pass: no medians to differ)
        assert sum(stages.values()) == pytest.approx(batch["us_per_message"], rel=0.01)
        for stage in STAGES:
            assert stages[stage] > 0, stage
        assert stages["session"] == max(stages.values())  # the model is most of a decision
        assert batch["decisions_per_s"] > 0
        # every marker names a function the decision path still has (a rename would silently
        # move its time to whatever calls it)
        assert batch["markers_missing"] == []
    # at batch 64 the rows run on the engine's run threads
    assert figures["batches"][1]["run_threads_us_per_message"]["session"] > 0
    ort = figures["ort_profile"]
    assert 0 < ort["kernels_us_per_message"] <= ort["model_run_us_per_message"]
    assert ort["model_run_us_per_message"] <= ort["python_run_us_per_message"]
    assert sum(ort["op_types"].values()) <= 1.0001
    assert "| ORT session run |" in out and "ORT profiler" in out
