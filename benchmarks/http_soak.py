"""A soak of the HTTP API on loopback: many mixed requests, an engine slowed part of the time.

Starts the real server (uvicorn, the default model, a SQLite settings store in a temporary
directory) in a child process on a free loopback port. The child wraps the bot's analyzer so
that this harness can slow every model run down; the switch is the child's stdin (``slow MS``
lines), never the HTTP API. Then the soak sends ``--requests`` requests (default 20,000) with
``--concurrency`` (64) in flight: ``POST /v1/analyze`` (80 %, a quarter of them "flowing past" a
chat, which the store counts) and ``POST /v1/analyze/batch`` with 2..16 messages (20 %). Texts
come from ``tools/bench/data/bench_messages.jsonl``, with 5 % odd ones (empty, blank, emoji
only, 4,000 characters, zalgo, right-to-left). Every ``--slow-every`` seconds, from the first
request on, the engine is slowed for ``--slow-for`` seconds (``--slow-ms`` more per model run).
A warm-up (``--warmup`` requests, largest inputs included) comes first, outside the figures.

Checks (exit status 0 only when every one holds):

* every request was answered (no client error, no timeout) with 200 or the designed 503
  (``overloaded``, with ``Retry-After``); a 503 is counted, never retried, and the worker that
  got it waits ``Retry-After`` seconds before its next request (``--no-backoff``: at once);
* every 200 holds a decision per message sent;
* the server's resident memory (``VmRSS`` of the child, sampled every ``--sample-every``
  seconds) grew by at most ``--rss-limit-mib`` from the start of the soak to its end;
* ``GET /metrics`` agrees with the client: requests by route and status, messages refused
  (``moodmoji_overloaded_total``), and nothing left in the queue;
* the server logged no error and stopped cleanly (status 0) on SIGTERM.

With the default ``inference.max_queue`` (1024) the client cannot overflow the queue: at most
``concurrency`` x 16 messages are ever in flight, so 503s need ``--max-queue`` below that.

Prints a table, then one JSON line. Usage::

    python benchmarks/http_soak.py [--quick] [--requests N] [--concurrency N] [--max-queue N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

BENCH_MESSAGES = (
    Path(__file__).resolve().parents[1] / "tools" / "bench" / "data" / "bench_messages.jsonl"
)
SINGLE, BATCH = "/v1/analyze", "/v1/analyze/batch"
ROUTES = (SINGLE, BATCH)

ODD_TEXTS = (
    "",
    "   \n\t  ",
    "😂😂😂🔥🔥🔥💀",
    "🏳️‍🌈👨‍👩‍👧‍👦🇯🇵",
    ("so tired of this week, nothing works and everyone is late again " * 70)[:4000],
    "".join(ch + "\u0301\u0316\u0327\u0350\u0360\u0489" * 6 for ch in "help me zalgo is here"),
    "مرحبا بالجميع، صباح الخير 👋",
    "日本語のテキストも大丈夫? ok!!",
)
"""Odd texts the API must answer like any other (the longest is ``http.max_text_chars``)."""

PLATFORMS = ("generic", "generic", "telegram", "discord")
CHATS, AUTHORS = 32, 200
"""Messages flowing past chats use a bounded set of chat and author ids (bounded state)."""


# ---------------------------------------------------------------------------- the server side


class SlowSwitch:
    """The bot's real analyzer, with every model run delayed while a slowdown is set.

    Lives in the server process of the soak only. :meth:`follow` reads ``slow MS`` lines (``slow
    0`` ends the slowdown) from a stream, so that only the process that started the server can
    slow it.

    Args:
        inner: The analyzer that does the work.

    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.delay_s = 0.0
        self.runs = 0
        self.slowed_runs = 0

    def analyze(self, texts: Sequence[str]) -> Any:
        """Runs the model on ``texts``, after the delay of the moment."""
        delay = self.delay_s
        self.runs += 1
        if delay > 0:
            self.slowed_runs += 1
            time.sleep(delay)
        return self.inner.analyze(texts)

    def follow(self, commands: TextIO) -> None:
        """Applies ``slow MS`` commands until the stream ends."""
        for line in commands:
            word, _, value = line.strip().partition(" ")
            if word == "slow":
                self.delay_s = max(0.0, float(value)) / 1000

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def serve_child(config_path: Path) -> int:
    """The server process: the app of ``moodmoji serve`` around a slowable analyzer.

    Prints ``port N`` once listening, and a JSON line with its model run counts after a
    graceful stop (SIGTERM).
    """
    from moodmoji.adapters.http.app import create_app
    from moodmoji.adapters.http.info import http_section
    from moodmoji.adapters.http.server import Server, server_config
    from moodmoji.adapters.http.settings import HttpSettings
    from moodmoji.bot.config import load_config
    from moodmoji.bot.core import MoodBot
    from moodmoji.tools.logging_setup import configure_logging

    config = load_config(config_path)
    configure_logging(config.logging.level or "INFO", config.logging.format)
    bot = MoodBot.from_config(config)
    switch = SlowSwitch(bot.analyzer)
    bot.analyzer = switch  # type: ignore[assignment]  # the core runs its model through it
    settings = HttpSettings.from_config(http_section(config), {})  # no token: loopback only
    app = create_app(bot, settings)
    threading.Thread(target=switch.follow, args=(sys.stdin,), daemon=True).start()

    def started(port: int) -> None:
        print(f"port {port}", flush=True)

    server = Server(
        server_config(app, settings.host, settings.port, max_connections=settings.max_connections),
        on_started=started,
        receive_timeout_s=settings.receive_timeout_s,
    )
    server.run()
    print(json.dumps({"model_runs": switch.runs, "slowed_runs": switch.slowed_runs}), flush=True)
    return 0 if server.started else 1


