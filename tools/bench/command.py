"""``moodmoji bench``: the default pipeline against the stack it was specified against.

Three stacks are measured on the same fixed messages (:mod:`bot.bench.messages`), each in a
process of its own (:mod:`bot.bench.worker`), one after another so they never share the CPU:

1. the default pipeline end to end (hygiene, tokenization, ORT, the bot's decision with its
   SQLite store): single messages, batches of 8 and 64, and 64 concurrent ``adecide`` callers
   through the micro-batcher;
2. the PyTorch stack: the five specified models (random weights of the real sizes) through
   transformers on the CPU, one after another for each message;
3. the same five exported by ``moodmoji export --int8`` and run by ONNX Runtime.

Then the cold start of the default (process start to first decision, median of several
starts). It prints a table, and last a JSON line with every figure, the ratios
``speedup_vs_pytorch_stack`` and ``speedup_vs_ort_int8_stack`` (batch-64 throughput of the
default over each stack's throughput), peak RSS and cold start.

With ``--irc DIR`` the default pipeline also runs real chat traffic, Ubuntu IRC logs
(:mod:`moodmoji.tools.bench.irc`), in a process of its own: messages per second in batches of
64 with the store, and how often the bot reacts and suggests when messages flow past (pacing on
the logs' own clock) and when asked (``irc_*`` keys of the JSON line).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moodmoji.bot.config import Config
from moodmoji.tools.bench.messages import describe, load_messages
from moodmoji.tools.bench.worker import RESULT_PREFIX

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True)
class Target:
    """One target of the issue, checked against the JSON figures.

    Attributes:
        label: What it says, for the table.
        key: Figure it reads (a top-level key of the JSON line).
        bound: The limit.
        at_most: True when the figure must stay at or under the bound.

    """

    label: str
    key: str
    bound: float
    at_most: bool

    def met(self, figures: dict[str, Any]) -> bool | None:
        """Whether the figure meets the target (``None`` when it was not measured)."""
        value = figures.get(self.key)
        if value is None:
            return None
        return bool(value <= self.bound if self.at_most else value >= self.bound)


TARGETS = (
    # the targets of issue 20 ("2,000 messages a second end to end on two cores"); the ones
    # of issue 8 that it tightened (p50 <= 3 ms, 10x the ORT int8 stack, 300 MB, 2 s) are gone
    Target("single message p50 <= 2 ms", "single_p50_ms", 2.0, True),
    Target("single message p99 <= 6 ms", "single_p99_ms", 6.0, True),
    Target("batched >= 2,000 messages/s", "batched_messages_per_s", 2000.0, False),
    Target("end to end / model alone, batched >= 0.8", "end_to_end_vs_model", 0.8, False),
    Target(">= 50x the PyTorch stack", "speedup_vs_pytorch_stack", 50.0, False),
    Target(">= 50x the ORT int8 stack", "speedup_vs_ort_int8_stack", 50.0, False),
    Target("peak RSS <= 250 MB", "peak_rss_mb", 250.0, True),
    Target("cold start <= 0.5 s", "cold_start_s", 0.5, True),
)
STACKS = ("default", "pytorch", "ort-int8")
_EXPORT_MODULES = ("torch", "transformers", "onnx", "onnxscript", "sentencepiece", "emoji")
"""What the reference stacks import (the export extra)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the ``bench`` options."""
    parser.add_argument("--quick", action="store_true", help="fewer passes and messages")
    parser.add_argument(
        "--stacks",
        default=",".join(STACKS),
        help=f"comma-separated stacks to measure (default: {','.join(STACKS)})",
    )
    parser.add_argument("--cold-starts", type=int, help="starts to time (default 5, quick 3)")
    parser.add_argument(
        "--cache", type=Path, help="where the reference models are built (default: user cache)"
    )
    parser.add_argument("--json", type=Path, help="also write the JSON figures to this file")
    parser.add_argument(
        "--limit", type=int, metavar="N", help="only the first N messages (a smoke test)"
    )
    parser.add_argument(
        "--irc",
        type=Path,
        metavar="DIR",
        help="also run the default pipeline on IRC logs (*.raw.txt) in DIR, e.g. the Ubuntu "
        "IRC dev logs (default: off)",
    )


def run(args: argparse.Namespace, config: Config) -> int:
    """Runs the benchmark; returns the exit status."""
    del config  # the workers load the same config file themselves
    stacks = [s.strip() for s in str(args.stacks).split(",") if s.strip()]
    unknown = sorted(set(stacks) - set(STACKS))
    if unknown or not stacks:
        print(
            f"moodmoji: error: --stacks: unknown {unknown}; known: {list(STACKS)}", file=sys.stderr
        )
        return EXIT_USAGE
    irc = getattr(args, "irc", None)
    if irc is not None:
        from moodmoji.tools.bench.irc import read_logs

        try:
            read_logs(irc)
        except (OSError, ValueError) as exc:
            print(f"moodmoji: error: --irc: {exc}", file=sys.stderr)
            return EXIT_USAGE
    if {"pytorch", "ort-int8"} & set(stacks) and not _has_export_extra():
        print(
            "moodmoji: error: the reference stacks need the export extra: "
            "pip install 'moodmoji[export]' (or --stacks default)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    from moodmoji.inference.embedding_cache import user_cache_dir

    cache = args.cache or user_cache_dir() / "bench"
    config_args = ["--config", str(args.config)] if getattr(args, "config", None) else []
    extra = ["--quick"] if args.quick else []
    messages = load_messages()
    if args.limit:
        extra += ["--limit", str(args.limit)]
        messages = messages[: args.limit]
    print(
        f"moodmoji bench: {len(messages)} messages {describe(messages)}; "
        f"{os.cpu_count()} CPUs; {'quick' if args.quick else 'full'} run",
        file=sys.stderr,
    )
    results: dict[str, Any] = {}
    try:
        for stack in stacks:
            print(f"measuring {stack} ...", file=sys.stderr, flush=True)
            results[stack] = _worker([stack, "--cache", str(cache), *extra, *config_args])
        if irc is not None:
            print(f"measuring IRC traffic from {irc} ...", file=sys.stderr, flush=True)
            results["irc"] = _worker(["irc", "--irc", str(irc), *extra, *config_args])
        starts = args.cold_starts if args.cold_starts is not None else (3 if args.quick else 5)
        if "default" in stacks and starts > 0:
            print(f"measuring cold start ({starts} starts) ...", file=sys.stderr, flush=True)
            results["cold"] = _cold_starts(starts, config_args)
    except WorkerError as err:
        print(f"moodmoji: error: {err}", file=sys.stderr)
        return EXIT_FAILED
    figures = summarise(results, quick=args.quick, messages=len(messages))
    print(render_table(results, figures))
    line = json.dumps(figures, sort_keys=True)
    if args.json:
        args.json.write_text(line + "\n", encoding="utf-8")
    print(line)
    return EXIT_OK


class WorkerError(Exception):
    """A stack's process failed or printed no result."""


