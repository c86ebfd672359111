"""``moodmoji bench``: a real (short) run of the default stack, and the summary it prints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

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
        "model64": {**throughput, "messages_per_s": 1250.0},
        "end_to_end_vs_model": 0.8,
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
    assert figures["model_alone_messages_per_s"] == 1250.0
    assert figures["end_to_end_vs_model"] == 0.8
    # issue 20's targets: 2.5 ms p50 and 9 ms p99 miss 2 and 6 ms; 0.8 meets 0.8; 33x misses
    # 50x against the ORT int8 stack; 180 MB meets 250 MB; 1.2 s misses 0.5 s
    assert figures["targets"] == {
        "single_p50_ms": False,
        "single_p99_ms": False,
        "batched_messages_per_s": False,
        "end_to_end_vs_model": True,
        "speedup_vs_pytorch_stack": True,
        "speedup_vs_ort_int8_stack": False,
        "peak_rss_mb": True,
        "cold_start_s": False,
    }
    table = render_table(results, figures)
    assert "PyTorch stack" in table and "ORT int8 stack" in table
    assert "target batched >= 2,000 messages/s: MISSED" in table
    assert "target end to end / model alone, batched >= 0.8: met (0.8)" in table
    assert "the model alone 1,250/s" in table
    assert len(TARGETS) == 8


def test_stacks_not_measured_are_not_judged() -> None:
    figures = summarise({"default": _default()}, quick=True, messages=16)
    assert figures["speedup_vs_pytorch_stack"] is None
    assert figures["targets"]["speedup_vs_pytorch_stack"] is None
    assert "not measured" in render_table({"default": _default()}, figures)


def _irc() -> dict[str, Any]:
    throughput = {"messages_per_s": 800.0, "low": 780.0, "high": 820.0, "passes": 3}
    return {
        "chats": 10,
        "messages": 11640,
        "bot_messages": 200,
        "single": {"p50_ms": 2.0, "p99_ms": 8.0, "mean_ms": 2.5, "calls": 11640},
        "batch64": throughput,
        "batch64_react_only": {**throughput, "messages_per_s": 900.0},
        "vs_bench": 0.8,
        "reaction_rate": 0.05,
        "reaction_rate_before_pacing": 0.3,
        "asked_reaction_rate": 0.3,
        "suggestion_rate": 0.02,
        "asked_suggestion_rate": 0.95,
        "peak_rss_mb": 170.0,
    }


def test_summary_of_irc_traffic() -> None:
    results = {"default": _default(), "irc": _irc()}
    figures = summarise(results, quick=False, messages=320)
    assert figures["irc_messages"] == 11640 and figures["irc_chats"] == 10
    assert figures["irc_messages_per_s"] == 800.0
    assert figures["irc_react_only_messages_per_s"] == 900.0
    assert figures["irc_vs_bench_messages_per_s"] == 0.8
    assert figures["irc_reaction_rate"] == 0.05
    assert figures["irc_asked_suggestion_rate"] == 0.95
    table = render_table(results, figures)
    assert "IRC logs (11,640 messages, 10 chats)" in table
    assert "reacts to 5.0% of the messages flowing past (30.0% before pacing)" in table
    without = summarise({"default": _default()}, quick=False, messages=320)
    assert not any(key.startswith("irc_") for key in without)


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
    assert default["model64"]["messages"] == 24 and default["model64"]["passes"] == 3
    # the model alone is part of a decision, so (noise aside) a decision is not faster
    assert 0 < figures["end_to_end_vs_model"] < 1.5
    assert figures["model_alone_messages_per_s"] > 0
    assert default["microbatch64"]["latency"]["calls"] == 24
    assert figures["single_p50_ms"] > 0 and figures["peak_rss_mb"] > 0
    assert figures["cold_start_s"] > 0
    assert "default pipeline" in done.stdout
    assert "Traceback" not in done.stderr


CHAT_A = """\
=== ann [~ann@example.net]  has joined #ubuntu
[10:00] <ann> hi all, my laptop finally boots again!! thank you so much 😄
[10:00] <bo> ann: great, what was it?
[10:01] <ann> bo: the initramfs, of course
[10:01] <ubottu> ann: see https://help.ubuntu.com/community/BootOptions
[10:02]  * bo dances
[10:02] <cy>
[10:03] <cy> ugh my wifi died again, i'm so sick of this 😡
[10:03] <ann> cy, which card?
[10:04] <cy> 私のwifiは壊れています
[10:05] <bo> lol
[10:30] <ann> bye, have a great day everyone ❤️
"""
CHAT_B = """\
[23:58] <dee> anyone here know grub?
[23:59] <eli> dee: yes, ask away
[23:59] <dee> my dog died today. i can't concentrate on anything
[00:00] <eli> dee: i'm so sorry
=== fin is now known as fin_
[00:01] <fin> congrats on the new job eli!! 🎉🎉
[00:02] <eli> fin: thanks!!
[00:03] <dee> ok it works now
[00:04] <fin> 🙂
"""


def test_a_quick_run_over_irc_logs_reports_traffic_figures(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "chat-a.raw.txt").write_text(CHAT_A, encoding="utf-8")
    (logs / "chat-b.raw.txt").write_text(CHAT_B, encoding="utf-8")
    (logs / "chat-b.annotation.txt").write_text("1 2 -\n", encoding="utf-8")
    done = subprocess.run(
        [
            *(sys.executable, "-m", "moodmoji.tools.cli", "bench", "--quick"),
            *("--stacks", "default", "--irc", str(logs)),
            *("--limit", "24", "--cold-starts", "0"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["irc_messages"] == 18 and figures["irc_chats"] == 2
    irc = figures["stacks"]["irc"]
    assert irc["bot_messages"] == 1 and irc["single"]["calls"] == 18
    assert irc["batch64"]["messages"] == 18 and irc["batch64"]["passes"] == 1
    assert irc["bench_batch64"]["messages"] == 24  # the benchmark messages, in between
    assert figures["irc_messages_per_s"] > 0 and figures["irc_react_only_messages_per_s"] > 0
    assert figures["irc_single_p50_ms"] > 0 and figures["irc_vs_bench_messages_per_s"] > 0
    for key in ("asked_reaction_rate", "suggestion_rate", "asked_suggestion_rate"):
        assert 0 <= figures[f"irc_{key}"] <= 1
        count = figures[f"irc_{key}"] * 18  # a share of the 18 messages
        assert count == pytest.approx(round(count), abs=0.01)
    assert 0 <= figures["irc_reaction_rate"] <= figures["irc_reaction_rate_before_pacing"] <= 1
    # asked, the bot suggests on most messages (never on the channel bot's, which it ignores)
    assert figures["irc_suggestion_rate"] <= figures["irc_asked_suggestion_rate"] <= 17 / 18
    assert figures["irc_asked_suggestion_rate"] > 0.5
    assert "IRC logs (18 messages, 2 chats)" in done.stdout
    assert "Traceback" not in done.stderr


def test_irc_folder_without_logs_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "moodmoji.tools.cli", "bench", "--irc", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip() == f"moodmoji: error: --irc: {tmp_path}: no IRC logs (*.raw.txt) here"
    )


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