class SoakServer:
    """The server under test, in a child process of its own.

    Args:
        workdir: Where its config, settings store and log go.
        max_queue: ``inference.max_queue``; ``None`` keeps the default.

    """

    def __init__(self, workdir: Path, max_queue: int | None = None) -> None:
        self.workdir = workdir
        self.log_path = workdir / "server.log"
        config = workdir / "config.yaml"
        inference = f"inference:\n  max_queue: {max_queue}\n" if max_queue is not None else ""
        config.write_text(
            "http:\n  host: 127.0.0.1\n  port: 0\nstore:\n  path: soak.sqlite3\n"
            f"logging:\n  level: WARNING\n  format: json\n{inference}",
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if k != "MOODMOJI_HTTP_TOKEN"}
        self._log = self.log_path.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve-child", str(config)],
            cwd=workdir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=env,
        )
        self.url = ""
        self.exit_line: dict[str, Any] = {}

    def start(self, timeout: float = 300.0) -> str:
        """Waits until the server listens; returns its base URL (no trailing slash)."""
        assert self.proc.stdout is not None
        watchdog = threading.Timer(timeout, self.proc.kill)
        watchdog.start()
        try:
            line = self.proc.stdout.readline()
        finally:
            watchdog.cancel()
        if not line.startswith("port "):
            self.stop()
            raise RuntimeError(f"the server did not start; its log:\n{self.log_tail()}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"
        return self.url

    def slow(self, ms: float) -> None:
        """Delays every model run by ``ms`` milliseconds from now on (0 = full speed)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"slow {ms}\n")
        self.proc.stdin.flush()

    def memory_kib(self) -> tuple[int, int]:
        """The server's resident set now and its peak (``VmRSS``, ``VmHWM``), in KiB."""
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0])
        return fields["VmRSS"], fields["VmHWM"]

    def stop(self, timeout: float = 60.0) -> int | None:
        """Sends SIGTERM and waits; returns the exit status (``None`` if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            self._log.close()
            return None
        self._log.close()
        for line in (out or "").splitlines():
            if line.startswith("{"):
                self.exit_line = json.loads(line)
        return self.proc.returncode

    def log_records(self) -> list[dict[str, Any]]:
        """The server's JSON log records (lines that are not JSON are kept as ``raw``)."""
        records = []
        for line in self.log_path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                records.append({"level": "RAW", "message": line})
        return records

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's log."""
        return "\n".join(self.log_path.read_text(encoding="utf-8").splitlines()[-lines:])


