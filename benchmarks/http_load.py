"""Load on the HTTP API over loopback: requests/s and latency at concurrency 1 and 32.

Starts ``moodmoji serve`` (default model, port 0, a throw-away store) as a subprocess, or uses
``--url`` of a server already running, then sends a fixed set of realistic chat messages with
an async client (httpx), in four scenarios:

* ``single``: ``POST /v1/analyze``, one message per request;
* ``batch16``: ``POST /v1/analyze/batch``, 16 messages per request;

each at concurrency 1 and 32 (that many requests in flight). Every scenario has a fixed number
of requests (bounded run time) after a warm-up, and is repeated ``--repeats`` times; the table
shows the median of the repeats. Client and server share the machine's cores, so the figures
are a floor for a server with cores of its own.

Prints a table, then one JSON line. Usage::

    python benchmarks/http_load.py [--quick] [--repeats N] [--url http://127.0.0.1:8080/]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

MESSAGES = [
    "We won the final!! What a game",
    "My grandmother passed away last night",
    "The meeting moved to 3pm",
    "lol that's hilarious 😂😂",
    "can't believe they cancelled the show again, so annoying",
    "pizza night with the team 🍕",
    "I'm so nervous about the interview tomorrow",
    "thanks so much for the help, you're the best",
    "Happy birthday Sam! Hope you have an amazing day 🎂",
    "Ugh, my train is delayed again",
    "I got the job!!! Starting next Monday",
    "Can you send me the report by tomorrow?",
    "My cat has been sick all week and I'm worried about her",
    "Want to grab coffee later?",
    "That's disgusting, who left the milk out for three days",
    "I love you all so much ❤️",
    "What?! No way, really?",
    "Just landed in Tokyo, the view is incredible",
    "ok",
    "I failed my driving test again, feeling pretty down",
    "Drinks on Friday to celebrate? 🍻",
    "Honestly this traffic is driving me crazy",
    "Good luck today, you'll do great!",
    "We're having a baby!!! 👶",
    "Does anyone know if the store is open on Sunday?",
    "I can't stop smiling today",
    "This update broke everything, again",
    "Miss you guys, wish you were here",
    "The vet says she's going to be fine!",
    "I'm scared of the storm tonight",
    "Finally finished my thesis 🎓",
    "Thanks for nothing, really",
]
BATCH = 16


@dataclass(frozen=True)
class Result:
    """One run of one scenario."""

    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def rps(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        """The q-th percentile of the latencies, in ms."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def run_scenario(
    client: httpx.AsyncClient, kind: str, concurrency: int, requests: int
) -> Result:
    """Sends ``requests`` requests with ``concurrency`` in flight; times each one."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(requests))

    def body(i: int) -> tuple[str, dict[str, object]]:
        if kind == "single":
            return "/v1/analyze", {"text": MESSAGES[i % len(MESSAGES)]}
        start = (i * BATCH) % len(MESSAGES)
        texts = [MESSAGES[(start + j) % len(MESSAGES)] for j in range(BATCH)]
        return "/v1/analyze/batch", {"messages": [{"text": t} for t in texts]}

    async def worker() -> None:
        nonlocal errors
        for i in counter:
            path, payload = body(i)
            started = time.perf_counter()
            response = await client.post(path, json=payload)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(requests, time.perf_counter() - started, latencies, errors)


@contextmanager
def serve() -> Iterator[str]:
    """``moodmoji serve`` on a free loopback port; yields its URL."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(
            "http:\n  port: 0\nstore:\n  path: state.sqlite3\nlogging:\n  level: WARNING\n",
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if k != "MOODMOJI_HTTP_TOKEN"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "moodmoji.tools.cli", "--config", str(config), "serve"],
            cwd=tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                match = re.search(r"serving on (http://\S+/)", line)
                if match:
                    yield match.group(1)
                    break
            else:
                raise RuntimeError("moodmoji serve did not start")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


async def measure(url: str, quick: bool, repeats: int) -> dict[str, dict[str, float]]:
    """Runs every scenario ``repeats`` times; medians per scenario."""
    counts = {
        ("single", 1): 300,
        ("single", 32): 1600,
        ("batch16", 1): 60,
        ("batch16", 32): 160,
    }
    if quick:
        counts = {key: max(16, n // 5) for key, n in counts.items()}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    out: dict[str, dict[str, float]] = {}
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        await run_scenario(client, "single", 4, 64)  # warm-up: connections, caches
        await run_scenario(client, "batch16", 4, 8)
        for (kind, concurrency), requests in counts.items():
            runs = [await run_scenario(client, kind, concurrency, requests) for _ in range(repeats)]
            per_request = BATCH if kind == "batch16" else 1
            name = f"{kind} c={concurrency}"
            out[name] = {
                "requests": requests,
                "rps": statistics.median(r.rps for r in runs),
                "messages_per_s": statistics.median(r.rps * per_request for r in runs),
                "p50_ms": statistics.median(r.pct(50) for r in runs),
                "p99_ms": statistics.median(r.pct(99) for r in runs),
                "errors": sum(r.errors for r in runs),
            }
    return out


def main() -> None:
    """Measures and prints."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start moodmoji serve)")
    parser.add_argument("--quick", action="store_true", help="a fifth of the requests")
    parser.add_argument("--repeats", type=int, default=3, help="runs per scenario (median)")
    args = parser.parse_args()

    if args.url:
        figures = asyncio.run(measure(args.url, args.quick, args.repeats))
    else:
        with serve() as url:
            figures = asyncio.run(measure(url, args.quick, args.repeats))

    print(f"HTTP API on loopback, {os.cpu_count()} cores shared by client and server")
    print(f"{'scenario':<16}{'req/s':>9}{'msg/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, f in figures.items():
        print(
            f"{name:<16}{f['rps']:>9.1f}{f['messages_per_s']:>9.1f}"
            f"{f['p50_ms']:>9.2f}{f['p99_ms']:>9.2f}{f['errors']:>8.0f}"
        )
    summary = {
        "benchmark": "http_load",
        "cores": os.cpu_count(),
        "repeats": args.repeats,
        "quick": args.quick,
        "scenarios": {name: {k: round(v, 2) for k, v in f.items()} for name, f in figures.items()},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
