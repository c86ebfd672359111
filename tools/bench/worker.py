"""One stack of ``moodmoji bench``, measured in a process of its own.

Each stack runs in a fresh interpreter so that none inherits another's threads, memory or
warm caches (PyTorch's thread pool in particular), and so that peak RSS is that stack's alone.
The process prints one line ``BENCH-RESULT {json}`` on stdout; progress goes to stderr.

Usage (``moodmoji bench`` runs these)::

    python -m moodmoji.tools.bench.worker default|pytorch|ort-int8|cold [--quick] [--cache DIR]
        [--config FILE] [--limit N]
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before the heavy imports: cold start counts them

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

RESULT_PREFIX = "BENCH-RESULT "
STACKS = ("default", "pytorch", "ort-int8", "cold")

logger = logging.getLogger(__name__)


def _say(line: str) -> None:
    print(f"  {line}", file=sys.stderr, flush=True)


def _default_bot(config_path: Path | None, store_dir: Path) -> Any:
    """The default pipeline as a deployed bot has it: config, default model, SQLite store."""
    from moodmoji.bot.config import load_config
    from moodmoji.bot.core import MoodBot

    config = load_config(config_path)
    store = config.store.model_copy(update={"path": store_dir / "bench.sqlite3"})
    return MoodBot.from_config(config.model_copy(update={"store": store}))


def _incoming(texts: Sequence[str]) -> list[Any]:
    from moodmoji.bot.messages import IncomingMessage, Platform

    return [
        IncomingMessage(
            platform=Platform.GENERIC,
            chat_id=f"chat-{i % 16}",
            message_id=str(i),
            author_id=f"user-{i % 40}",
            text=text,
        )
        for i, text in enumerate(texts)
    ]


def measure_default(texts: Sequence[str], quick: bool, config_path: Path | None) -> dict[str, Any]:
    """Single-message latency, batched throughput and the micro-batcher, end to end."""
    from moodmoji.tools.bench.stats import peak_rss_mb, time_calls, time_passes

    passes = 3 if quick else 5
    with tempfile.TemporaryDirectory(prefix="moodmoji-bench-") as tmp:
        bot = _default_bot(config_path, Path(tmp))
        messages = _incoming(texts)
        _say("default pipeline: single messages")
        single = time_calls(bot.decide, messages * (1 if quick else 3))
        batched = {}
        for size in (8, 64):
            _say(f"default pipeline: batches of {size}")

            def run(size: int = size) -> int:
                for start in range(0, len(messages), size):
                    bot.decide_many(messages[start : start + size])
                return len(messages)

            batched[size] = time_passes(run, passes)
        _say("default pipeline: micro-batcher, 64 concurrent callers")
        concurrent = asyncio.run(_concurrent(bot, messages, callers=64, passes=passes))
        return {
            "single": single.as_dict(),
            "batch8": batched[8].as_dict(),
            "batch64": batched[64].as_dict(),
            "microbatch64": concurrent,
            "peak_rss_mb": peak_rss_mb(),
        }


async def _concurrent(
    bot: Any, messages: Sequence[Any], callers: int, passes: int
) -> dict[str, Any]:
    """``callers`` tasks share the messages, each awaiting ``adecide`` one message at a time."""
    from moodmoji.tools.bench.stats import Latency, Throughput

    latencies: list[float] = []
    rates: list[float] = []

    async def caller(share: Sequence[Any]) -> None:
        for message in share:
            started = time.perf_counter()
            await bot.adecide(message)
            latencies.append(time.perf_counter() - started)

    for round_ in range(passes + 1):  # the first round warms up
        latencies.clear()
        started = time.perf_counter()
        await asyncio.gather(*(caller(messages[i::callers]) for i in range(callers)))
        if round_:
            rates.append(len(messages) / (time.perf_counter() - started))
    await bot.aclose()
    rates.sort()
    throughput = Throughput(
        messages_per_s=round(rates[len(rates) // 2], 1),
        low=round(rates[0], 1),
        high=round(rates[-1], 1),
        passes=passes,
        messages=len(messages),
    )
    return {**throughput.as_dict(), "latency": Latency.of(latencies).as_dict()}


def measure_stack(name: str, texts: Sequence[str], quick: bool, cache: Path) -> dict[str, Any]:
    """One reference stack: its five models one after another for each message."""
    from moodmoji.tools.bench.reference_models import ensure_reference_checkpoints
    from moodmoji.tools.bench.reference_stack import OrtInt8Stack, PyTorchStack
    from moodmoji.tools.bench.stats import peak_rss_mb, time_calls

    started = time.perf_counter()
    checkpoints = ensure_reference_checkpoints(cache / "checkpoints", progress=_say)
    paths = [c.path for c in checkpoints]
    stack: PyTorchStack | OrtInt8Stack
    if name == "pytorch":
        stack = PyTorchStack.from_checkpoints(paths)
    else:
        bundles = OrtInt8Stack.export_bundles(paths, cache / "bundles", progress=_say)
        stack = OrtInt8Stack.from_bundles([b.path for b in bundles])
    prepared = time.perf_counter() - started
    subset = list(texts[:48] if quick else texts)
    _say(f"{name} stack: {len(subset)} messages, five models each")
    with stack:
        latency = time_calls(stack.predict, subset, warmup=5)
        names = list(stack.names)
    return {
        "models": names,
        "single": latency.as_dict(),
        "messages_per_s": round(1000 / latency.mean_ms, 2),
        "peak_rss_mb": peak_rss_mb(),
        "prepare_s": round(prepared, 1),
    }


def cold_start(config_path: Path | None) -> dict[str, Any]:
    """Process start to the first decision of the default pipeline."""
    with tempfile.TemporaryDirectory(prefix="moodmoji-bench-") as tmp:
        bot = _default_bot(config_path, Path(tmp))
        built = time.perf_counter()
        bot.decide(_incoming(["we won the final!! 🎉"])[0])
        answered = time.perf_counter()
        return {
            "in_process_s": round(answered - STARTED, 3),
            "build_s": round(built - STARTED, 3),
        }


def main(argv: Sequence[str] | None = None) -> int:
    """Measures one stack and prints its result line."""
    parser = argparse.ArgumentParser(prog="python -m moodmoji.tools.bench.worker")
    parser.add_argument("stack", choices=STACKS)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "moodmoji")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--limit", type=int, help="only the first N messages")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.stack == "cold":
        result = cold_start(args.config)
    else:
        from moodmoji.tools.bench.messages import load_messages

        texts = [m.text for m in load_messages()][: args.limit]
        if args.stack == "default":
            result = measure_default(texts, args.quick, args.config)
        else:
            result = measure_stack(args.stack, texts, args.quick, args.cache)
    result["python"] = platform.python_version()
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