# ---------------------------------------------------------------------------- the client side


@dataclass(frozen=True)
class Options:
    """What one soak does (the command-line flags)."""

    requests: int = 20_000
    concurrency: int = 64
    batch_share: float = 0.2
    odd_share: float = 0.05
    max_queue: int | None = None
    slow_every_s: float = 10.0
    slow_for_s: float = 3.0
    slow_ms: float = 200.0
    drain_s: float = 1.0
    warmup: int = 300
    sample_every_s: float = 2.0
    timeout_s: float = 60.0
    backoff: bool = True
    rss_limit_mib: float = 64.0
    seed: int = 8
    messages: Path = BENCH_MESSAGES


@dataclass(frozen=True)
class Planned:
    """One request to send: its route, its JSON body, and how many messages it carries."""

    path: str
    body: bytes
    messages: int


def load_texts(path: Path) -> list[str]:
    """The texts of a JSONL message file (one ``{"text": ..., "kind": ...}`` a line)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [str(json.loads(line)["text"]) for line in lines if line.strip()]


def plan(options: Options, texts: Sequence[str], count: int, rng: random.Random) -> list[Planned]:
    """``count`` requests: singles and batches of 2..16, some texts odd, some flowing past."""

    def text() -> str:
        return rng.choice(ODD_TEXTS) if rng.random() < options.odd_share else rng.choice(texts)

    def item(n: int) -> dict[str, Any]:
        out: dict[str, Any] = {"text": text(), "platform": rng.choice(PLATFORMS)}
        if rng.random() < 0.25:  # a message flowing past a chat: pacing, mood counts (store)
            out |= {
                "explicit": False,
                "chat_id": f"soak-chat-{rng.randrange(CHATS)}",
                "author_id": f"soak-user-{rng.randrange(AUTHORS)}",
                "message_id": str(n),
            }
        return out

    requests = []
    for n in range(count):
        if rng.random() < options.batch_share:
            size = rng.randint(2, 16)
            body = {"messages": [item(n * 16 + j) for j in range(size)]}
            requests.append(Planned(BATCH, json.dumps(body).encode(), size))
        else:
            requests.append(Planned(SINGLE, json.dumps(item(n * 16)).encode(), 1))
    return requests


@dataclass
class Tally:
    """What the client saw during one phase."""

    started: float = field(default_factory=time.perf_counter)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: {r: [] for r in ROUTES})
    refusals_at: list[float] = field(default_factory=list)
    refused_messages: int = 0
    messages: int = 0
    """Messages decided (in 200 answers)."""

    @property
    def answered(self) -> int:
        """Requests that got a complete HTTP response."""
        return sum(self.statuses.values())

    def by_status(self) -> dict[int, int]:
        """Answers by status code."""
        out: Counter[int] = Counter()
        for (_, status), n in self.statuses.items():
            out[status] += n
        return dict(sorted(out.items()))


def judge(request: Planned, status: int, headers: Any, body: bytes) -> str | None:
    """What is wrong with the answer to ``request``, in words, or ``None`` when it is right."""
    if status == 200:
        data = json.loads(body)
        if request.path == BATCH:
            results = data.get("results")
            if not isinstance(results, list) or len(results) != request.messages:
                return "200 without one decision per message"
            return None
        return None if "reactions" in data and "mood" in data else "200 without a decision"
    if status == 503:
        retry = headers.get("Retry-After", "")
        code = json.loads(body).get("code")
        if not retry.isdigit() or int(retry) < 1:
            return "503 without Retry-After"
        return None if code == "overloaded" else f"503 {code}"
    return f"status {status}"


async def send_all(
    session: aiohttp.ClientSession,
    requests: Sequence[Planned],
    concurrency: int,
    tally: Tally,
    backoff: bool = True,
) -> None:
    """Sends every request, ``concurrency`` at a time, and counts what comes back.

    A request answered 503 is not sent again; with ``backoff``, the worker that got it waits
    the seconds of its ``Retry-After`` before sending its next request, as a polite client does.
    """
    queue = iter(requests)

    async def worker() -> None:
        for request in queue:
            started = time.perf_counter()
            try:
                async with session.post(
                    request.path, data=request.body, headers={"Content-Type": "application/json"}
                ) as response:
                    body = await response.read()
                    status, headers = response.status, response.headers
            except (aiohttp.ClientError, TimeoutError) as exc:
                tally.problems[f"no answer: {type(exc).__name__}"] += 1
                continue
            done = time.perf_counter()
            tally.statuses[request.path, status] += 1
            tally.messages += request.messages if status == 200 else 0
            tally.latencies[request.path].append(done - started)
            try:
                problem = judge(request, status, headers, body)
            except (ValueError, AttributeError):
                problem = f"status {status} with a body that is not the API's JSON"
            if problem is not None:
                tally.problems[problem] += 1
            if status == 503:
                tally.refusals_at.append(done - tally.started)
                tally.refused_messages += request.messages
                retry = headers.get("Retry-After", "")
                if backoff and retry.isdigit():
                    await asyncio.sleep(int(retry))

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def slow_windows(
    server: SoakServer, options: Options, started: float, windows: list[list[float]]
) -> None:
    """Slows the engine for ``slow_for_s`` out of every ``slow_every_s``, until cancelled."""
    try:
        while True:
            server.slow(options.slow_ms)
            windows.append([time.perf_counter() - started, -1.0])
            await asyncio.sleep(options.slow_for_s)
            server.slow(0)
            windows[-1][1] = time.perf_counter() - started
            await asyncio.sleep(options.slow_every_s - options.slow_for_s)
    finally:
        if windows and windows[-1][1] < 0:
            server.slow(0)
            windows[-1][1] = time.perf_counter() - started


async def sample_memory(
    server: SoakServer, every: float, started: float, samples: list[tuple[float, int, int]]
) -> None:
    """Records ``(seconds, VmRSS KiB, VmHWM KiB)`` every ``every`` seconds, until cancelled."""
    while True:
        samples.append((time.perf_counter() - started, *server.memory_kib()))
        await asyncio.sleep(every)


@dataclass(frozen=True)
class Scrape:
    """What ``GET /metrics`` says about the analysis routes."""

    statuses: dict[tuple[str, int], int]
    overloaded: int
    queue_depth: int


def parse_metrics(text: str) -> Scrape:
    """The request counts, refused messages and queue depth of a ``/metrics`` page."""
    statuses: dict[tuple[str, int], int] = {}
    overloaded = depth = 0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "moodmoji_http_requests_total":
                route = sample.labels["route"]
                if route in ROUTES and sample.labels["method"] == "POST":
                    statuses[route, int(sample.labels["status"])] = int(sample.value)
            elif sample.name == "moodmoji_overloaded_total":
                overloaded = int(sample.value)
            elif sample.name == "moodmoji_queue_depth":
                depth = int(sample.value)
    return Scrape(statuses, overloaded, depth)


@dataclass
class Report:
    """The figures of one soak and the checks they pass or fail."""

    options: Options
    texts: int
    warm: Tally
    soak: Tally
    wall_s: float
    windows: list[list[float]]
    samples: list[tuple[float, int, int]]
    scrape: Scrape
    server_exit: int | None
    server_errors: list[str]
    server_runs: dict[str, Any]

    def refusals_in_windows(self) -> int:
        """503s answered inside a slow window or within ``drain_s`` after it."""
        drain = self.options.drain_s
        return sum(
            any(start <= t < end + drain for start, end in self.windows)
            for t in self.soak.refusals_at
        )

    def rss_mib(self) -> dict[str, float]:
        """Start, end, min, max, peak (VmHWM) and slopes of the sampled resident memory."""
        times = [t for t, _, _ in self.samples]
        rss = [kib / 1024 for _, kib, _ in self.samples]
        half = len(rss) // 2
        return {
            "start": rss[0],
            "end": rss[-1],
            "min": min(rss),
            "max": max(rss),
            "peak_hwm": self.samples[-1][2] / 1024,
            "growth": rss[-1] - rss[0],
            "slope_per_min": _slope(times, rss) * 60,
            "slope_second_half_per_min": _slope(times[half:], rss[half:]) * 60,
            "samples": len(rss),
        }

    def latency_ms(self, routes: Sequence[str] = ROUTES) -> dict[str, float]:
        """p50, p99 and max latency of the soak's requests on ``routes``, in ms."""
        values = sorted(v * 1000 for r in routes for v in self.soak.latencies[r])
        if len(values) < 2:
            return {"p50": values[0] if values else 0.0, "p99": 0.0, "max": 0.0}
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        return {"p50": cuts[49], "p99": cuts[98], "max": values[-1]}

    def failures(self) -> list[str]:
        """Every check that failed, in words (empty when the soak passed)."""
        out = []
        for tally, phase in ((self.warm, "warm-up"), (self.soak, "soak")):
            planned = self.options.warmup if phase == "warm-up" else self.options.requests
            if tally.answered != planned:
                out.append(f"{phase}: {tally.answered} of {planned} requests answered")
            out += [f"{phase}: {n} x {what}" for what, n in sorted(tally.problems.items())]
        client = self.warm.statuses + self.soak.statuses
        if dict(client) != self.scrape.statuses:
            out.append(f"/metrics counts {self.scrape.statuses}, the client {dict(client)}")
        refused = self.warm.refused_messages + self.soak.refused_messages
        if self.scrape.overloaded != refused:
            out.append(f"/metrics refused {self.scrape.overloaded} messages, the client {refused}")
        if self.scrape.queue_depth != 0:
            out.append(f"{self.scrape.queue_depth} messages left in the queue")
        growth = self.rss_mib()["growth"]
        if growth > self.options.rss_limit_mib:
            out.append(f"RSS grew {growth:.1f} MiB (limit {self.options.rss_limit_mib})")
        if self.server_errors:
            first = self.server_errors[0][:200]
            out.append(f"the server logged {len(self.server_errors)} error(s), first: {first}")
        if self.server_exit != 0:
            out.append(f"the server stopped with status {self.server_exit}")
        return out

    def summary(self) -> dict[str, Any]:
        """The figures as one JSON-ready mapping."""
        statuses = self.soak.by_status()
        soak = self.soak
        return {
            "benchmark": "http_soak",
            "cores": os.cpu_count(),
            "requests": self.options.requests,
            "concurrency": self.options.concurrency,
            "max_queue": self.options.max_queue or "default",
            "texts": f"{self.texts} from {self.options.messages.name}",
            "backoff": self.options.backoff,
            "answered": soak.answered,
            "messages": soak.messages,
            "statuses": {str(k): v for k, v in statuses.items()},
            "by_route": {f"{r} {s}": n for (r, s), n in sorted(soak.statuses.items())},
            "problems": dict(soak.problems),
            "warmup_requests": self.warm.answered,
            "slow_windows": len(self.windows),
            "slow": f"{self.options.slow_ms:g} ms per model run for {self.options.slow_for_s:g} s "
            f"of every {self.options.slow_every_s:g} s",
            "model_runs": self.server_runs,
            "refused_in_slow_windows": self.refusals_in_windows(),
            "refused_outside": len(soak.refusals_at) - self.refusals_in_windows(),
            "refused_messages": soak.refused_messages,
            "wall_s": round(self.wall_s, 2),
            "requests_per_s": round(soak.answered / self.wall_s, 1),
            "messages_per_s": round(soak.messages / self.wall_s, 1),
            "latency_ms": {k: round(v, 1) for k, v in self.latency_ms().items()},
            "latency_single_ms": {k: round(v, 1) for k, v in self.latency_ms([SINGLE]).items()},
            "latency_batch_ms": {k: round(v, 1) for k, v in self.latency_ms([BATCH]).items()},
            "rss_mib": {k: round(v, 2) for k, v in self.rss_mib().items()},
            "metrics_agree": not any(f.startswith("/metrics") for f in self.failures()),
            "server_exit": self.server_exit,
            "failures": self.failures(),
            "passed": not self.failures(),
        }


