"""A short run of ``benchmarks/decision_overhead.py``: the same code on 24 messages, one pass."""

from __future__ import annotations

import json

import pytest

from benchmarks.decision_overhead import MODES, main


def test_a_short_run_reports_every_mode_and_the_bot_s_share(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--passes=1", "--limit=24", "--batch=8", "--json"]) == 0

    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["messages"] == 24 and figures["batch"] == 8 and figures["passes"] == 1
    assert set(figures["per_second"]) == set(MODES)
    assert all(rate > 0 for rate in figures["per_second"].values())
    assert figures["ratio_end_to_end_to_model"] > 0
    # replaying the model's analyses leaves only the bot's work: faster than end to end
    assert figures["per_second"]["bot-only"] > figures["per_second"]["end-to-end"]


def test_the_table_names_the_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--passes=1", "--limit=8", "--batch=8"]) == 0

    out = capsys.readouterr().out
    assert "end to end / model" in out and "target 0.8" in out
    assert "µs/message" in out
