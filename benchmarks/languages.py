"""What a message in another language costs: latency of one decision and the bot's memory.

The bot as ``moodmoji`` builds it from the default config (the English default model, and the
multilingual bundle loaded on the first message in another language), deciding on messages
one at a time, as explicit requests (every head, suggestions ranked). Prints the median and
99th percentile per language group and the process's peak RSS after each phase, so that the
English-only figure and the cost of the second bundle are measured in the same run::

    python benchmarks/languages.py                      # the languages test split, 3 passes
    python benchmarks/languages.py --passes 5 --json out.json
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

from moodmoji.bot.config import default_config
from moodmoji.bot.core import MoodBot
from moodmoji.bot.messages import IncomingMessage, Platform
from moodmoji.inference.language import UNDETERMINED, detect

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    """The process's peak resident set so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(bot: MoodBot, texts: list[str], passes: int) -> list[float]:
    """Milliseconds of each decision, every text ``passes`` times."""
    out = []
    for _ in range(passes):
        for i, text in enumerate(texts):
            message = IncomingMessage(Platform.GENERIC, "bench", str(i), "user", text)
            started = time.perf_counter()
            bot.decide(message, explicit=True, suggest=True)
            out.append((time.perf_counter() - started) * 1000)
    return out


def figures(samples: list[float]) -> dict[str, float]:
    """Median and 99th percentile, in ms."""
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
    }


def main() -> int:
    """Runs the measurement and prints one JSON line last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=Path, default=ROOT / "data/response/languages/test.jsonl")
    parser.add_argument("--english", type=Path, default=ROOT / "data/response/dev.jsonl")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--limit", type=int, default=300, help="messages per group")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    other = [json.loads(line)["text"] for line in args.rows.read_text("utf-8").splitlines()]
    english = [json.loads(line)["text"] for line in args.english.read_text("utf-8").splitlines()]
    # English rows the router keeps on the default model (the English set holds a few
    # messages in other languages, which would load the multilingual bundle early)
    english = [t for t in english if detect(t).code in ("en", UNDETERMINED)]
    other, english = other[: args.limit], english[: args.limit]
    started = time.perf_counter()
    bot = MoodBot.from_config(default_config(), keep_state=False)
    start_s = time.perf_counter() - started
    timed(bot, english[:20], 1)  # warm-up
    in_english = figures(timed(bot, english, args.passes))
    rss_english = peak_rss_mb()
    started = time.perf_counter()
    timed(bot, other[:1], 1)  # loads the multilingual bundle and the language's replies
    first_other_s = time.perf_counter() - started
    timed(bot, other, 1)  # every language's replies embedded once
    in_others = figures(timed(bot, other, args.passes))
    rss_all = peak_rss_mb()
    print(
        f"English: p50 {in_english['p50_ms']} ms, p99 {in_english['p99_ms']} ms; "
        f"peak RSS {rss_english:.0f} MB",
        file=sys.stderr,
    )
    print(
        f"other languages: p50 {in_others['p50_ms']} ms, p99 {in_others['p99_ms']} ms; "
        f"peak RSS {rss_all:.0f} MB (first message in another language: {first_other_s:.1f} s)",
        file=sys.stderr,
    )
    result = {
        "start_s": round(start_s, 2),
        "english": in_english,
        "rss_mb_english_only": round(rss_english, 1),
        "first_other_language_s": round(first_other_s, 2),
        "other_languages": in_others,
        "rss_mb_with_multilingual": round(rss_all, 1),
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