def _slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of ``ys`` over ``xs`` (0 with fewer than two distinct ``xs``)."""
    if len(set(xs)) < 2:
        return 0.0
    return statistics.linear_regression(xs, ys).slope


async def drive(server: SoakServer, options: Options) -> Report:
    """The warm-up, then the soak with its slow windows and memory samples, then /metrics."""
    texts = load_texts(options.messages)
    rng = random.Random(options.seed)
    warm_plan = plan(replace(options, odd_share=0.2), texts, options.warmup, rng)
    soak_plan = plan(options, texts, options.requests, rng)
    limits = aiohttp.TCPConnector(limit=options.concurrency)
    timeout = aiohttp.ClientTimeout(total=options.timeout_s)
    async with aiohttp.ClientSession(server.url, connector=limits, timeout=timeout) as session:
        warm = Tally()
        await send_all(session, warm_plan, options.concurrency, warm, options.backoff)

        soak = Tally()
        windows: list[list[float]] = []
        samples: list[tuple[float, int, int]] = []
        background = [
            asyncio.create_task(
                sample_memory(server, options.sample_every_s, soak.started, samples)
            )
        ]
        if options.slow_for_s > 0:
            background.append(
                asyncio.create_task(slow_windows(server, options, soak.started, windows))
            )
        await send_all(session, soak_plan, options.concurrency, soak, options.backoff)
        wall = time.perf_counter() - soak.started
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        samples.append((wall, *server.memory_kib()))

        expected = dict(warm.statuses + soak.statuses)
        for _ in range(10):  # a request is counted just after its answer went out
            async with session.get("/metrics") as response:
                scrape = parse_metrics(await response.text())
            if scrape.statuses == expected:
                break
            await asyncio.sleep(0.2)
    return Report(options, len(texts), warm, soak, wall, windows, samples, scrape, None, [], {})


def run_soak(options: Options) -> Report:
    """Starts the server, soaks it, stops it; the report holds every figure and check."""
    with tempfile.TemporaryDirectory(prefix="moodmoji-soak-") as tmp:
        server = SoakServer(Path(tmp), options.max_queue)
        try:
            server.start()
            report = asyncio.run(drive(server, options))
        finally:
            exit_status = server.stop()
        report.server_exit = exit_status
        report.server_runs = server.exit_line
        report.server_errors = [
            str(r.get("message", ""))
            for r in server.log_records()
            if r.get("level") in ("ERROR", "CRITICAL", "RAW")
        ]
    return report


def print_table(report: Report) -> None:
    """The figures, one per line, for people."""
    s = report.summary()
    rss, lat = s["rss_mib"], s["latency_ms"]
    one, many = s["latency_single_ms"], s["latency_batch_ms"]
    runs = s["model_runs"]
    rows = [
        ("requests answered", f"{s['answered']} of {s['requests']}"),
        ("messages decided", f"{s['messages']} ({s['refused_messages']} refused with 503)"),
        ("concurrency / max_queue", f"{s['concurrency']} / {s['max_queue']}"),
        ("texts", f"{s['texts']}, {report.options.odd_share:.0%} odd"),
        ("after a 503", "wait Retry-After" if s["backoff"] else "next request at once"),
        ("statuses", ", ".join(f"{k}: {v}" for k, v in s["statuses"].items())),
        ("by route", ", ".join(f"{k}: {v}" for k, v in s["by_route"].items())),
        ("slow windows", f"{s['slow_windows']} ({s['slow']})"),
        ("model runs (slowed)", f"{runs.get('model_runs', '?')} ({runs.get('slowed_runs', '?')})"),
        (
            "503 in / outside slow",
            f"{s['refused_in_slow_windows']} / {s['refused_outside']} "
            f"(up to {report.options.drain_s:g} s after a window counts as in)",
        ),
        ("wall time", f"{s['wall_s']} s"),
        ("throughput", f"{s['requests_per_s']} req/s, {s['messages_per_s']} msg/s"),
        ("latency", f"p50 {lat['p50']:.1f} ms, p99 {lat['p99']:.1f} ms, max {lat['max']:.1f} ms"),
        ("latency single", f"p50 {one['p50']:.1f} ms, p99 {one['p99']:.1f} ms"),
        ("latency batch", f"p50 {many['p50']:.1f} ms, p99 {many['p99']:.1f} ms"),
        (
            "server RSS (MiB)",
            f"start {rss['start']:.1f}, end {rss['end']:.1f}, min {rss['min']:.1f}, "
            f"max {rss['max']:.1f}, peak VmHWM {rss['peak_hwm']:.1f}",
        ),
        (
            "RSS trend",
            f"{rss['growth']:+.1f} MiB; {rss['slope_per_min']:+.2f} MiB/min "
            f"({rss['slope_second_half_per_min']:+.2f} in the second half), "
            f"{rss['samples']} samples",
        ),
        ("/metrics agrees", "yes" if s["metrics_agree"] else "NO"),
        ("server exit status", str(s["server_exit"])),
        ("result", "PASS" if s["passed"] else "FAIL: " + "; ".join(s["failures"])),
    ]
    print(f"HTTP soak on loopback, {os.cpu_count()} cores shared by client and server")
    for label, value in rows:
        print(f"  {label:<26}{value}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    defaults = Options()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="2,000 requests at concurrency 32")
    p.add_argument("--requests", type=int, help=f"default {defaults.requests}")
    p.add_argument("--concurrency", type=int, help=f"default {defaults.concurrency}")
    p.add_argument("--max-queue", type=int, help="inference.max_queue (default: the config's)")
    p.add_argument("--slow-every", type=float, default=defaults.slow_every_s, help="seconds")
    p.add_argument("--slow-for", type=float, default=defaults.slow_for_s, help="seconds (0: never)")
    p.add_argument("--slow-ms", type=float, default=defaults.slow_ms, help="delay per model run")
    p.add_argument("--warmup", type=int, default=defaults.warmup, help="requests before the soak")
    p.add_argument("--sample-every", type=float, default=defaults.sample_every_s, help="seconds")
    p.add_argument("--rss-limit-mib", type=float, default=defaults.rss_limit_mib)
    p.add_argument(
        "--no-backoff", action="store_true", help="after a 503, send the next request at once"
    )
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--messages", type=Path, default=defaults.messages, help="a JSONL of texts")
    p.add_argument("--serve-child", type=Path, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Soaks, prints the table and the JSON line; 0 when every check passed."""
    args = parse_args(argv)
    if args.serve_child is not None:
        return serve_child(args.serve_child)
    quick = (2_000, 32) if args.quick else (Options.requests, Options.concurrency)
    options = Options(
        requests=args.requests or quick[0],
        concurrency=args.concurrency or quick[1],
        max_queue=args.max_queue,
        slow_every_s=args.slow_every,
        slow_for_s=min(args.slow_for, args.slow_every),
        slow_ms=args.slow_ms,
        warmup=args.warmup,
        sample_every_s=args.sample_every,
        rss_limit_mib=args.rss_limit_mib,
        seed=args.seed,
        messages=args.messages,
        backoff=not args.no_backoff,
    )
    report = run_soak(options)
    print_table(report)
    print(json.dumps(report.summary()))
    return 0 if not report.failures() else 1


if __name__ == "__main__":
    sys.exit(main())