def _has_export_extra() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in _EXPORT_MODULES)


def _worker(arguments: list[str]) -> dict[str, Any]:
    """Runs one worker process (stderr passes through) and returns its result."""
    command = [sys.executable, "-m", "moodmoji.tools.bench.worker", *arguments]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    raise WorkerError(f"the {arguments[0]} stack failed (exit {done.returncode}); see above")


def _cold_starts(starts: int, config_args: list[str]) -> dict[str, Any]:
    """Times ``starts`` fresh processes from spawn to their first decision."""
    walls, inside = [], []
    for _ in range(starts):
        started = time.perf_counter()
        result = _worker(["cold", *config_args])
        walls.append(time.perf_counter() - started)
        inside.append(result["in_process_s"])
    return {
        "wall_s": [round(w, 3) for w in walls],
        "median_wall_s": round(statistics.median(walls), 3),
        "median_in_process_s": round(statistics.median(inside), 3),
    }


def summarise(results: dict[str, Any], *, quick: bool, messages: int) -> dict[str, Any]:
    """The JSON line: headline figures, ratios, targets, and every stack's details."""
    default = results.get("default", {})
    torch_stack = results.get("pytorch", {})
    ort_stack = results.get("ort-int8", {})
    batched = default.get("batch64", {}).get("messages_per_s")
    figures: dict[str, Any] = {
        "quick": quick,
        "messages": messages,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "single_p50_ms": default.get("single", {}).get("p50_ms"),
        "single_p99_ms": default.get("single", {}).get("p99_ms"),
        "batch8_messages_per_s": default.get("batch8", {}).get("messages_per_s"),
        "batched_messages_per_s": batched,
        "model_alone_messages_per_s": default.get("model64", {}).get("messages_per_s"),
        "end_to_end_vs_model": default.get("end_to_end_vs_model"),
        "microbatch64_messages_per_s": default.get("microbatch64", {}).get("messages_per_s"),
        "pytorch_stack_messages_per_s": torch_stack.get("messages_per_s"),
        "ort_int8_stack_messages_per_s": ort_stack.get("messages_per_s"),
        "speedup_vs_pytorch_stack": _ratio(batched, torch_stack.get("messages_per_s")),
        "speedup_vs_ort_int8_stack": _ratio(batched, ort_stack.get("messages_per_s")),
        "single_speedup_vs_pytorch_stack": _ratio(
            torch_stack.get("single", {}).get("p50_ms"), default.get("single", {}).get("p50_ms")
        ),
        "single_speedup_vs_ort_int8_stack": _ratio(
            ort_stack.get("single", {}).get("p50_ms"), default.get("single", {}).get("p50_ms")
        ),
        "peak_rss_mb": default.get("peak_rss_mb"),
        "cold_start_s": results.get("cold", {}).get("median_wall_s"),
        "stacks": results,
    }
    irc = results.get("irc")
    if irc:
        irc_rate = (irc.get("batch64") or {}).get("messages_per_s")
        figures.update(
            {
                "irc_messages": irc["messages"],
                "irc_chats": irc["chats"],
                "irc_messages_per_s": irc_rate,
                "irc_react_only_messages_per_s": (irc.get("batch64_react_only") or {}).get(
                    "messages_per_s"
                ),
                "irc_single_p50_ms": (irc.get("single") or {}).get("p50_ms"),
                "irc_vs_bench_messages_per_s": irc.get("vs_bench"),
                "irc_reaction_rate": irc["reaction_rate"],
                "irc_reaction_rate_before_pacing": irc["reaction_rate_before_pacing"],
                "irc_asked_reaction_rate": irc["asked_reaction_rate"],
                "irc_suggestion_rate": irc["suggestion_rate"],
                "irc_asked_suggestion_rate": irc["asked_suggestion_rate"],
            }
        )
    figures["targets"] = {t.key: t.met(figures) for t in TARGETS}
    return figures


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 1)


