"""Engine latency on a bundle: single-message and batched, medians over repeats.

Prints a table and one JSON line. The baseline measured in the same run is tokenization alone
(hygiene + ``tokenizers``), so the ratio says how much of a call ORT costs. ``analyze_single``
is the whole analysis of one message (one engine run, mood fusion, topical matching against the
emoji vocabulary, reaction ranking).

Usage: ``python benchmarks/engine_latency.py --model DIR [--repeats N] [--threads T]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from moodmoji.inference.analyzer import Analyzer
from moodmoji.inference.engine import Engine
from moodmoji.inference.hygiene import clean_text
from moodmoji.inference.settings import EngineSettings, SessionSettings

MESSAGES = [
    "so happy today, we won the game!",
    "my grandmother passed away last night",
    "the meeting moved to 3pm",
    "lol that's hilarious 😂😂",
    "can't believe they cancelled the show again, so annoying",
    "pizza night with the team 🍕",
    "I'm scared about the exam tomorrow",
    "thanks so much for the help, you're the best",
]


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    """Runs ``fn`` ``repeats`` times after a warm-up; returns milliseconds per call."""
    for _ in range(5):
        fn()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    """The q-th percentile of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def main() -> None:
    """Measures and prints."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=500)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    settings = EngineSettings(session=SessionSettings(intra_op_threads=args.threads))
    engine = Engine.from_path(args.model, settings)
    encoder = engine.bundle.encoder
    analyzer = Analyzer.from_engine(engine)
    batch32 = (MESSAGES * 4)[:32]

    def tokenize_one() -> object:
        return encoder.encode([clean_text(MESSAGES[0])])

    results = {
        "tokenize_single_ms": timed(tokenize_one, args.repeats),
        "single_ms": timed(lambda: engine.predict([MESSAGES[0]]), args.repeats),
        "analyze_single_ms": timed(lambda: analyzer.analyze([MESSAGES[0]]), args.repeats),
        "batch32_ms": timed(lambda: engine.predict(batch32), max(20, args.repeats // 10)),
    }
    summary: dict[str, float | str] = {"model": engine.manifest.name}
    for name, values in results.items():
        summary[f"{name}_p50"] = round(statistics.median(values), 4)
        summary[f"{name}_p99"] = round(pct(values, 99), 4)
    summary["batch32_msgs_per_s"] = round(32 / (summary["batch32_ms_p50"] / 1000), 1)  # type: ignore[operator]
    summary["single_vs_tokenize_ratio"] = round(
        summary["single_ms_p50"] / summary["tokenize_single_ms_p50"],
        2,  # type: ignore[operator]
    )
    for name in results:
        print(f"{name:22s} p50 {summary[f'{name}_p50']:>9} ms   p99 {summary[f'{name}_p99']:>9} ms")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
