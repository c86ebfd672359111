"""Tests of the settings store, on real SQLite files and a real PostgreSQL server (no mocks).

Tests that take ``site`` or ``store`` run once per backend (see ``tests/bot/conftest.py``);
the ones about files (WAL, permissions, damaged files, read-only media) are SQLite's own.
"""

from __future__ import annotations

import datetime
import json
import logging
import multiprocessing
import os
import random
import re
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from moodmoji.bot.chat_settings import ChatSettings, Mode
from moodmoji.bot.config import ConfigError, StoreSection, load_config
from moodmoji.bot.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    DeletionReport,
    OptOut,
    SettingsStore,
    Store,
    StoreError,
    open_store,
)
from moodmoji.bot.store.common import SqlStore
from moodmoji.bot.store.migrations import POSTGRES_MIGRATIONS
from moodmoji.bot.store.postgres import server_name
from tests.bot.conftest import StoreSite
from tests.postgres import PASSWORD

DAY = datetime.date(2024, 5, 17)
EMOJI = "<:party:123456789012345678>"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

# The version-1 schema exactly as the first release wrote it (kept here as a literal on purpose:
# the test must not follow later edits of MIGRATIONS).
V1_DDL = """
CREATE TABLE chat_settings (
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    overrides TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (platform, chat_id)
);
CREATE TABLE opt_outs (
    platform TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'chat')),
    subject_id TEXT NOT NULL,
    since TEXT NOT NULL,
    PRIMARY KEY (platform, kind, subject_id)
);
PRAGMA user_version = 1;
"""


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "moodmoji.sqlite3"


@pytest.fixture()
def store(site: StoreSite) -> Iterator[Store]:
    with site.open() as opened:
        yield opened


def fill(store: Store) -> None:
    """Some of everything, in two chats and on two platforms."""
    store.update_chat("telegram", -1001, mode="react", custom_emoji={"joy": EMOJI})
    store.update_chat("telegram", -1002, max_suggestions=1)
    store.update_chat("discord", "555", reaction_threshold=0.9)
    store.set_opt_out("telegram", "user", 42, True)
    store.set_opt_out("telegram", "user", 43, True)
    store.set_opt_out("telegram", "chat", -1001, True)
    store.set_opt_out("telegram", "chat", -1002, True)
    store.record_mood("telegram", -1001, "joy", day=DAY, count=3)
    store.record_mood("telegram", -1001, "sadness", day=DAY)
    store.record_mood("telegram", -1002, "joy", day=DAY)
    store.record_mood("discord", "555", "anger", day=DAY)


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to the file, closed afterwards."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


# --------------------------------------------------------------------------------------------
# Chat settings
# --------------------------------------------------------------------------------------------


def test_overrides_round_trip(store: Store) -> None:
    assert store.chat_overrides("telegram", 7) == {}
    new = store.update_chat("telegram", 7, mode=Mode.SUGGEST, budget_share=0.5)
    assert new == {"mode": "suggest", "budget_share": 0.5}
    new = store.update_chat("telegram", "7", custom_emoji={"joy": EMOJI})
    assert new == {"mode": "suggest", "budget_share": 0.5, "custom_emoji": {"joy": EMOJI}}
    assert store.chat_overrides("telegram", 7) == new
    assert store.chat_overrides("discord", 7) == {}


def test_settings_merged_over_defaults(store: Store) -> None:
    defaults = ChatSettings(mode=Mode.BOTH, max_suggestions=3, chat_cooldown_s=20.0)
    store.update_chat("discord", 1234567890123456789, mode="off", chat_cooldown_s=5)
    merged = store.chat_settings("discord", "1234567890123456789", defaults)
    assert merged.mode is Mode.OFF
    assert merged.chat_cooldown_s == 5
    assert merged.max_suggestions == 3
    assert store.chat_settings("discord", 1, defaults) == defaults


def test_none_removes_an_override(store: Store, site: StoreSite) -> None:
    store.update_chat("telegram", 7, mode="react", max_suggestions=2)
    assert store.update_chat("telegram", 7, mode=None) == {"max_suggestions": 2}
    assert store.update_chat("telegram", 7, max_suggestions=None, mode=None) == {}
    assert store.chat_overrides("telegram", 7) == {}
    assert site.counts()["chat_settings"] == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"mode": "shout"},
        {"max_suggestions": 4},
        {"reaction_threshold": 1.5},
        {"budget_window_s": 0},
        {"custom_emoji": {"joy": "🎉"}},
        {"no_such_setting": 1},
        {"mode": "react", "budget_share": float("nan")},
    ],
)
def test_invalid_value_raises_and_writes_nothing(store: Store, changes: dict[str, Any]) -> None:
    store.update_chat("telegram", 7, max_suggestions=2)
    with pytest.raises(ValueError):
        store.update_chat("telegram", 7, **changes)
    assert store.chat_overrides("telegram", 7) == {"max_suggestions": 2}


def test_stale_override_is_skipped_with_a_warning(
    store: Store, site: StoreSite, caplog: pytest.LogCaptureFixture
) -> None:
    stale = {"mode": "shout-loudly", "retired_setting": 1, "max_suggestions": 2}
    site.sql(
        "INSERT INTO chat_settings (platform, chat_id, overrides) VALUES (?, ?, ?)",
        ("telegram", "7", json.dumps(stale)),
    )
    with caplog.at_level(logging.WARNING, logger="moodmoji.bot.store"):
        settings = store.chat_settings("telegram", 7, ChatSettings())
    assert settings == ChatSettings(max_suggestions=2)
    text = caplog.text
    assert "mode" in text
    assert "retired_setting" in text
    assert "shout-loudly" not in text


