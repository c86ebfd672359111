"""One stack of ``moodmoji bench``, measured in a process of its own.

Each stack runs in a fresh interpreter so that none inherits another's threads, memory or
warm caches (PyTorch's thread pool in particular), and so that peak RSS is that stack's alone.
The process prints one line ``BENCH-RESULT {json}`` on stdout; progress goes to stderr.

Usage (``moodmoji bench`` runs these)::

    python -m moodmoji.tools.bench.worker default|pytorch|ort-int8|cold|irc [--quick]
        [--cache DIR] [--config FILE] [--limit N] [--irc DIR]
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before the heavy imports: cold start counts them

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

if TYPE_CHECKING:
    from moodmoji.tools.bench.stats import Throughput

RESULT_PREFIX = "BENCH-RESULT "
STACKS = ("default", "pytorch", "ort-int8", "cold", "irc")
IRC_QUICK_MESSAGES = 1280
"""Messages of the IRC stream a ``--quick`` run decides (the interleaved stream's start)."""
PACING_RULES = frozenset({"chat-cooldown", "user-cooldown", "budget", "share"})
"""The rules of :mod:`bot.pacing` that hold a reaction back (the decision's ``why`` names them)."""

logger = logging.getLogger(__name__)


def _say(line: str) -> None:
    print(f"  {line}", file=sys.stderr, flush=True)


def default_bot(config_path: Path | None, store_dir: Path) -> Any:
    """The default pipeline as a deployed bot has it: config, default model, SQLite store."""
    from moodmoji.bot.config import load_config
    from moodmoji.bot.core import MoodBot

    config = load_config(config_path)
    # never the configured store (store.url may name a production database)
    store = config.store.model_copy(update={"path": store_dir / "bench.sqlite3", "url": None})
    return MoodBot.from_config(config.model_copy(update={"store": store}))


def incoming(texts: Sequence[str]) -> list[Any]:
    """The benchmark texts as messages of 16 chats by 40 authors, round robin."""
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


def irc_incoming(stream: Sequence[Any]) -> list[Any]:
    """IRC log messages (:class:`moodmoji.tools.bench.irc.IrcMessage`) as the bot receives them.

    Each log is a chat and each nick an author; the channel's bots are marked as bots.
    """
    from moodmoji.bot.messages import IncomingMessage, Platform

    return [
        IncomingMessage(
            platform=Platform.GENERIC,
            chat_id=m.chat,
            message_id=str(m.line),
            author_id=m.nick,
            text=m.text,
            author_is_bot=m.bot,
        )
        for m in stream
    ]


def measure_default(texts: Sequence[str], quick: bool, config_path: Path | None) -> dict[str, Any]:
    """Single-message latency, batched throughput and the micro-batcher, end to end."""
    from moodmoji.tools.bench.stats import peak_rss_mb, time_calls, time_passes

    passes = 3 if quick else 5
    with tempfile.TemporaryDirectory(prefix="moodmoji-bench-") as tmp:
        bot = default_bot(config_path, Path(tmp))
        messages = incoming(texts)
        _say("default pipeline: single messages")
        single = time_calls(bot.decide, messages * (1 if quick else 3))
        _say("default pipeline: batches of 8")
        batch8 = time_passes(lambda: _decide_in_batches(bot, messages, 8), passes)
        _say("default pipeline: batches of 64, alternating with the model alone")
        batch64, model64, ratio = _end_to_end_and_model(bot, messages, 64, passes)
        _say("default pipeline: micro-batcher, 64 concurrent callers")
        concurrent = asyncio.run(_concurrent(bot, messages, callers=64, passes=passes))
        return {
            "single": single.as_dict(),
            "batch8": batch8.as_dict(),
            "batch64": batch64.as_dict(),
            "model64": model64.as_dict(),
            "end_to_end_vs_model": ratio,
            "microbatch64": concurrent,
            "peak_rss_mb": peak_rss_mb(),
        }


def _decide_in_batches(bot: Any, messages: Sequence[Any], size: int) -> int:
    """Every message through ``decide_many`` in calls of ``size``; returns the count."""
    for start in range(0, len(messages), size):
        bot.decide_many(messages[start : start + size])
    return len(messages)


def _end_to_end_and_model(
    bot: Any, messages: Sequence[Any], size: int, passes: int
) -> tuple[Throughput, Throughput, float]:
    """Batched decisions against the model alone, pass by pass in alternating order.

    The model alone is the call the bot makes for a batch (``bot.analyzer.analyze``: language
    routing, tokenizer, ONNX Runtime and the analyses of the heads) on the same texts in the
    same batches. Alternating the two keeps them under the same load, and the ratio is the
    median of the per-pass ratios (end to end over model alone, in messages per second).

    Returns:
        The end-to-end throughput, the model-alone throughput and the ratio.
    """
    from moodmoji.tools.bench.stats import Throughput

    texts = [m.text for m in messages]

    def model() -> None:
        for start in range(0, len(texts), size):
            bot.analyzer.analyze(texts[start : start + size])

    def end_to_end() -> None:
        _decide_in_batches(bot, messages, size)

    def rate(run: Callable[[], None]) -> float:
        started = time.perf_counter()
        run()
        return len(texts) / (time.perf_counter() - started)

    end_to_end()  # warm-up: caches, run threads, the store's pages
    model()
    e2e_rates, model_rates, ratios = [], [], []
    for number in range(passes):
        if number % 2 == 0:
            e2e, alone = rate(end_to_end), rate(model)
        else:
            alone, e2e = rate(model), rate(end_to_end)
        e2e_rates.append(e2e)
        model_rates.append(alone)
        ratios.append(e2e / alone)
    return (
        Throughput.of(e2e_rates, len(texts)),
        Throughput.of(model_rates, len(texts)),
        round(statistics.median(ratios), 3),
    )


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
    throughput = Throughput.of(rates, len(messages))
    return {**throughput.as_dict(), "latency": Latency.of(latencies).as_dict()}


class _ReplayClock:
    """A clock set by hand: the pacer reads the log's time of the message being decided."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def measure_irc(
    directory: Path,
    texts: Sequence[str],
    quick: bool,
    config_path: Path | None,
    limit: int | None,
) -> dict[str, Any]:
    """The default pipeline on real chat logs (:mod:`moodmoji.tools.bench.irc`).

    Three parts, on one bot with its SQLite store (a quick run decides the first
    :data:`IRC_QUICK_MESSAGES` messages of the stream and times one pass of each kind):

    1. flowing past, one message at a time (``decide``) in the interleaved order, with the
       pacer on the logs' own clock: how often the bot reacts and suggests unasked, and the
       single-message latency;
    2. asked (``explicit=True``), in batches of 64: how often it reacts and suggests then;
    3. throughput: every message flowing past in batches of 64 (``decide_many``), as the HTTP
       API asks (suggestions as the chat's mode says) and as the Discord and Telegram adapters
       ask (``suggest=False``), alternating pass by pass with a pass over the benchmark
       messages (``texts``, as the default stack sends them), so that the two kinds of traffic
       are compared under the same load: ``vs_bench`` is the median of the rounds' ratios.
    """
    import statistics
    from collections import Counter

    from moodmoji.bot.pacing import Pacer
    from moodmoji.tools.bench.irc import interleave, read_logs
    from moodmoji.tools.bench.stats import Latency, Throughput, peak_rss_mb

    logs = read_logs(directory)
    stream = interleave(logs)[: limit or (IRC_QUICK_MESSAGES if quick else None)]
    messages = irc_incoming(stream)
    bench = incoming(texts)
    passes = 1 if quick else 3
    size = 64

    tally: Counter[str] = Counter()  # counted as decisions come: keeping them would cost RSS
    first: Counter[str] = Counter()

    def count(decision: Any, prefix: str) -> None:
        tally[f"{prefix}reacted"] += bool(decision.reactions)
        tally[f"{prefix}suggested"] += bool(decision.suggestions)
        if not prefix:
            tally["held"] += any(s.rule in PACING_RULES for s in decision.why.steps)
            if decision.reactions:
                first[decision.reactions[0].emoji] += 1

    def batches(
        prefix: str | None = None, traffic: Sequence[Any] = messages, **options: Any
    ) -> None:
        for start in range(0, len(traffic), size):
            decisions = bot.decide_many(traffic[start : start + size], **options)
            if prefix is not None:
                for decision in decisions:
                    count(decision, prefix)

    with tempfile.TemporaryDirectory(prefix="moodmoji-bench-") as tmp:
        bot = default_bot(config_path, Path(tmp))
        engine = bot.analyzer.engine
        tokens, cut = [], 0
        for start in range(0, len(stream), 256):  # in slices: all at once would swell peak RSS
            chunk = stream[start : start + 256]
            for encoded in engine.bundle.encoder.tokenize(
                [engine.model_text(m.text) for m in chunk]
            ):
                tokens.append(len(encoded.ids))
                cut += encoded.truncated
        tokens.sort()
        _say(f"irc: {len(messages)} messages of {len(logs)} chats flowing past, one at a time")
        clock = _ReplayClock()
        live = bot.pacer
        bot.pacer = Pacer(clock=clock)
        seconds = []
        for line, message in zip(stream, messages, strict=True):
            clock.now = line.seconds
            started = time.perf_counter()
            decision = bot.decide(message)
            seconds.append(time.perf_counter() - started)
            count(decision, "")
        bot.pacer = live
        _say(f"irc: asked about every message, batches of {size}")
        batches("asked_", explicit=True)
        rates: dict[str, list[float]] = {"mode": [], "react_only": [], "bench": []}
        variants: tuple[tuple[str, Sequence[Any], dict[str, Any]], ...] = (
            ("mode", messages, {}),
            ("react_only", messages, {"suggest": False}),
            ("bench", bench, {}),
        )
        batches(traffic=bench)  # warm-up of the benchmark messages
        for round_ in range(passes):
            for key, traffic, options in variants:
                _say(f"irc: flowing past in batches of {size} ({key}), pass {round_ + 1}/{passes}")
                started = time.perf_counter()
                batches(traffic=traffic, **options)
                rates[key].append(len(traffic) / (time.perf_counter() - started))
        rss = peak_rss_mb()

    def share(n: int) -> float:
        return round(n / len(messages), 4) if messages else 0.0

    def throughput(values: list[float], count: int) -> dict[str, Any]:
        return Throughput.of(values, count).as_dict()

    def paired(numerators: list[float], denominators: list[float]) -> float | None:
        """The median of the rounds' ratios (each round ran both under the same load)."""
        if not numerators or not denominators:
            return None
        ratios = [a / b for a, b in zip(numerators, denominators, strict=True)]
        return round(statistics.median(ratios), 2)

    return {
        "chats": len(logs),
        "messages": len(messages),
        "bot_messages": sum(m.bot for m in stream),
        "skipped_lines": sum(log.skipped for log in logs),
        "addressed": share(sum(m.addressee is not None for m in stream)),
        "hours": round(max((m.seconds for m in stream), default=0.0) / 3600, 1),
        "tokens": {
            "median": tokens[len(tokens) // 2] if tokens else 0,
            "p90": tokens[int(0.9 * len(tokens))] if tokens else 0,
            "total": sum(tokens),
            "cut": cut,
        },
        "single": Latency.of(seconds).as_dict() if seconds else None,
        "batch64": throughput(rates["mode"], len(messages)) if messages else None,
        "batch64_react_only": throughput(rates["react_only"], len(messages)) if messages else None,
        "bench_batch64": throughput(rates["bench"], len(bench)) if bench else None,
        "vs_bench": paired(rates["mode"], rates["bench"]),
        "react_only_vs_mode": paired(rates["react_only"], rates["mode"]),
        "reaction_rate": share(tally["reacted"]),
        "reaction_rate_before_pacing": share(tally["reacted"] + tally["held"]),
        "asked_reaction_rate": share(tally["asked_reacted"]),
        "suggestion_rate": share(tally["suggested"]),
        "asked_suggestion_rate": share(tally["asked_suggested"]),
        "top_reactions": dict(first.most_common(5)),
        "peak_rss_mb": rss,
    }


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
        bot = default_bot(config_path, Path(tmp))
        built = time.perf_counter()
        bot.decide(incoming(["we won the final!! 🎉"])[0])
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
    parser.add_argument("--irc", type=Path, help="folder of IRC logs (the irc stack)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.stack == "cold":
        result = cold_start(args.config)
    elif args.stack == "irc":
        if args.irc is None:
            parser.error("the irc stack needs --irc DIR")
        from moodmoji.tools.bench.messages import load_messages

        texts = [m.text for m in load_messages()][: args.limit]
        result = measure_irc(args.irc, texts, args.quick, args.config, args.limit)
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