def render_table(results: dict[str, Any], figures: dict[str, Any]) -> str:
    """The human-readable table printed before the JSON line."""
    rows = [("stack", "single p50", "single p99", "batch 8", "batch 64", "64 callers", "peak RSS")]
    default = results.get("default")
    if default:
        micro = default["microbatch64"]
        rows.append(
            (
                "default pipeline (1 model, 4 heads)",
                _ms(default["single"]["p50_ms"]),
                _ms(default["single"]["p99_ms"]),
                _rate(default["batch8"]["messages_per_s"]),
                _rate(default["batch64"]["messages_per_s"]),
                f"{_rate(micro['messages_per_s'])} (p50 {_ms(micro['latency']['p50_ms'])})",
                f"{default['peak_rss_mb']:.0f} MB",
            )
        )
    irc = results.get("irc")
    if irc and irc.get("batch64"):
        rows.append(
            (
                f"default pipeline, IRC logs ({irc['messages']:,} messages, {irc['chats']} chats)",
                _ms(irc["single"]["p50_ms"]),
                _ms(irc["single"]["p99_ms"]),
                "-",
                _rate(irc["batch64"]["messages_per_s"]),
                "-",
                f"{irc['peak_rss_mb']:.0f} MB",
            )
        )
    for key, label in (("pytorch", "PyTorch stack"), ("ort-int8", "ORT int8 stack")):
        stack = results.get(key)
        if stack:
            rate = _rate(stack["messages_per_s"])
            rows.append(
                (
                    f"{label} (5 models, one by one)",
                    _ms(stack["single"]["p50_ms"]),
                    _ms(stack["single"]["p99_ms"]),
                    rate,
                    rate,
                    "-",
                    f"{stack['peak_rss_mb']:.0f} MB",
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(
        "speedup (batch-64 throughput): "
        f"{_times(figures['speedup_vs_pytorch_stack'])} vs PyTorch, "
        f"{_times(figures['speedup_vs_ort_int8_stack'])} vs ORT int8; "
        f"single message p50: {_times(figures['single_speedup_vs_pytorch_stack'])} vs PyTorch, "
        f"{_times(figures['single_speedup_vs_ort_int8_stack'])} vs ORT int8"
    )
    if default and default.get("model64"):
        lines.append(
            f"batches of 64: end to end {_rate(default['batch64']['messages_per_s'])}, the model "
            f"alone {_rate(default['model64']['messages_per_s'])} (language routing, tokenizer, "
            "ONNX Runtime, the heads' analyses); end to end / model alone "
            f"{default['end_to_end_vs_model']:.2f} (median of alternating passes)"
        )
    if irc and irc.get("batch64"):
        react_only = irc["batch64_react_only"]["messages_per_s"]
        lines.append(
            f"IRC logs: {_rate(irc['batch64']['messages_per_s'])} in batches of 64 "
            f"({_times(figures.get('irc_vs_bench_messages_per_s'))} the benchmark messages' "
            "rate in alternating passes), "
            f"{_rate(react_only)} without suggestions (suggest=False, as the Discord and "
            f"Telegram adapters ask; {_times(irc.get('react_only_vs_mode'))} in alternating "
            f"passes); reacts to {_pct(irc['reaction_rate'])} of the messages "
            f"flowing past ({_pct(irc['reaction_rate_before_pacing'])} before pacing), "
            f"{_pct(irc['asked_reaction_rate'])} when asked; suggests unasked on "
            f"{_pct(irc['suggestion_rate'])}, asked on {_pct(irc['asked_suggestion_rate'])}"
        )
    cold = results.get("cold")
    if cold:
        lines.append(
            f"cold start (spawn to first decision, median of {len(cold['wall_s'])}): "
            f"{cold['median_wall_s']:.2f} s"
        )
    for target in TARGETS:
        met = target.met(figures)
        mark = "not measured" if met is None else ("met" if met else "MISSED")
        lines.append(f"target {target.label}: {mark} ({figures.get(target.key)})")
    return "\n".join(lines)


def _ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def _rate(value: float) -> str:
    return f"{value:,.0f}/s" if value >= 100 else f"{value:.1f}/s"


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2g}x" if value < 1 else f"{value:,.1f}x"


def _pct(value: float) -> str:
    return f"{value:.1%}"