def test_reset_chat(store: Store) -> None:
    store.update_chat("telegram", 7, mode="off")
    store.update_chat("telegram", 8, mode="off")
    store.reset_chat("telegram", 7)
    assert store.chat_overrides("telegram", 7) == {}
    assert store.chat_overrides("telegram", 8) == {"mode": "off"}
    store.reset_chat("telegram", 7)  # nothing to reset: no error


def test_update_with_no_changes_returns_current(store: Store) -> None:
    store.update_chat("telegram", 7, mode="off")
    assert store.update_chat("telegram", 7) == {"mode": "off"}


def test_empty_ids_are_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        store.update_chat("", 7, mode="off")
    with pytest.raises(ValueError):
        store.chat_overrides("telegram", "")
    with pytest.raises(ValueError):
        store.set_opt_out("telegram", "user", True, True)
    with pytest.raises(ValueError):
        store.set_opt_out("telegram", "server", 1, True)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Files, restarts, schema
# --------------------------------------------------------------------------------------------


def test_everything_survives_a_restart(site: StoreSite) -> None:
    with site.open() as first:
        fill(first)
        before_opt = first.opt_out("telegram", -1001, 42)
    if not site.is_postgres:
        wal = Path(f"{site.location}-wal")
        assert not wal.exists() or wal.stat().st_size == 0
    with site.open() as second:
        assert second.chat_overrides("telegram", -1001) == {
            "mode": "react",
            "custom_emoji": {"joy": EMOJI},
        }
        assert second.chat_overrides("discord", 555) == {"reaction_threshold": 0.9}
        assert second.opt_out("telegram", -1001, 42) == before_opt
        assert second.opt_out("telegram", None, 43) is not None
        assert second.mood_counts("telegram", -1001) == {DAY.isoformat(): {"joy": 3, "sadness": 1}}
        assert second.schema_version == SCHEMA_VERSION


def test_file_store_uses_wal(db: Path) -> None:
    with SettingsStore.open(db) as store:
        store.record_mood("telegram", 1, "joy")
        with raw(db) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.path == str(db)


def test_parent_directories_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c.db"
    with SettingsStore.open(str(path)) as store:
        assert store.schema_version == SCHEMA_VERSION
    assert path.is_file()


def test_a_new_store_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "private" / "store.sqlite3"
    with SettingsStore.open(path) as store:
        fill(store)  # the -wal and -shm files exist while the store is open
        modes = {
            p.name: stat.S_IMODE(p.stat().st_mode)
            for p in (path.parent, path, Path(f"{path}-wal"), Path(f"{path}-shm"))
        }
    assert modes == {
        "private": 0o700,
        "store.sqlite3": 0o600,
        "store.sqlite3-wal": 0o600,
        "store.sqlite3-shm": 0o600,
    }


def test_forget_me_leaves_nothing_readable_on_disk(tmp_path: Path) -> None:
    # no clean stop: what a crash right after the deletion would leave behind
    path = tmp_path / "store.sqlite3"
    store = SettingsStore.open(path)
    try:
        store.update_chat(
            "discord", "chat-xyzzy-4242", custom_emoji={"joy": "<:blobsecret:1234567890123456789>"}
        )
        store.record_mood("discord", "chat-xyzzy-4242", "joy")
        store.set_opt_out("discord", "user", "user-plugh-777", True)
        store.update_chat("discord", "kept-chat", mode="react")
        store.delete_chat("discord", "chat-xyzzy-4242")
        store.delete_user("discord", "user-plugh-777")
        files = sorted(p for p in tmp_path.iterdir() if p.name.startswith("store.sqlite3"))
        assert [p.name for p in files][:1] == ["store.sqlite3"]
        for file in files:
            data = file.read_bytes()
            for secret in (b"xyzzy", b"plugh", b"blobsecret"):
                assert secret not in data, (file.name, secret)
        assert Path(f"{path}-wal").stat().st_size == 0
        assert store.chat_overrides("discord", "kept-chat") == {"mode": "react"}
    finally:
        store.close()


def test_memory_store() -> None:
    with SettingsStore.open(":memory:") as store:
        assert store.path == ":memory:"
        assert store.schema_version == SCHEMA_VERSION
        fill(store)
        assert store.mood_counts("discord", 555) == {DAY.isoformat(): {"anger": 1}}


