"""The settings store's workload on SQLite and on PostgreSQL: operations per second and p99.

The same store operations the bot performs run against both backends of
:func:`moodmoji.bot.store.open_store`, on the same data (400 chats, a tenth of them with their
own settings; 2,000 users, one in twenty opted out), one after another:

* **settings read**: ``chat_settings`` of one chat (a message's gate);
* **opt-out check**: ``opt_out`` of one chat and author (the other half of the gate);
* **batch gates (64)**: ``opt_outs_of`` and ``chat_settings_of`` of 64 messages, as the core
  reads a batch (one operation = one batch);
* **settings update**: ``update_chat`` (a ``/settings`` command);
* **mood count (sync)**: ``record_mood``, one write per call;
* **mood counts (bg, 64)**: ``count_moods`` of 64 messages, handed to the background writer,
  with the final ``flush`` inside the timed span (the rate is of counts written);
* **update claim**: ``claim_update`` of a new key (webhook dedupe, one per update);
* **mixed, N threads**: N threads sharing one store, each call drawn at random: 80% gate
  reads (settings and opt-out), 10% settings updates, 10% update claims.

PostgreSQL runs twice: as configured (``synchronous_commit=on``: every commit waits for its
WAL flush, like the fsync a durable write needs), and with ``synchronous_commit=off`` set in the
URL (commits return before the flush; a server crash may lose the last ones, as SQLite's
``synchronous=NORMAL`` may on a power cut).

SQLite is a file in a temporary folder (WAL, ``synchronous=NORMAL``, as the store opens it) and is
the baseline: every PostgreSQL figure is also given as a ratio to SQLite's of the same run.
PostgreSQL is the server at ``--url``, or else a throwaway server started from Debian's
``/usr/lib/postgresql/15/bin`` (see ``tests/postgres.py``) with fsync and synchronous commits
on, reached over TCP on 127.0.0.1, as a separate database host would be (minus the network).

It prints operations per second (median over the passes) and p99 latency in microseconds (over
every call of every pass) per operation and backend.

Run::

    python benchmarks/store_backends.py [--passes 5] [--ops 2000] [--threads 8] [--url URL] [--json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.store import Store, open_store

CHATS = 400
USERS = 2_000
BATCH = 64
MOODS = ("joy", "sadness", "anger", "fear", "surprise", "love", "neutral")
DEFAULTS = ChatSettings()
PLATFORM = "telegram"
OPERATIONS = (
    "settings read",
    "opt-out check",
    "batch gates (64)",
    "settings update",
    "mood count (sync)",
    "mood counts (bg, 64)",
    "update claim",
)
#: How many calls of one operation make one "operation" of the figures (count per call).
PER_CALL = {"mood counts (bg, 64)": BATCH}


def seed(store: Store) -> None:
    """The data every run reads: chats with settings, opted-out users and chats, mood counts."""
    rng = random.Random(1)
    for chat in range(0, CHATS, 10):
        store.update_chat(PLATFORM, f"c{chat}", reaction_threshold=0.9, max_suggestions=2)
    for user in range(0, USERS, 20):
        store.set_opt_out(PLATFORM, "user", f"u{user}", True)
    for chat in range(0, CHATS, 50):
        store.set_opt_out(PLATFORM, "chat", f"c{chat}", True)
    day = datetime.date(2026, 1, 1)
    for chat in range(0, CHATS, 4):
        store.record_mood(PLATFORM, f"c{chat}", rng.choice(MOODS), day=day, count=3)


def operations(store: Store, rng: random.Random) -> dict[str, Callable[[], object]]:
    """One call of each operation, with its own random chat, user or key each time."""
    claims = iter(range(10**12))
    run = rng.randrange(10**9)

    def chat() -> str:
        return f"c{rng.randrange(CHATS)}"

    def user() -> str:
        return f"u{rng.randrange(USERS)}"

    def gates() -> object:
        chats = [chat() for _ in range(BATCH)]
        store.opt_outs_of(PLATFORM, chats, [user() for _ in range(BATCH)])
        return store.chat_settings_of(PLATFORM, chats, DEFAULTS)

    return {
        "settings read": lambda: store.chat_settings(PLATFORM, chat(), DEFAULTS),
        "opt-out check": lambda: store.opt_out(PLATFORM, chat(), user()),
        "batch gates (64)": gates,
        "settings update": lambda: store.update_chat(
            PLATFORM, chat(), chat_cooldown_s=float(rng.randrange(1, 100))
        ),
        "mood count (sync)": lambda: store.record_mood(PLATFORM, chat(), rng.choice(MOODS)),
        "mood counts (bg, 64)": lambda: store.count_moods(
            [(PLATFORM, chat(), rng.choice(MOODS)) for _ in range(BATCH)]
        ),
        "update claim": lambda: store.claim_update(PLATFORM, f"{run}:{next(claims)}"),
    }


def timed(call: Callable[[], object], count: int) -> tuple[float, list[int]]:
    """Seconds for ``count`` calls in a row, and each call's nanoseconds."""
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        before = time.perf_counter_ns()
        call()
        latencies.append(time.perf_counter_ns() - before)
    return time.perf_counter() - started, latencies


