"""Where the time of one decision goes: stage by stage, at batch 1 and at batch 64.

Runs the 320 benchmark messages (``tools/bench/data/bench_messages.jsonl``) through
``MoodBot.decide_many`` on the shipped default model, with the default config and a SQLite
store in a temporary folder, as ``moodmoji bench`` does, in calls of 1 and of 64 messages.
Prints a table of microseconds per message for each stage and its share of the decision, the
decisions per second of the run, and last a JSON line with every figure.

How time is attributed: the functions that mark each stage (:data:`MARKERS`, found by
reading the decision path) are wrapped by a timer that keeps a stack per thread, so a stage's
time is its own wall time minus that of the stages it calls (a deterministic profiler like
``cProfile``, but only on these ~30 functions: a few microseconds per message, where cProfile
on every call would inflate the Python stages several-fold). What no marker covers is
``rest``. Timed passes alternate with plain passes; the decisions/s are the plain passes', and
the instrumented rate is printed beside them so the timers' own cost shows. Every figure is
the median over the passes.

The ORT session part is also split by ONNX Runtime's own profiler
(``SessionOptions.enable_profiling``): the same graph and session settings on one thread, each
message run on its own as the engine runs the row-wise (dynamic int8) default model, kernel
time against the rest of ``model_run`` and the Python binding, and the costliest operator
types.

At batch 64 the engine runs rows on its ``ort-run`` threads (``parallel_runs``, one per CPU)
while the calling thread waits; that wait is the session stage, and the threads' own time is
printed below the table. Mood counts are written by the store's background thread (the
decision only queues them).

Usage::

    python benchmarks/decision_profile.py [--passes 5] [--quick] [--json out.json]
        [--irc /work/shared/data/ubuntu_irc/dev] [--limit N] [--cprofile out.prof]

``--irc DIR`` profiles the first 320 messages (or ``--limit``) of IRC logs instead
(:mod:`moodmoji.tools.bench.irc`). ``--cprofile FILE`` also writes a ``cProfile`` of one plain
batch-64 pass (for ``python -m pstats`` or snakeviz) and prints its costliest functions.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import importlib
import json
import os
import platform
import pstats
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType
from typing import Any

import onnxruntime as ort

from moodmoji.bot.config import load_config
from moodmoji.bot.core import MoodBot
from moodmoji.inference.manifest import MODEL_FILE
from moodmoji.inference.session import choose_providers, session_options
from moodmoji.tools.bench.messages import load_messages
from moodmoji.tools.bench.worker import default_bot, incoming, irc_incoming

STAGES = {
    "hygiene": "text hygiene, emoji names",
    "tokenizer": "tokenizer (encode, pad)",
    "session": "ORT session run",
    "heads": "head post-processing (analysis objects)",
    "reactions": "reaction ranking, policy, platform rules",
    "suggestions": "suggestions (reply ranking)",
    "pacing": "pacing",
    "store": "store (opt-out, settings, mood count)",
    "rest": "the rest (decide_many, decision objects)",
}
MARKERS: tuple[tuple[str, str, str], ...] = (
    # (stage, module, function or Class.method). Message-by-message and batch-wise names of
    # the decision path are both listed; a marker the code does not have is reported, not
    # an error, and its time falls to the stage of whatever marked function calls it.
    ("rest", "moodmoji.bot.core", "MoodBot.decide_many"),
    ("rest", "moodmoji.bot.core", "MoodBot._conclude_many"),
    ("rest", "moodmoji.bot.core", "MoodBot._decision"),
    ("rest", "moodmoji.bot.core", "MoodBot._analyze"),
    ("rest", "moodmoji.inference.analyzer", "Analyzer.analyze"),
    ("store", "moodmoji.bot.core", "MoodBot._gate"),
    ("store", "moodmoji.bot.core", "MoodBot._gates"),
    ("store", "moodmoji.bot.core", "MoodBot._stored_gates"),
    ("store", "moodmoji.bot.core", "MoodBot._count_moods"),
    ("store", "moodmoji.bot.store.common", "SqlStore.opt_out"),
    ("store", "moodmoji.bot.store.common", "SqlStore.opt_outs_of"),
    ("store", "moodmoji.bot.store.common", "SqlStore.chat_settings"),
    ("store", "moodmoji.bot.store.common", "SqlStore.chat_settings_of"),
    ("store", "moodmoji.bot.store.common", "SqlStore.count_mood"),
    ("store", "moodmoji.bot.store.common", "SqlStore.count_moods"),
    ("session", "moodmoji.inference.engine", "Engine.predict"),
    ("hygiene", "moodmoji.inference.engine", "Engine.model_text"),
    ("hygiene", "moodmoji.inference.hygiene", "clean_text"),
    ("hygiene", "moodmoji.inference.emoji_names", "spell_emoji"),
    ("tokenizer", "moodmoji.inference.text_encoder", "TextEncoder.tokenize"),
    ("tokenizer", "moodmoji.inference.text_encoder", "TextEncoder.pad"),
    ("heads", "moodmoji.inference.engine", "_head_results"),
    ("heads", "moodmoji.inference.engine", "Prediction"),
    ("heads", "moodmoji.inference.analyzer", "Analyzer.explain"),
    ("heads", "moodmoji.bot.core", "read"),
    ("reactions", "moodmoji.inference.reactions", "ReactionRanker.rank"),
    ("reactions", "moodmoji.inference.topics", "TopicMatcher.candidates"),
    ("reactions", "moodmoji.bot.policy", "assess"),
    ("reactions", "moodmoji.bot.policy", "somber_hints"),
    ("reactions", "moodmoji.bot.grave_topics", "grave_topic"),
    ("reactions", "moodmoji.bot.policy", "ReactionPolicy.choose"),
    ("reactions", "moodmoji.bot.policy", "ReactionPolicy.gate"),
    ("reactions", "moodmoji.bot.core", "MoodBot._reactions"),
    ("reactions", "moodmoji.bot.core", "MoodBot._react"),
    ("reactions", "moodmoji.bot.core", "MoodBot._rules_for"),
    ("suggestions", "moodmoji.bot.suggestions", "Suggester.suggest"),
    ("suggestions", "moodmoji.bot.suggestions", "Suggester.suggest_many"),
    ("suggestions", "moodmoji.bot.core", "MoodBot._suggestion_request"),
    ("suggestions", "moodmoji.bot.core", "answerable"),
    ("pacing", "moodmoji.bot.pacing", "Pacer.observe"),
    ("pacing", "moodmoji.bot.pacing", "Pacer.hold"),
    ("pacing", "moodmoji.bot.pacing", "Pacer.record"),
)
"""The functions that mark each stage; the ORT session's ``run`` is wrapped on the instance."""
SESSION_RUN = "InferenceSession.run"
BATCHES = (1, 64)


