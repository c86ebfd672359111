"""What the HTTP API does while another process holds the settings store's write lock.

A second process opens the store file and holds ``BEGIN EXCLUSIVE`` for ``--hold`` seconds (a
backup tool, a second bot instance mid-migration, an operator's ``sqlite3`` shell). Meanwhile
this script, against a real server of the default model on 127.0.0.1, measures:

* an explicit ``POST /v1/analyze`` (it reads the opt-outs and the chat's settings);
* a message flowing past (``explicit: false``), which also counts the chat's mood (a write);
* two settings writes (``PUT /v1/chats/.../settings``) sent at once: their status and time;
* ``GET /readyz`` while the lock is still held, after the writes answered.

Run::

    python benchmarks/store_lock_stall.py [--hold 8]

Analyze latencies are of 5 requests in a row (median and slowest), before the lock and while
it is held.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from moodmoji.adapters.http.app import create_app
from moodmoji.adapters.http.server import BackgroundServer
from moodmoji.adapters.http.settings import HttpSettings
from moodmoji.bot.config import load_config
from moodmoji.bot.core import MoodBot
from moodmoji.bot.store import SettingsStore

LOCKER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("COMMIT")
"""


def timed(client: httpx.Client, method: str, url: str, **kwargs: Any) -> tuple[int, float]:
    """Status and seconds of one request."""
    started = time.perf_counter()
    response = client.request(method, url, **kwargs)
    return response.status_code, time.perf_counter() - started


def analyze_times(client: httpx.Client, body: dict[str, Any]) -> tuple[str, set[int]]:
    """Median and slowest milliseconds of 5 analyze requests in a row, and the statuses seen."""
    results = [timed(client, "POST", "/v1/analyze", json=body) for _ in range(5)]
    times = [t * 1000 for _, t in results]
    return f"median {statistics.median(times):.0f} ms, slowest {max(times):.0f} ms", {
        s for s, _ in results
    }


def main() -> None:
    """Prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", type=float, default=8.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="moodmoji-stall-"))
    path = folder / "store.sqlite3"
    config = load_config(None)
    base = MoodBot.from_config(config, keep_state=False)
    bot = MoodBot(
        base.analyzer,
        base.suggester,
        base.policy,
        base.rules,
        base.defaults,
        store=SettingsStore.open(path),
    )
    explicit = {"text": "We won the final!!"}
    flowing = {"text": "We won the final!!", "chat_id": "room", "explicit": False}
    with BackgroundServer(create_app(bot, HttpSettings())) as server:
        client = httpx.Client(base_url=server.url, timeout=60)
        client.put("/v1/chats/generic/room/settings", json={"chat_cooldown_s": 0})
        before, _ = analyze_times(client, explicit)
        before_flowing, _ = analyze_times(client, flowing)
        locker = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(path), str(args.hold)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert locker.stdout is not None
        locker.stdout.readline()
        held_at = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            writes = [
                pool.submit(
                    timed,
                    client,
                    "PUT",
                    "/v1/chats/generic/room/settings",
                    json={"reaction_threshold": 0.7},
                )
                for _ in range(2)
            ]
            time.sleep(0.2)
            during, statuses = analyze_times(client, explicit)
            during_flowing, flowing_statuses = analyze_times(client, flowing)
            write_results = [w.result() for w in writes]
            ready = client.get("/readyz")
        locker.wait()
        print(f"lock held for {args.hold:.0f} s by another process (BEGIN EXCLUSIVE)")
        print(f"explicit analyze: {before} before; {during} while held {sorted(statuses)}")
        print(
            f"flowing message: {before_flowing} before; {during_flowing} while held "
            f"{sorted(flowing_statuses)}"
        )
        for number, (status, seconds) in enumerate(write_results, start=1):
            print(f"settings write {number}: {status} after {seconds:.2f} s")
        print(f"/readyz while held: {ready.status_code} {ready.text}")
        print(f"measured {time.perf_counter() - held_at:.1f} s after the lock was taken")
        client.close()


if __name__ == "__main__":
    main()