def one_pass(store: Store, ops: int, rng: random.Random) -> dict[str, tuple[float, list[int]]]:
    """Every operation ``ops`` times (batch operations a tenth as often)."""
    out = {}
    for name, call in operations(store, rng).items():
        count = max(1, ops // 10) if "64" in name else ops
        seconds, latencies = timed(call, count)
        if name == "mood counts (bg, 64)":
            started = time.perf_counter()
            store.flush(60)
            seconds += time.perf_counter() - started
        out[name] = (seconds, latencies)
    return out


def mixed(store: Store, threads: int, ops: int, seed_: int) -> tuple[float, list[int]]:
    """``threads`` threads sharing ``store``, ``ops`` calls each; seconds and latencies."""
    latencies: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        rng = random.Random(seed_ * 1000 + n)
        calls = operations(store, rng)
        mine = []
        try:
            start.wait()
            for _ in range(ops):
                draw = rng.random()
                if draw < 0.4:
                    call = calls["settings read"]
                elif draw < 0.8:
                    call = calls["opt-out check"]
                elif draw < 0.9:
                    call = calls["settings update"]
                else:
                    call = calls["update claim"]
                before = time.perf_counter_ns()
                call()
                mine.append(time.perf_counter_ns() - before)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return seconds, latencies


def measure(store: Store, *, passes: int, ops: int, threads: int) -> dict[str, dict[str, float]]:
    """Operations per second (median of the passes) and p99 (µs) of every operation."""
    rates: dict[str, list[float]] = {}
    latencies: dict[str, list[int]] = {}
    mixed_name = f"mixed, {threads} threads"
    for n in range(passes):
        rng = random.Random(n)
        for name, (seconds, times) in one_pass(store, ops, rng).items():
            rates.setdefault(name, []).append(len(times) * PER_CALL.get(name, 1) / seconds)
            latencies.setdefault(name, []).extend(times)
        seconds, times = mixed(store, threads, max(1, ops // threads), n)
        rates.setdefault(mixed_name, []).append(len(times) / seconds)
        latencies.setdefault(mixed_name, []).extend(times)
    return {
        name: {
            "per_second": statistics.median(rates[name]),
            "p50_us": percentile(latencies[name], 50) / 1000,
            "p99_us": percentile(latencies[name], 99) / 1000,
        }
        for name in rates
    }


def percentile(values: Sequence[int], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return float(ordered[rank])


@contextmanager
def postgres_url(url: str | None) -> Iterator[str]:
    """``url``, or the URL of a throwaway durable server started for this run."""
    if url:
        yield url
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.postgres import PostgresServer, find_bin_dir

    bin_dir, reason = find_bin_dir()
    if bin_dir is None:
        raise SystemExit(f"no PostgreSQL to measure: {reason} (or pass --url)")
    server = PostgresServer(bin_dir, durable=True)
    try:
        server.start()
        yield server.create_database("bench")
    finally:
        server.remove()


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Both backends, SQLite first; the figures as one dict."""
    figures: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="moodmoji-store-bench-") as tmp,
        postgres_url(args.url) as url,
    ):
        backends = {
            "sqlite": str(Path(tmp) / "bench.sqlite3"),
            "postgresql": url,
            "postgresql_async_commit": url
            + ("&" if "?" in url else "?")
            + "options=-c%20synchronous_commit%3Doff",
        }
        for backend, location in backends.items():
            with open_store(location, pool_size=args.threads + 2) as store:
                seed(store)
                measure(store, passes=1, ops=max(1, args.ops // 10), threads=args.threads)
                figures[backend] = measure(
                    store, passes=args.passes, ops=args.ops, threads=args.threads
                )
    for backend in ("postgresql", "postgresql_async_commit"):
        figures[f"ratio_{backend}_to_sqlite"] = {
            name: figures[backend][name]["per_second"] / figures["sqlite"][name]["per_second"]
            for name in figures["sqlite"]
        }
    figures |= {
        "passes": args.passes,
        "ops": args.ops,
        "threads": args.threads,
        "python": platform.python_version(),
        "postgresql_url_given": bool(args.url),
    }
    return figures


def report(figures: dict[str, Any]) -> list[str]:
    """The figures as a table."""
    lines = [
        f"settings store workload: {figures['passes']} passes of {figures['ops']} calls "
        f"per operation (batch ones a tenth); medians of the passes, p99 of every call",
        "",
        f"{'':<24}{'SQLite':>16}{'PostgreSQL':>28}{'PG, async commit':>28}",
        f"{'operation':<24}{'op/s':>8}{'p99 µs':>8}"
        + f"{'op/s':>9}{'p99 µs':>9}{'/ SQLite':>10}" * 2,
    ]
    for name in figures["sqlite"]:
        row = f"{name:<24}"
        for backend in ("sqlite", "postgresql", "postgresql_async_commit"):
            measured = figures[backend][name]
            row += f"{measured['per_second']:>{8 if backend == 'sqlite' else 9},.0f}"
            row += f"{measured['p99_us']:>{8 if backend == 'sqlite' else 9},.0f}"
            if backend != "sqlite":
                row += f"{figures[f'ratio_{backend}_to_sqlite'][name]:>9.2f}x"
        lines.append(row)
    lines += [
        "",
        "op/s of 'mood counts (bg, 64)' counts counts written, the final flush included.",
        "SQLite commits without fsync (WAL, synchronous=NORMAL); PostgreSQL with it, unless",
        "synchronous_commit=off (async commit: a server crash may lose the last commits).",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the benchmark; prints the table, or one JSON object with ``--json``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=5, help="timed passes (default 5)")
    parser.add_argument("--ops", type=int, default=2000, help="calls per operation (default 2000)")
    parser.add_argument("--threads", type=int, default=8, help="mixed threads (default 8)")
    parser.add_argument("--url", default=None, help="a PostgreSQL URL (default: a throwaway one)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    figures = run(args)
    if args.json:
        print(json.dumps(figures))
    else:
        print("\n".join(report(figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