class StageTimer:
    """Exclusive wall time per stage: a wrapped call's time less that of wrapped calls inside.

    The calling (main) thread's times make the table; other threads' (the engine's run
    threads) are kept apart.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.main: dict[str, float] = defaultdict(float)
        self.threads: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._main_id = threading.main_thread().ident
        self._local = threading.local()
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forgets what was measured."""
        with self._lock:
            self.main.clear()
            self.threads.clear()
            self.calls.clear()

    def wrap(self, stage: str, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` timed as part of ``stage`` (``name`` counts its calls)."""
        timer = self

        @functools.wraps(fn, updated=())
        def timed(*args: Any, **kwargs: Any) -> Any:
            stack = timer._stack()
            frame = [0.0]  # time of the wrapped calls inside this one
            stack.append(frame)
            started = timer.clock()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = timer.clock() - started
                stack.pop()
                if stack:
                    stack[-1][0] += elapsed
                timer._add(stage, name, elapsed - frame[0])

        return timed

    def _stack(self) -> list[list[float]]:
        stack: list[list[float]] | None = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    def _add(self, stage: str, name: str, seconds: float) -> None:
        if threading.get_ident() == self._main_id:
            self.main[stage] += seconds
            self.calls[name] += 1
            return
        with self._lock:
            self.threads[stage] += seconds
            self.calls[name] += 1


@dataclass
class Patches:
    """Wrapped markers, undone by :meth:`undo`."""

    undo_steps: list[Callable[[], None]]
    missing: list[str]

    def undo(self) -> None:
        """Puts every original function back."""
        for step in reversed(self.undo_steps):
            step()
        self.undo_steps.clear()


def install(timer: StageTimer, bot: MoodBot) -> Patches:
    """Wraps every marker (and the bot's ORT session's ``run``) with ``timer``.

    A module-level function is replaced wherever a ``moodmoji`` module imported it; a method
    on its class; a class (``Prediction``) only in the module named.
    """
    patches = Patches([], [])
    for stage, module_name, qualname in MARKERS:
        module = importlib.import_module(module_name)
        label = f"{module_name.rsplit('.', 1)[-1]}.{qualname}"
        if "." in qualname:
            class_name, attribute = qualname.split(".", 1)
            owner = getattr(module, class_name, None)
            original = vars(owner).get(attribute) if isinstance(owner, type) else None
            if isinstance(original, staticmethod):
                replacement: Any = staticmethod(timer.wrap(stage, label, original.__func__))
            elif isinstance(original, FunctionType):
                replacement = timer.wrap(stage, label, original)
            else:
                patches.missing.append(label)
                continue
            setattr(owner, attribute, replacement)
            patches.undo_steps.append(functools.partial(setattr, owner, attribute, original))
            continue
        target = getattr(module, qualname, None)
        if isinstance(target, type):
            homes = [module]
        elif isinstance(target, FunctionType):
            homes = [
                m
                for name, m in list(sys.modules.items())
                if name.startswith("moodmoji")
                and m is not None
                and any(value is target for value in vars(m).values())
            ]
        else:
            patches.missing.append(label)
            continue
        wrapped = timer.wrap(stage, label, target)
        for home in homes:
            for name, value in list(vars(home).items()):
                if value is target:
                    setattr(home, name, wrapped)
                    patches.undo_steps.append(functools.partial(setattr, home, name, target))
    session = bot.analyzer.engine.bundle.session
    session.run = timer.wrap("session", SESSION_RUN, session.run)
    patches.undo_steps.append(functools.partial(delattr, session, "run"))
    return patches


@contextmanager
def instrumented(timer: StageTimer, bot: MoodBot) -> Iterator[Patches]:
    """The markers wrapped for the duration of the block."""
    patches = install(timer, bot)
    try:
        yield patches
    finally:
        patches.undo()


def one_pass(bot: MoodBot, messages: Sequence[Any], size: int) -> float:
    """Decides every message in calls of ``size``; returns the seconds it took."""
    started = time.perf_counter()
    for start in range(0, len(messages), size):
        bot.decide_many(messages[start : start + size])
    return time.perf_counter() - started


def profile_batch(
    bot: MoodBot, messages: Sequence[Any], size: int, passes: int, timer: StageTimer
) -> dict[str, Any]:
    """Plain and timed passes, alternating; medians per stage in microseconds per message."""
    one_pass(bot, messages, size)  # warm-up
    plain, timed, totals = [], [], []
    stages: dict[str, list[float]] = defaultdict(list)
    threads: dict[str, list[float]] = defaultdict(list)
    calls: Counter[str] = Counter()
    missing: list[str] = []
    count = len(messages)
    for index in range(passes):
        print(f"  batch {size}: pass {index + 1}/{passes}", file=sys.stderr, flush=True)
        plain.append(one_pass(bot, messages, size))
        timer.reset()
        with instrumented(timer, bot) as patches:
            wall = one_pass(bot, messages, size)
        missing = patches.missing
        timed.append(wall)
        totals.append(wall / count * 1e6)
        covered = sum(timer.main.values())
        for stage in STAGES:
            seconds = timer.main.get(stage, 0.0)
            if stage == "rest":
                seconds += max(0.0, wall - covered)  # around decide_many itself
            stages[stage].append(seconds / count * 1e6)
        for stage, seconds in timer.threads.items():
            threads[stage].append(seconds / count * 1e6)
        calls = timer.calls.copy()
    median_total = statistics.median(totals)
    rows = {
        stage: {
            "us_per_message": round(statistics.median(values), 1),
            "share": round(statistics.median(values) / median_total, 4),
        }
        for stage, values in stages.items()
    }
    return {
        "batch": size,
        "messages": count,
        "passes": passes,
        "decisions_per_s": round(count / statistics.median(plain), 1),
        "decisions_per_s_low_high": [round(count / max(plain), 1), round(count / min(plain), 1)],
        "timed_decisions_per_s": round(count / statistics.median(timed), 1),
        "us_per_message": round(median_total, 1),
        "stages": rows,
        "run_threads_us_per_message": {
            stage: round(statistics.median(values), 1) for stage, values in threads.items()
        },
        "calls_per_message": {name: round(n / count, 2) for name, n in sorted(calls.items())},
        "markers_missing": missing,
        "markers_never_called": sorted(
            f"{m.rsplit('.', 1)[-1]}.{q}"
            for _, m, q in MARKERS
            if f"{m.rsplit('.', 1)[-1]}.{q}" not in calls
            and f"{m.rsplit('.', 1)[-1]}.{q}" not in missing
        ),
    }


def ort_profile(bot: MoodBot, texts: Sequence[str], warmup: int = 16) -> dict[str, Any]:
    """ONNX Runtime's profiler on the bot's graph: one message per run, one thread.

    Returns microseconds per message of ``model_run`` and of the kernels (operators), and
    the operator types' shares of the kernel time.
    """
    engine = bot.analyzer.engine
    bundle = engine.bundle
    settings = load_config(None).engine_settings().session  # the config the bot was built from
    encoder = bundle.encoder
    outputs = bundle.output_names()
    batches = [encoder.pad(encoder.tokenize([engine.model_text(t)])) for t in texts]
    warmup = min(warmup, len(batches) // 2)
    with tempfile.TemporaryDirectory(prefix="moodmoji-ort-profile-") as tmp:
        options = session_options(settings)
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(tmp) / "ort")
        session = ort.InferenceSession(
            str(bundle.path / MODEL_FILE),
            sess_options=options,
            providers=choose_providers(settings.providers),
            disabled_optimizers=list(settings.disabled_optimizers) or None,
        )
        for batch in batches[:warmup]:  # profiled too: their runs are left out below
            session.run(outputs, batch.arrays)
        binding = []
        for batch in batches:
            started = time.perf_counter()
            session.run(outputs, batch.arrays)
            binding.append(time.perf_counter() - started)
        events = json.loads(Path(session.end_profiling()).read_text(encoding="utf-8"))
    runs = [e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"]
    runs = runs[warmup:]
    start = runs[0]["ts"] if runs else 0
    kernels: dict[str, float] = defaultdict(float)
    for event in events:
        if (
            event.get("cat") == "Node"
            and event["ts"] >= start
            and event["name"].endswith("_kernel_time")
        ):
            kernels[event.get("args", {}).get("op_name", "?")] += event["dur"]
    count = len(runs) or 1
    kernel_total = sum(kernels.values())
    return {
        "messages": len(runs),
        "threads": settings.intra_op_threads,
        "python_run_us_per_message": round(statistics.fmean(binding) * 1e6, 1),
        "model_run_us_per_message": round(sum(r["dur"] for r in runs) / count, 1),
        "kernels_us_per_message": round(kernel_total / count, 1),
        "op_types": {
            op: round(us / kernel_total, 4)
            for op, us in sorted(kernels.items(), key=lambda item: -item[1])[:8]
        },
    }


def cprofile_pass(bot: MoodBot, messages: Sequence[Any], path: Path, top: int = 20) -> str:
    """One plain batch-64 pass under ``cProfile``; writes the stats and returns the top lines."""
    profiler = cProfile.Profile()
    profiler.enable()
    one_pass(bot, messages, 64)
    profiler.disable()
    profiler.dump_stats(str(path))
    stream = _Lines()
    stats = pstats.Stats(str(path), stream=stream)  # type: ignore[arg-type]
    stats.sort_stats("tottime").print_stats(top)
    return stream.text()


class _Lines:
    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def text(self) -> str:
        return "".join(self._parts)


def render(results: dict[str, Any]) -> str:
    """The table (Markdown) and the notes under it."""
    by_batch = {r["batch"]: r for r in results["batches"]}
    header = "| stage |" + "".join(f" batch {b}: µs/msg | share |" for b in by_batch)
    lines = [header, "|---|" + "---|---|" * len(by_batch)]
    for stage, label in STAGES.items():
        cells = "".join(
            f" {r['stages'][stage]['us_per_message']:,.0f} | {r['stages'][stage]['share']:.1%} |"
            for r in by_batch.values()
        )
        lines.append(f"| {label} |{cells}")
    lines.append(
        "| **one decision** |"
        + "".join(f" **{r['us_per_message']:,.0f}** | 100% |" for r in by_batch.values())
    )
    lines.append(
        "| decisions/s (plain passes) |"
        + "".join(f" {r['decisions_per_s']:,.1f}/s | |" for r in by_batch.values())
    )
    lines.append("")
    for r in by_batch.values():
        threads = ", ".join(
            f"{STAGES.get(stage, stage)} {us:,.0f}"
            for stage, us in r["run_threads_us_per_message"].items()
        )
        low, high = r["decisions_per_s_low_high"]
        lines.append(
            f"batch {r['batch']}: {r['decisions_per_s']:,.1f} decisions/s plain "
            f"(passes {low:,.1f}-{high:,.1f}), "
            f"{r['timed_decisions_per_s']:,.1f} timed; "
            f"on the run threads: {threads or 'nothing'} (µs per message, summed)"
        )
        if r["markers_missing"] or r["markers_never_called"]:
            lines.append(
                f"  {len(r['markers_missing'])} markers not in this code (JSON: markers_missing); "
                f"never called: {', '.join(r['markers_never_called']) or 'none'}"
            )
    ort_part = results.get("ort_profile")
    if ort_part:
        ranked = sorted(ort_part["op_types"].items(), key=lambda item: -item[1])
        ops = ", ".join(f"{op} {share:.0%}" for op, share in ranked)
        lines.append(
            f"ORT profiler, one message per run, {ort_part['threads']} thread: "
            f"session.run {ort_part['python_run_us_per_message']:,.0f} µs/msg, of which "
            f"model_run {ort_part['model_run_us_per_message']:,.0f}, kernels "
            f"{ort_part['kernels_us_per_message']:,.0f} ({ops})"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Profiles and prints."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--passes", type=int, help="timed passes per batch size (default 5)")
    parser.add_argument("--quick", action="store_true", help="3 passes")
    parser.add_argument("--limit", type=int, help="only the first N messages")
    parser.add_argument("--irc", type=Path, help="profile IRC logs instead (a folder of them)")
    parser.add_argument("--json", type=Path, help="also write the JSON line here")
    parser.add_argument("--cprofile", type=Path, help="also write a cProfile of batch 64 here")
    parser.add_argument("--no-ort-profile", action="store_true", help="skip ORT's profiler")
    args = parser.parse_args(argv)
    passes = args.passes or (3 if args.quick else 5)
    if args.irc is not None:
        from moodmoji.tools.bench.irc import interleave, read_logs

        stream = interleave(read_logs(args.irc))[: args.limit or 320]
        source = f"IRC logs in {args.irc}"
        texts = [m.text for m in stream]
        make = functools.partial(irc_incoming, stream)
    else:
        texts = [m.text for m in load_messages()][: args.limit]
        source = "the benchmark messages"
        make = functools.partial(incoming, texts)
    print(
        f"decision profile: {len(texts)} messages ({source}), {passes} passes, "
        f"{os.cpu_count()} CPUs",
        file=sys.stderr,
    )
    results: dict[str, Any] = {
        "messages": len(texts),
        "source": source,
        "passes": passes,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "onnxruntime": ort.__version__,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory(prefix="moodmoji-profile-") as tmp:
        bot = default_bot(None, Path(tmp))
        engine = bot.analyzer.engine
        results["row_wise"] = engine.bundle.row_wise
        results["parallel_runs"] = engine.parallel_runs
        messages = make()
        timer = StageTimer()
        results["batches"] = [profile_batch(bot, messages, size, passes, timer) for size in BATCHES]
        if not args.no_ort_profile:
            print("  ORT profiler", file=sys.stderr, flush=True)
            results["ort_profile"] = ort_profile(bot, texts)
        if args.cprofile:
            top = cprofile_pass(bot, messages, args.cprofile)
            print(top, file=sys.stderr)
        asyncio.run(bot.aclose())
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(render(results))
    line = json.dumps(results, sort_keys=True, ensure_ascii=False)
    if args.json:
        args.json.write_text(line + "\n", encoding="utf-8")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