def test_fresh_store_is_at_the_current_version(site: StoreSite) -> None:
    assert len(MIGRATIONS) == len(POSTGRES_MIGRATIONS) == SCHEMA_VERSION == 3
    with site.open() as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.migrate() == SCHEMA_VERSION  # nothing left to do
    assert {"chat_settings", "opt_outs", "mood_counts", "update_claims"} <= set(site.columns())
    if site.is_postgres:
        assert site.sql("SELECT version FROM moodmoji_schema") == [(SCHEMA_VERSION,)]
    else:
        assert site.sql("PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_migration_from_version_1(db: Path) -> None:
    db.parent.mkdir(parents=True)
    with raw(db) as connection:
        connection.executescript(V1_DDL)
        connection.execute(
            "INSERT INTO chat_settings VALUES ('telegram', '-1001', ?)",
            (json.dumps({"mode": "react", "max_suggestions": 1}),),
        )
        connection.execute(
            "INSERT INTO opt_outs VALUES ('discord', 'user', '99', '2023-01-02T03:04:05+00:00')"
        )
    with SettingsStore.open(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.chat_overrides("telegram", -1001) == {"mode": "react", "max_suggestions": 1}
        assert store.opt_out("discord", 1, 99) == OptOut(
            kind="user", subject_id="99", since="2023-01-02T03:04:05+00:00"
        )
        store.record_mood("telegram", -1001, "joy", day=DAY, count=2)
        store.record_mood("telegram", -1001, "joy", day=DAY)
        assert store.mood_counts("telegram", -1001) == {DAY.isoformat(): {"joy": 3}}
        store.update_chat("telegram", -1001, mode="off")
    with raw(db) as connection:
        columns = {r[1] for r in connection.execute("PRAGMA table_info(chat_settings)")}
        assert "updated_at" in columns
        stamp = connection.execute("SELECT updated_at FROM chat_settings").fetchone()[0]
        assert datetime.datetime.fromisoformat(stamp).tzinfo is not None


def test_the_schema_has_no_room_for_message_text(store: Store, site: StoreSite) -> None:
    assert site.columns() == {
        "chat_settings": ["platform", "chat_id", "overrides", "updated_at"],
        "opt_outs": ["platform", "kind", "subject_id", "since"],
        "mood_counts": ["platform", "chat_id", "day", "mood", "count"],
        "update_claims": ["platform", "key", "claimed_at"],
    }


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_newer_file_is_refused_untouched(db: Path, journal: str) -> None:
    db.parent.mkdir(parents=True)
    connection = sqlite3.connect(db, isolation_level=None)
    connection.execute(f"PRAGMA journal_mode = {journal}")
    connection.execute("CREATE TABLE future (x)")
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    before = db.read_bytes()
    with pytest.raises(StoreError, match="newer") as caught:
        SettingsStore.open(db)
    assert caught.value.path == str(db)
    assert str(caught.value).startswith(f"{db}: ")
    assert db.read_bytes() == before


def test_postgres_migration_from_version_1(pg_site: StoreSite) -> None:
    pg_site.sql(
        "CREATE TABLE moodmoji_schema (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), "
        "version INTEGER NOT NULL)"
    )
    for statement in POSTGRES_MIGRATIONS[0].split(";"):
        if statement.strip():
            pg_site.sql(statement)
    pg_site.sql("INSERT INTO moodmoji_schema (version) VALUES (1)")
    pg_site.sql(
        "INSERT INTO chat_settings VALUES ('telegram', '-1001', ?)",
        (json.dumps({"mode": "react", "max_suggestions": 1}),),
    )
    pg_site.sql(
        "INSERT INTO opt_outs VALUES ('discord', 'user', '99', '2023-01-02T03:04:05+00:00')"
    )
    with pg_site.open() as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.chat_overrides("telegram", -1001) == {"mode": "react", "max_suggestions": 1}
        assert store.opt_out("discord", 1, 99) == OptOut(
            kind="user", subject_id="99", since="2023-01-02T03:04:05+00:00"
        )
        store.record_mood("telegram", -1001, "joy", day=DAY, count=2)
        assert store.mood_counts("telegram", -1001) == {DAY.isoformat(): {"joy": 2}}
        assert store.claim_update("telegram", "1")
    assert pg_site.sql("SELECT version FROM moodmoji_schema") == [(SCHEMA_VERSION,)]


def test_postgres_database_of_a_newer_version_is_refused_untouched(pg_site: StoreSite) -> None:
    pg_site.sql("CREATE TABLE moodmoji_schema (one BOOLEAN PRIMARY KEY, version INTEGER)")
    pg_site.sql("INSERT INTO moodmoji_schema VALUES (TRUE, 99)")
    pg_site.sql("CREATE TABLE future (x INTEGER)")
    before = pg_site.columns()
    with pytest.raises(StoreError, match="newer moodmoji") as caught:
        pg_site.open()
    assert caught.value.path == pg_site.name
    assert str(caught.value).startswith(f"{caught.value.path}: written by a newer moodmoji")
    assert pg_site.columns() == before  # no table created, none changed
    assert pg_site.sql("SELECT version FROM moodmoji_schema") == [(99,)]


def test_processes_opening_a_new_database_together_migrate_it_once(site: StoreSite) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        versions = pool.map(open_and_report_version, [site.location] * 2)
    assert versions == [SCHEMA_VERSION] * 2
    with site.open() as store:
        assert store.schema_version == SCHEMA_VERSION


def open_and_report_version(location: str) -> int:
    with open_store(location) as store:
        return store.schema_version


# --------------------------------------------------------------------------------------------
# Concurrency
# --------------------------------------------------------------------------------------------

CHAT = -100123
FIELDS = ("chat_cooldown_s", "user_cooldown_s", "budget_window_s")


def hammer(path: str, barrier: Any, field: str) -> None:
    """200 increments and some settings changes; run in separate processes (and the parent)."""
    with open_store(path) as store:
        barrier.wait(60)
        for i in range(200):
            store.record_mood("telegram", CHAT, "joy", day=DAY)
            if i % 20 == 0 or i == 199:
                store.update_chat("telegram", CHAT, **{field: float(i + 1)})


def test_two_processes_and_the_parent_write_at_once(site: StoreSite) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(3)
    with site.open() as store:
        workers = [
            context.Process(target=hammer, args=(site.location, barrier, field))
            for field in FIELDS[:2]
        ]
        for worker in workers:
            worker.start()
        try:
            hammer(site.location, barrier, FIELDS[2])
        finally:
            for worker in workers:
                worker.join(120)
        assert [worker.exitcode for worker in workers] == [0, 0]
        assert store.mood_counts("telegram", CHAT) == {DAY.isoformat(): {"joy": 600}}
        # Each writer changed its own field of one chat: no update was lost to another.
        assert store.chat_overrides("telegram", CHAT) == dict.fromkeys(FIELDS, 200.0)


def test_threads_share_one_store(store: Store) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work(n: int) -> None:
        try:
            start.wait(10)
            for i in range(100):
                store.record_mood("discord", "chan", "joy", day=DAY)
                store.record_mood("discord", "chan", "anger", day=DAY, count=2)
                if i % 10 == 0:
                    store.update_chat("discord", "chan", **{FIELDS[n % 3]: float(i + 1)})
                    store.opt_out("discord", "chan", n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert store.mood_counts("discord", "chan") == {DAY.isoformat(): {"anger": 800, "joy": 400}}
    assert set(store.chat_overrides("discord", "chan")) == set(FIELDS)


def test_a_held_lock_gives_busy_and_loses_nothing(site: StoreSite) -> None:
    with site.open(timeout=5 if site.is_postgres else 0.2, write_timeout=0.2) as store:
        store.record_mood("telegram", 1, "joy", day=DAY)
        with site.write_lock_held():
            with pytest.raises(StoreError, match="busy") as caught:
                store.record_mood("telegram", 1, "joy", day=DAY)
            assert not isinstance(caught.value, sqlite3.Error)
            assert caught.value.busy and caught.value.retryable
            assert caught.value.path == store.path
            with pytest.raises(StoreError, match="busy"):
                store.update_chat("telegram", 1, mode="off")
            with pytest.raises(StoreError, match="busy"):
                store.claim_update("telegram", "u1")
            assert store.chat_overrides("telegram", 1) == {}  # reads go on
        assert store.mood_counts("telegram", 1) == {DAY.isoformat(): {"joy": 1}}
        store.record_mood("telegram", 1, "joy", day=DAY)
        assert store.mood_counts("telegram", 1) == {DAY.isoformat(): {"joy": 2}}


# --------------------------------------------------------------------------------------------
# Deleting data
# --------------------------------------------------------------------------------------------


def counts(db: Path) -> dict[str, int]:
    with raw(db) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("chat_settings", "opt_outs", "mood_counts")
        }


def test_delete_user_removes_only_their_opt_out(store: Store, site: StoreSite) -> None:
    fill(store)
    store.set_opt_out("discord", "user", 42, True)
    report = store.delete_user("telegram", 42)
    assert report == DeletionReport(chats=0, opt_outs=1, mood_rows=0)
    assert report.total == 1
    assert store.opt_out("telegram", None, 42) is None
    assert store.opt_out("telegram", None, 43) is not None
    assert store.opt_out("discord", None, 42) is not None  # another platform's user
    assert store.opt_out("telegram", -1001, None) is not None  # the chat's own opt-out
    assert site.counts() == {"chat_settings": 3, "opt_outs": 4, "mood_counts": 4}
    assert store.delete_user("telegram", 42) == DeletionReport(0, 0, 0)


def test_delete_chat_removes_that_chat_only(store: Store, site: StoreSite) -> None:
    fill(store)
    report = store.delete_chat("telegram", -1001)
    assert report == DeletionReport(chats=1, opt_outs=1, mood_rows=2)
    assert report.total == 4
    assert store.chat_overrides("telegram", -1001) == {}
    assert store.opt_out("telegram", -1001, None) is None
    assert store.mood_counts("telegram", -1001) == {}
    assert store.chat_overrides("telegram", -1002) == {"max_suggestions": 1}
    assert store.opt_out("telegram", -1002, None) is not None
    assert store.mood_counts("telegram", -1002) == {DAY.isoformat(): {"joy": 1}}
    assert store.opt_out("telegram", None, 42) is not None  # users are not chats
    assert site.counts() == {"chat_settings": 2, "opt_outs": 3, "mood_counts": 2}
    assert store.delete_chat("telegram", -1001).total == 0


# --------------------------------------------------------------------------------------------
# Broken, read-only and missing files
# --------------------------------------------------------------------------------------------


def assert_refused_untouched(path: Path, match: str) -> None:
    before = path.read_bytes()
    siblings = sorted(p.name for p in path.parent.iterdir())
    with pytest.raises(StoreError, match=match) as caught:
        SettingsStore.open(path)
    assert caught.value.path == str(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert path.read_bytes() == before
    leftovers = sorted(p.name for p in path.parent.iterdir())
    assert set(leftovers) - set(siblings) <= {f"{path.name}-wal", f"{path.name}-shm"}


@pytest.mark.parametrize(
    "content",
    [
        random.Random(7).randbytes(8192),
        b"chat_id,mood\n1,joy\n",
        b"SQLite format 3\x00" + random.Random(8).randbytes(8176),
    ],
    ids=["random", "csv", "magic-then-random"],
)
def test_garbage_file_is_refused_untouched(db: Path, content: bytes) -> None:
    db.parent.mkdir(parents=True)
    db.write_bytes(content)
    assert_refused_untouched(db, "not a readable SQLite database")


@pytest.mark.parametrize("span", [(16, 2048), (100, 4096)], ids=["file-header", "schema-page"])
def test_store_with_a_damaged_header_page_is_refused_untouched(
    db: Path, span: tuple[int, int]
) -> None:
    with SettingsStore.open(db) as store:
        fill(store)
    data = bytearray(db.read_bytes())
    assert len(data) > span[1]
    start, end = span
    data[start:end] = random.Random(start).randbytes(end - start)
    db.write_bytes(bytes(data))
    assert_refused_untouched(db, "not a readable SQLite database")


def test_directory_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="directory"):
        SettingsStore.open(tmp_path)


def test_read_only_open_reads_and_refuses_writes(site: StoreSite) -> None:
    with site.open() as store:
        fill(store)
    with site.open(read_only=True) as store:
        assert store.chat_overrides("telegram", -1002) == {"max_suggestions": 1}
        assert store.opt_out("telegram", 5, 42) is not None
        writes: list[Callable[[], object]] = [
            lambda: store.update_chat("telegram", -1002, max_suggestions=3),
            lambda: store.reset_chat("telegram", -1002),
            lambda: store.set_opt_out("telegram", "user", 42, False),
            lambda: store.record_mood("telegram", -1001, "joy", day=DAY),
            lambda: store.delete_user("telegram", 42),
            lambda: store.delete_chat("telegram", -1001),
            lambda: store.claim_update("telegram", "u1"),
        ]
        for write in writes:
            with pytest.raises(StoreError, match="read-only") as caught:
                write()
            assert caught.value.path == store.path
        assert store.chat_overrides("telegram", -1002) == {"max_suggestions": 1}
        assert store.mood_counts("telegram", -1001) == {DAY.isoformat(): {"joy": 3, "sadness": 1}}
    with site.open() as store:
        assert store.chat_overrides("telegram", -1002) == {"max_suggestions": 1}
        assert store.opt_out("telegram", None, 42) is not None
        assert site.counts() == {"chat_settings": 3, "opt_outs": 4, "mood_counts": 4}


def test_postgres_read_only_open_of_an_outdated_database_is_refused(pg_site: StoreSite) -> None:
    with pytest.raises(StoreError, match="open it once with write access"):
        pg_site.open(read_only=True)
    assert pg_site.columns() == {}  # nothing was created


def test_read_only_open_of_a_missing_file(db: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        SettingsStore.open(db, read_only=True)
    assert not db.exists()


@pytest.mark.skipif(IS_ROOT, reason="root ignores file permissions")
def test_read_only_file_is_refused(db: Path) -> None:
    with SettingsStore.open(db) as store:
        fill(store)
    db.chmod(0o444)
    try:
        with pytest.raises(StoreError, match="read-only"):
            SettingsStore.open(db)
    finally:
        db.chmod(0o644)
    with SettingsStore.open(db) as store:
        assert store.chat_overrides("telegram", -1002) == {"max_suggestions": 1}


@pytest.mark.skipif(IS_ROOT, reason="root ignores file permissions")
def test_read_only_directory_is_refused(db: Path) -> None:
    with SettingsStore.open(db) as store:
        fill(store)
    directory = db.parent
    db.chmod(0o444)
    directory.chmod(0o555)
    try:
        with pytest.raises(StoreError, match="read-only"):
            SettingsStore.open(db)
    finally:
        directory.chmod(stat.S_IRWXU)
        db.chmod(0o644)
    with SettingsStore.open(db) as store:
        assert store.mood_counts("telegram", -1001) == {DAY.isoformat(): {"joy": 3, "sadness": 1}}


def test_closed_store_raises_store_error(site: StoreSite) -> None:
    store = site.open()
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        store.chat_overrides("telegram", 1)
    with pytest.raises(StoreError, match="closed"):
        store.claim_update("telegram", "1")
    with pytest.raises(StoreError, match="closed"):
        store.count_mood("telegram", 1, "joy")


def test_store_error_message() -> None:
    error = StoreError(Path("/x/y.db"), "busy: another process holds the database")
    assert error.path == "/x/y.db"
    assert error.problem.startswith("busy")
    assert str(error) == "/x/y.db: busy: another process holds the database"


# --------------------------------------------------------------------------------------------
# Opt-outs
# --------------------------------------------------------------------------------------------


def test_opt_out_precedence_and_opting_back_in(store: Store) -> None:
    assert store.opt_out("telegram", 1, 2) is None
    assert store.opt_out("telegram", None, None) is None

    store.set_opt_out("telegram", "user", 2, True)
    user = store.opt_out("telegram", 1, 2)
    assert user is not None
    assert (user.kind, user.subject_id) == ("user", "2")
    assert datetime.datetime.fromisoformat(user.since).utcoffset() == datetime.timedelta(0)
    assert store.opt_out("telegram", 999, "2") == user  # every chat of the platform
    assert store.opt_out("telegram", None, 2) == user
    assert store.opt_out("discord", 1, 2) is None  # not other platforms
    assert store.opt_out("telegram", 1, 3) is None  # not other users

    store.set_opt_out("telegram", "chat", 1, True)
    chat = store.opt_out("telegram", 1, 2)
    assert chat is not None
    assert (chat.kind, chat.subject_id) == ("chat", "1")  # the chat's opt-out wins
    assert store.opt_out("telegram", 1, 3) == chat
    assert store.opt_out("telegram", 1, None) == chat
    assert store.opt_out("telegram", None, 1) is None  # a chat id is not a user id

    store.set_opt_out("telegram", "user", 2, True)  # again: the original date stays
    assert store.opt_out("telegram", None, 2) == user

    store.set_opt_out("telegram", "chat", 1, False)
    assert store.opt_out("telegram", 1, 2) == user
    store.set_opt_out("telegram", "user", 2, False)
    assert store.opt_out("telegram", 1, 2) is None
    store.set_opt_out("telegram", "user", 2, False)  # opting in twice is fine


# --------------------------------------------------------------------------------------------
# Mood counts
# --------------------------------------------------------------------------------------------


def test_mood_counts_order_and_since(store: Store) -> None:
    days = [DAY + datetime.timedelta(days=d) for d in (3, -2, 0, 1)]
    for n, day in enumerate(days):
        store.record_mood("telegram", 1, "joy", day=day, count=n + 1)
        store.record_mood("telegram", 1, "anger", day=day)
    store.record_mood("telegram", 2, "joy", day=DAY, count=50)
    counts_ = store.mood_counts("telegram", 1)
    assert list(counts_) == sorted(d.isoformat() for d in days)
    assert counts_[DAY.isoformat()] == {"anger": 1, "joy": 3}
    since = store.mood_counts("telegram", 1, since=DAY)
    assert list(since) == [DAY.isoformat(), "2024-05-18", "2024-05-20"]
    assert since["2024-05-20"] == {"anger": 1, "joy": 1}
    late = datetime.datetime(2024, 5, 19, 23, 59, tzinfo=datetime.UTC)
    assert list(store.mood_counts("telegram", 1, since=late)) == ["2024-05-20"]
    assert store.mood_counts("telegram", 1, since=DAY + datetime.timedelta(days=10)) == {}


def test_record_mood_defaults_to_today_utc(store: Store) -> None:
    before = datetime.datetime.now(datetime.UTC).date()
    store.record_mood("console", "local", "neutral")
    after = datetime.datetime.now(datetime.UTC).date()
    (day,) = store.mood_counts("console", "local")
    assert before.isoformat() <= day <= after.isoformat()


@pytest.mark.parametrize("mood", ["", "Joy", "joy!", "joy joy", "x" * 33, "émotion", "1"])
def test_invalid_mood_name(store: Store, mood: str) -> None:
    with pytest.raises(ValueError, match="mood"):
        store.record_mood("telegram", 1, mood, day=DAY)
    assert store.mood_counts("telegram", 1) == {}


@pytest.mark.parametrize("count", [0, -1, True, 1.5])
def test_invalid_count(store: Store, count: Any) -> None:
    with pytest.raises(ValueError, match="count"):
        store.record_mood("telegram", 1, "joy", day=DAY, count=count)


def test_valid_mood_names(store: Store) -> None:
    for mood in ("joy", "very_sad", "not-sure", "x" * 32):
        store.record_mood("telegram", 1, mood, day=DAY)
    assert len(store.mood_counts("telegram", 1)[DAY.isoformat()]) == 4


# --------------------------------------------------------------------------------------------
# A batch's reads and counts at once
# --------------------------------------------------------------------------------------------


def test_a_batch_reads_the_opt_outs_and_settings_that_one_message_reads(
    store: Store,
) -> None:
    fill(store)
    store.set_opt_out("discord", "user", "555", True)  # a user id equal to a chat id elsewhere
    defaults = ChatSettings(suggestion_threshold=0.4)
    chats = [-1001, -1002, "-1003", 555, "x"] + [f"c{n}" for n in range(1200)]  # > one IN list
    users = [42, "43", 44, "555"] + [f"u{n}" for n in range(1200)]
    for platform in ("telegram", "discord", "generic"):
        found = store.opt_outs_of(platform, chats, users)
        settings = store.chat_settings_of(platform, chats, defaults)
        assert set(settings) == {str(c) for c in chats}
        for chat in chats[:8]:
            assert settings[str(chat)] == store.chat_settings(platform, chat, defaults)
            for user in users[:8]:
                assert found.of(chat, user) == store.opt_out(platform, chat, user)
            assert found.of(chat, None) == store.opt_out(platform, chat, None)
        for user in users[:8]:
            assert found.of(None, user) == store.opt_out(platform, None, user)
    assert store.opt_outs_of("telegram", [], []).of(1, 2) is None
    assert store.chat_settings_of("telegram", [], defaults) == {}
    with pytest.raises(ValueError, match="chat_id"):
        store.chat_settings_of("telegram", [1, ""], defaults)
    with pytest.raises(ValueError, match="user_id"):
        store.opt_outs_of("telegram", [1], [""])


def test_a_batch_skips_a_stale_override_with_a_warning(
    store: Store, site: StoreSite, caplog: pytest.LogCaptureFixture
) -> None:
    site.sql(
        "INSERT INTO chat_settings (platform, chat_id, overrides) VALUES (?, ?, ?)",
        ("telegram", "7", json.dumps({"mode": "shout-loudly", "max_suggestions": 2})),
    )
    with caplog.at_level(logging.WARNING, logger="moodmoji.bot.store"):
        settings = store.chat_settings_of("telegram", [7, 8], ChatSettings())
    assert settings == {"7": ChatSettings(max_suggestions=2), "8": ChatSettings()}
    assert "mode" in caplog.text and "shout-loudly" not in caplog.text


def commits(store: SettingsStore) -> list[str]:
    """The COMMITs of the store's writing connection from now on."""
    seen: list[str] = []
    connection = store._connection
    assert connection is not None
    connection.set_trace_callback(lambda sql: seen.append(sql) if sql == "COMMIT" else None)
    return seen


def test_mood_counts_gather_in_memory_and_are_written_in_one_transaction(db: Path) -> None:
    with SettingsStore.open(db) as store:
        store._counts.interval = 60.0  # nothing is written before a flush
        written = commits(store)
        for n in range(500):
            store.count_mood("telegram", n % 7, ("joy", "anger")[n % 2])
        store.count_moods([("discord", "555", "fear")] * 20 + [("telegram", 1, "joy")])
        time.sleep(0.3)
        assert written == []  # still gathering
        with raw(db) as connection:
            assert connection.execute("SELECT count(*) FROM mood_counts").fetchone() == (0,)
        today = datetime.datetime.now(datetime.UTC).date().isoformat()
        assert store.mood_counts("discord", "555") == {today: {"fear": 20}}  # flushed first
        assert written == ["COMMIT"]  # 15 counters, one transaction
        assert store.mood_counts("telegram", 1) == {today: {"anger": 36, "joy": 37}}
        store.count_mood("telegram", 1, "joy")  # a clean stop writes what waits
    with SettingsStore.open(db) as store:
        assert store.mood_counts("telegram", 1) == {today: {"anger": 36, "joy": 38}}
        assert (
            sum(
                sum(day.values())
                for n in range(7)
                for day in store.mood_counts("telegram", n).values()
            )
            == 502
        )


def test_mood_counts_are_written_after_the_interval_without_a_flush(db: Path) -> None:
    with SettingsStore.open(db) as store:
        store._counts.interval = 0.2
        written = commits(store)
        store.count_moods([("telegram", 1, "joy"), ("telegram", 2, "anger")])
        deadline = time.monotonic() + 10
        while not written and time.monotonic() < deadline:
            time.sleep(0.05)
        assert written == ["COMMIT"]
        with raw(db) as connection:
            rows = connection.execute("SELECT chat_id, mood, count FROM mood_counts").fetchall()
        assert sorted(rows) == [("1", "joy", 1), ("2", "anger", 1)]


def test_background_counts_reach_the_database_and_survive_a_clean_stop(site: StoreSite) -> None:
    query = "SELECT chat_id, mood, count FROM mood_counts ORDER BY chat_id, mood"
    with site.open() as store:
        assert isinstance(store, SqlStore)
        store._counts.interval = 0.2
        store.count_moods([("telegram", 1, "joy"), ("telegram", 2, "anger")] * 3)
        deadline = time.monotonic() + 10
        while not site.sql(query) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert site.sql(query) == [("1", "joy", 3), ("2", "anger", 3)]  # no flush asked for
        store._counts.interval = 60.0
        store.count_mood("telegram", 1, "joy")
        time.sleep(0.2)
        assert site.sql(query)[0] == ("1", "joy", 3)  # still gathering
    assert site.sql(query) == [("1", "joy", 4), ("2", "anger", 3)]  # written at close


def test_an_invalid_count_in_a_batch_counts_nothing(store: Store) -> None:
    with pytest.raises(ValueError, match="mood"):
        store.count_moods([("telegram", 1, "joy"), ("telegram", 1, "Joy!")])
    with pytest.raises(ValueError, match="chat_id"):
        store.count_moods([("telegram", 1, "joy"), ("telegram", "", "joy")])
    assert store.mood_counts("telegram", 1) == {}


# --------------------------------------------------------------------------------------------
# Claimed updates (webhook redelivery dedupe)
# --------------------------------------------------------------------------------------------


def test_an_update_is_claimed_by_the_first_caller_only(store: Store) -> None:
    assert store.claim_update("telegram", "bot1:1001")
    assert not store.claim_update("telegram", "bot1:1001")
    assert not store.claim_update("telegram", "bot1:1001", keep_s=3600)
    assert store.claim_update("telegram", "bot1:1002")
    assert store.claim_update("discord", "bot1:1001")  # claims are per platform
    assert store.claim_update("telegram", "x" * 200)


@pytest.mark.parametrize(
    ("key", "keep_s"),
    [("", 10.0), ("x" * 201, 10.0), (1001, 10.0), ("k", 0), ("k", -1), ("k", float("inf"))],
)
def test_invalid_claims_are_refused_and_claim_nothing(
    store: Store, site: StoreSite, key: Any, keep_s: float
) -> None:
    with pytest.raises(ValueError):
        store.claim_update("telegram", key, keep_s=keep_s)
    assert site.sql("SELECT count(*) FROM update_claims") == [(0,)]


def test_an_expired_claim_can_be_claimed_again_and_old_ones_are_pruned(
    store: Store, site: StoreSite
) -> None:
    long_ago = time.time() - 10_000
    for n in range(5):
        site.sql(
            "INSERT INTO update_claims (platform, key, claimed_at) VALUES (?, ?, ?)",
            ("telegram", f"old:{n}", long_ago),
        )
    site.sql(
        "INSERT INTO update_claims (platform, key, claimed_at) VALUES (?, ?, ?)",
        ("telegram", "recent", time.time() - 100),
    )
    # the first claim of a store prunes: claims older than keep_s are deleted
    assert store.claim_update("telegram", "new", keep_s=1000)
    keys = sorted(row[0] for row in site.sql("SELECT key FROM update_claims"))
    assert keys == ["new", "recent"]
    assert not store.claim_update("telegram", "recent", keep_s=1000)
    assert store.claim_update("telegram", "recent", keep_s=50)  # older than 50 s: gone
    assert not store.claim_update("telegram", "recent", keep_s=50)


def claim_many(location: str, barrier: Any, keys: list[str]) -> list[str]:
    """Claims every key; the ones this process won. Run in several processes at once."""
    with open_store(location) as store:
        barrier.wait(60)
        return [key for key in keys if store.claim_update("telegram", key)]


def test_processes_racing_for_the_same_updates_each_win_different_ones(site: StoreSite) -> None:
    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    barrier = manager.Barrier(3)
    keys = [f"bot1:{n}" for n in range(150)]
    with context.Pool(3) as pool:
        won = pool.starmap(claim_many, [(site.location, barrier, keys)] * 3)
    manager.shutdown()
    assert sorted(key for part in won for key in part) == sorted(keys)  # each exactly once
    assert site.sql("SELECT count(*) FROM update_claims") == [(150,)]


# --------------------------------------------------------------------------------------------
# Backends, URLs and the PostgreSQL server's name
# --------------------------------------------------------------------------------------------


def test_both_backends_satisfy_the_store_protocol(store: Store, site: StoreSite) -> None:
    assert isinstance(store, Store)
    assert type(store).__name__ == ("PostgresStore" if site.is_postgres else "SettingsStore")


def test_sqlite_urls_name_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store("sqlite:///rel/one.sqlite3") as store:
        store.update_chat("telegram", 1, mode="off")
    assert (tmp_path / "rel" / "one.sqlite3").is_file()
    with open_store(f"sqlite:///{tmp_path}/rel/one.sqlite3") as store:  # four slashes
        assert store.path == str(tmp_path / "rel" / "one.sqlite3")
        assert store.chat_overrides("telegram", 1) == {"mode": "off"}
    with open_store(tmp_path / "rel" / "one.sqlite3") as store:  # a plain path
        assert store.chat_overrides("telegram", 1) == {"mode": "off"}
    with open_store("sqlite:///:memory:") as store:
        assert store.path == ":memory:"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://u@h/db", "unknown store URL scheme 'mysql'"),
        ("sqlite://host/x.db", "no host"),
        ("sqlite:///", "needs a path"),
        ("sqlite:///x.db?mode=ro", "no ?options"),
    ],
)
def test_bad_store_urls_are_refused(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        open_store(url)


def test_the_server_is_named_without_the_password(pg_site: StoreSite) -> None:
    with pg_site.open() as store:
        assert store.path == pg_site.name
        assert PASSWORD in pg_site.location and PASSWORD not in store.path
    wrong = pg_site.location.replace(PASSWORD, "not-the-" + PASSWORD)
    with pytest.raises(StoreError, match="refused the login") as caught:
        open_store(wrong)
    assert caught.value.path == store.path
    assert PASSWORD not in str(caught.value) and not caught.value.retryable
    assert server_name("postgresql://u:secret@db.example:6543/moodmoji") == (
        "db.example:6543/moodmoji"
    )
    assert server_name("postgresql://u@/moodmoji?host=/run/postgresql") == (
        "/run/postgresql:5432/moodmoji"
    )
    assert server_name("postgres://[::1]/x") == "[::1]:5432/x"


def test_postgres_forget_me_vacuums_the_deleted_rows_away(pg_site: StoreSite) -> None:
    with pg_site.open() as store:
        fill(store)
        store.delete_chat("telegram", -1001)
        store.delete_user("telegram", 42)
        deadline = time.monotonic() + 15
        vacuumed: list[tuple[Any, ...]] = []
        while time.monotonic() < deadline:
            vacuumed = pg_site.sql(
                "SELECT relname FROM pg_stat_user_tables WHERE vacuum_count > 0 "
                "AND schemaname = current_schema() ORDER BY relname"
            )
            if len(vacuumed) == 3:
                break
            time.sleep(0.2)
        assert vacuumed == [("chat_settings",), ("mood_counts",), ("opt_outs",)]
        assert store.chat_overrides("telegram", -1002) == {"max_suggestions": 1}


# --------------------------------------------------------------------------------------------
# store.url in the configuration
# --------------------------------------------------------------------------------------------


def load_store_config(tmp_path: Path, text: str, **environ: str) -> StoreSection:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, environ=environ).store


def test_store_url_chooses_the_backend_and_path_still_works(tmp_path: Path) -> None:
    by_path = load_store_config(tmp_path, "store:\n  path: data/s.sqlite3\n")
    assert by_path.url is None and by_path.location == str(tmp_path / "data" / "s.sqlite3")
    relative = load_store_config(tmp_path, "store:\n  url: sqlite:///rel/s.db\n")
    assert relative.location == f"sqlite:///{tmp_path}/rel/s.db"  # anchored at the file
    with open_store(relative.location) as store:
        assert store.path == str(tmp_path / "rel" / "s.db")
    pg = load_store_config(
        tmp_path,
        "store:\n  url: postgresql://moodmoji:${PW}@db.internal:5432/moodmoji\n  pool_size: 4\n",
        PW="s3cret",
    )
    assert pg.location == "postgresql://moodmoji:s3cret@db.internal:5432/moodmoji"
    assert pg.pool_size == 4 and "s3cret" not in repr(pg)
    blank = load_store_config(tmp_path, "store:\n  url: ${STORE_URL:-}\n")
    assert blank.url is None and blank.location == str(tmp_path / "moodmoji.sqlite3")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("url: mysql://u@h/db", "store.url: unknown store URL scheme 'mysql'"),
        ("url: sqlite://h/x.db", "store.url: a sqlite:// URL has no host"),
        ("url: 'postgresql://'", "store.url: postgresql:// needs a server"),
        ("pool_size: 0", "store.pool_size"),
    ],
)
def test_a_bad_store_url_names_the_key(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(problem)):
        load_store_config(tmp_path, f"store:\n  {text}\n")
