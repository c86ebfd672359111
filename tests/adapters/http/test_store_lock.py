"""The HTTP API while another process holds the settings store's write lock (audit finding 1)."""

from __future__ import annotations

import time
from pathlib import Path

from moodmoji.bot.store import SettingsStore
from tests.adapters.http.conftest import Serve
from tests.bot.test_store_faults import held_by_another_process
from tests.conftest import BotFactory

NO_STALL_S = 0.5  # the stall was 5 to 15 s; the write budget is 2 s


def test_analyses_go_on_writes_answer_503_and_readiness_says_why(
    serve: Serve, make_bot: BotFactory, tmp_path: Path
) -> None:
    db = tmp_path / "store.sqlite3"
    store = SettingsStore.open(db, write_timeout=1.0)
    running = serve(make_bot(store=store))
    client = running.client
    client.post("/v1/analyze", json={"text": "warm up"})
    with held_by_another_process(db):
        started = time.perf_counter()
        write = client.put("/v1/chats/generic/room/settings", json={"reaction_threshold": 0.7})
        took = time.perf_counter() - started
        assert write.status_code == 503 and write.json()["code"] == "store_busy"
        assert write.headers["content-type"] == "application/problem+json"
        assert write.json()["type"] == "/problems/store_busy"
        assert write.json()["title"] == "Settings store busy"
        assert write.json()["instance"] == "/v1/chats/generic/room/settings"
        assert int(write.headers["Retry-After"]) >= 1
        assert took < 1.0 + NO_STALL_S, f"the write hung for {took:.1f} s"
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["store"].startswith("busy")
        for body in (
            {"text": "We won the final!!"},
            {"text": "We won the final!!", "chat_id": "room", "explicit": False},
        ):
            started = time.perf_counter()
            answer = client.post("/v1/analyze", json=body)
            took = time.perf_counter() - started
            assert answer.status_code == 200 and answer.json()["reactions"]
            assert took < NO_STALL_S, f"an analysis waited {took:.2f} s on the lock"
    assert client.get("/readyz").status_code == 200  # the lock is gone: ready again
    assert (
        client.put("/v1/chats/generic/room/settings", json={"reaction_threshold": 0.7}).status_code
        == 200
    )
    assert store.mood_counts("generic", "room")  # the count waited for the lock, then landed
