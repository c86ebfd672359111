"""Faults under the settings store: SQLite on real files, a real PostgreSQL server
(reliability suite).

Injected for real: another connection holding ``BEGIN EXCLUSIVE`` on the file (busy), a store
opened read-only beside a live writer, and a full disk (``PRAGMA max_page_count`` on the store's
own connection, so that SQLite itself answers ``SQLITE_FULL``). ``test_store.py`` already covers
a held ``BEGIN IMMEDIATE`` with two writes and the read-only mode on its own; this file adds
every write and the bot's paths under each fault, and checks what was kept from a NEW
connection afterwards.

Then the decision path: ``MoodBot.decide``/``adecide`` with a store that cannot be read or
written. A store that cannot be read skips the message (the opt-outs could not be checked: fail
closed); a mood count that cannot be written is logged and the decision still returned.

Last, PostgreSQL: a server of the module's own is stopped under a live store (every call fails
fast with an ``unreachable`` error naming ``host:port/database``, the bot skips messages instead
of crashing, and everything comes back when the server does), restarted and crashed (the pool
replaces its broken connections without a single failed call).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Literal, TypeVar

import pytest

from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.chats import ChatsUnavailable
from moodmoji.bot.core import MoodBot
from moodmoji.bot.messages import IncomingMessage, Platform
from moodmoji.bot.store import SettingsStore, Store, StoreError, open_store
from tests.bot.conftest import postgres_bin_or_skip
from tests.conftest import BotFactory
from tests.postgres import PASSWORD, PostgresServer

T = TypeVar("T")

pytestmark = pytest.mark.reliability

DAY = datetime.date(2024, 5, 17)
EMOJI = "<:party:123456789012345678>"
BUSY_S = 0.2  # the store's busy timeout in these tests (the default is 5 s)
NO_HANG_S = 30.0
TG = "telegram"
TEXT = "what a lovely surprise, thank you all so much (kiwi-ostrich-51)"
Fault = Literal["busy", "full", "read-only"]


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "moodmoji.sqlite3"


def seed(store: Store) -> None:
    """Settings, opt-outs and mood counts that every fault must leave intact."""
    store.update_chat(TG, -1001, mode="react", custom_emoji={"joy": EMOJI})
    store.update_chat(TG, -1002, max_suggestions=1)
    store.update_chat(TG, "chat-off", mode="off")
    store.set_opt_out(TG, "user", "u-out", True)
    store.set_opt_out(TG, "chat", -1003, True)
    store.record_mood(TG, -1001, "joy", day=DAY, count=3)
    store.record_mood(TG, -1001, "sadness", day=DAY)


def seeded(db: Path) -> Path:
    with SettingsStore.open(db) as store:
        seed(store)
    return db


def dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read through a NEW read-only connection."""
    connection = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return {
            table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall())
            for table in ("chat_settings", "opt_outs", "mood_counts")
        }
    finally:
        connection.close()


def assert_seed_intact(store: Store) -> None:
    assert store.chat_overrides(TG, -1001) == {"mode": "react", "custom_emoji": {"joy": EMOJI}}
    assert store.chat_overrides(TG, -1002) == {"max_suggestions": 1}
    assert store.opt_out(TG, "any", "u-out") is not None
    assert store.opt_out(TG, -1003, None) is not None
    assert store.mood_counts(TG, -1001)[DAY.isoformat()] == {"joy": 3, "sadness": 1}


def writes(store: Store, bot: MoodBot) -> dict[str, Callable[[], object]]:
    """Every kind of write, through the store and through the bot."""
    return {
        "update_chat": lambda: store.update_chat(TG, -1002, max_suggestions=3),
        "reset_chat": lambda: store.reset_chat(TG, -1001),
        "set_opt_out": lambda: store.set_opt_out(TG, "user", "u-new", True),
        "withdraw_opt_out": lambda: store.set_opt_out(TG, "user", "u-out", False),
        "record_mood": lambda: store.record_mood(TG, -1001, "joy", day=DAY),
        "delete_user": lambda: store.delete_user(TG, "u-out"),
        "delete_chat": lambda: store.delete_chat(TG, -1001),
        "chats.forget_user": lambda: through_core(bot.chats.forget_user(TG, "u-out")),
        "chats.forget_chat": lambda: through_core(bot.chats.forget_chat(TG, "-1001")),
    }


def through_core(operation: Coroutine[Any, Any, T]) -> T:
    """Runs a chat operation of the core; a store failure comes back as the store's own error."""
    try:
        return asyncio.run(operation)
    except ChatsUnavailable as exc:
        assert isinstance(exc.__cause__, StoreError)
        assert exc.busy == exc.__cause__.busy
        raise exc.__cause__  # noqa: B904 - the store error itself, with its sqlite3 cause


def assert_clear(error: StoreError, db: Path, problem: str) -> None:
    assert error.path == str(db)
    assert error.problem.startswith(problem), error.problem
    assert str(error).startswith(f"{db}: {problem}")
    assert "\n" not in str(error)
    assert isinstance(error.__cause__, sqlite3.Error)


@contextmanager
def exclusive_lock(db: Path) -> Iterator[sqlite3.Connection]:
    """Another connection holding ``BEGIN EXCLUSIVE`` (with a write of its own) until exit."""
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute(
        "INSERT INTO opt_outs (platform, kind, subject_id, since) "
        "VALUES ('telegram', 'user', 'holder', '2024-05-17T00:00:00+00:00')"
    )
    try:
        yield holder
    finally:
        if holder.in_transaction:
            holder.execute("COMMIT")
        holder.close()


def rollback_journal_store(db: Path) -> SettingsStore:
    """A store on a file without WAL (where WAL is unavailable): a writer's lock blocks reads."""
    connection = sqlite3.connect(db, isolation_level=None)
    assert connection.execute("PRAGMA journal_mode = DELETE").fetchone() == ("delete",)
    connection.close()
    connection = sqlite3.connect(db, timeout=BUSY_S, isolation_level=None, check_same_thread=False)
    return SettingsStore(connection, str(db))


def fill_until_full(store: SettingsStore, connection: sqlite3.Connection) -> tuple[str, int]:
    """Caps the file at its size, then writes until SQLite reports it full.

    Returns:
        The kind of write that failed and how many writes succeeded before it.

    """
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages + 2}")
    kinds: list[tuple[str, Callable[[int], object]]] = [
        ("settings", lambda i: store.update_chat(TG, f"fill-{i}", custom_emoji={"joy": EMOJI})),
        ("opt-out", lambda i: store.set_opt_out(TG, "user", f"fill-{i}", True)),
        ("mood", lambda i: store.record_mood(TG, f"fill-{i}", "joy", day=DAY)),
    ]
    for i in range(20_000):
        kind, write = kinds[i % len(kinds)]
        try:
            write(i)
        except StoreError as exc:
            assert "disk full" in exc.problem and "database or disk is full" in str(exc)
            return kind, i
    raise AssertionError("the capped file never filled up")


def capped_store(db: Path) -> tuple[SettingsStore, sqlite3.Connection]:
    """A store on a connection the test holds, so that it can cap the file's size."""
    connection = sqlite3.connect(db, timeout=BUSY_S, isolation_level=None, check_same_thread=False)
    return SettingsStore(connection, str(db)), connection


def message(chat: str | int, author: str, n: int = 1, text: str = TEXT) -> IncomingMessage:
    return IncomingMessage(Platform.TELEGRAM, str(chat), f"m{n}", author, text)


def assert_text_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert "kiwi-ostrich" not in caplog.text
    assert all("kiwi-ostrich" not in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------------------- busy


def test_an_exclusive_lock_refuses_every_write_clearly_and_loses_nothing(
    db: Path, make_bot: BotFactory
) -> None:
    store = SettingsStore.open(seeded(db), timeout=BUSY_S)
    bot = make_bot(store=store)
    before = dump(db)
    refused = 0
    with exclusive_lock(db):
        for write in writes(store, bot).values():
            with pytest.raises(StoreError) as caught:
                write()
            assert_clear(caught.value, db, "busy")
            refused += 1
        # WAL: reads go on while another connection writes, and see only committed data.
        assert_seed_intact(store)
        assert store.opt_out(TG, None, "holder") is None
        assert through_core(bot.chats.settings(TG, "-1002")).max_suggestions == 1
    assert refused == 9
    after = dump(db)
    holder_row = [r for r in after["opt_outs"] if r[2] == "holder"]
    assert len(holder_row) == 1  # the lock holder's own write committed
    assert {**after, "opt_outs": [r for r in after["opt_outs"] if r[2] != "holder"]} == before
    # The lock is gone: the same writes go through, and the earlier data is there.
    assert store.update_chat(TG, -1002, max_suggestions=3) == {"max_suggestions": 3}
    store.record_mood(TG, -1001, "joy", day=DAY)
    assert store.mood_counts(TG, -1001) == {DAY.isoformat(): {"joy": 4, "sadness": 1}}
    assert through_core(bot.chats.forget_user(TG, "u-out")).opt_outs == 1
    store.close()
    with SettingsStore.open(db, read_only=True) as fresh:
        assert fresh.chat_overrides(TG, -1002) == {"max_suggestions": 3}
        assert fresh.chat_overrides(TG, -1001) == {"mode": "react", "custom_emoji": {"joy": EMOJI}}
        assert fresh.opt_out(TG, None, "u-out") is None
        assert fresh.opt_out(TG, None, "holder") is not None


def test_a_write_waits_out_a_lock_shorter_than_its_busy_timeout(db: Path) -> None:
    store = SettingsStore.open(seeded(db), timeout=NO_HANG_S)
    with exclusive_lock(db) as holder:
        release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
        release.start()
        try:
            # Blocks in SQLite's busy handler until the holder commits, then succeeds.
            assert store.update_chat(TG, -1002, max_suggestions=2) == {"max_suggestions": 2}
        finally:
            release.join(NO_HANG_S)
    assert store.opt_out(TG, None, "holder") is not None
    store.close()
    with SettingsStore.open(db, read_only=True) as fresh:
        assert fresh.chat_overrides(TG, -1002) == {"max_suggestions": 2}
        assert fresh.chat_overrides(TG, -1001) == {"mode": "react", "custom_emoji": {"joy": EMOJI}}


def test_without_wal_a_lock_fails_reads_clearly_until_released(db: Path) -> None:
    store = rollback_journal_store(seeded(db))
    before = dump(db)
    reads: dict[str, Callable[[], object]] = {
        "chat_overrides": lambda: store.chat_overrides(TG, -1001),
        "opt_out": lambda: store.opt_out(TG, -1001, "u-out"),
        "mood_counts": lambda: store.mood_counts(TG, -1001),
        "schema_version": lambda: store.schema_version,
    }
    with exclusive_lock(db):
        for write in reads.values():
            with pytest.raises(StoreError) as caught:
                write()
            assert_clear(caught.value, db, "busy")
    assert_seed_intact(store)
    store.close()
    assert {k: v for k, v in dump(db).items() if k != "opt_outs"} == {
        k: v for k, v in before.items() if k != "opt_outs"
    }


# ---------------------------------------------------------------------------- read-only


def test_a_read_only_store_beside_a_live_writer(db: Path, make_bot: BotFactory) -> None:
    writer = SettingsStore.open(seeded(db))
    reader = SettingsStore.open(db, read_only=True)
    bot = make_bot(store=reader)
    refused = 0
    for write in writes(reader, bot).values():
        with pytest.raises(StoreError) as caught:
            write()
        assert_clear(caught.value, db, "read-only")
        refused += 1
    assert refused == 9
    # The writer is unaffected, and the reader sees what it commits.
    writer.update_chat(TG, "new-chat", mode="suggest")
    writer.record_mood(TG, -1001, "joy", day=DAY)
    assert reader.chat_overrides(TG, "new-chat") == {"mode": "suggest"}
    assert through_core(bot.chats.settings(TG, "new-chat")).mode.suggests
    assert reader.mood_counts(TG, -1001) == {DAY.isoformat(): {"joy": 4, "sadness": 1}}
    reader.close()
    writer.update_chat(TG, "new-chat", max_suggestions=2)
    writer.close()
    with SettingsStore.open(db, read_only=True) as fresh:
        assert fresh.chat_overrides(TG, "new-chat") == {"mode": "suggest", "max_suggestions": 2}
        assert fresh.opt_out(TG, None, "u-out") is not None
        assert fresh.chat_overrides(TG, -1002) == {"max_suggestions": 1}


# ---------------------------------------------------------------------------- disk full


def test_a_full_disk_fails_writes_clearly_and_keeps_what_was_stored(db: Path) -> None:
    store, connection = capped_store(seeded(db))
    before = dump(db)
    failed_kind, written = fill_until_full(store, connection)
    assert written > 0
    failed_id = f"fill-{written}"
    # The write that failed left no trace; the store still reads.
    assert store.chat_overrides(TG, failed_id) == {}
    assert store.opt_out(TG, None, failed_id) is None
    assert store.mood_counts(TG, failed_id) == {}
    assert_seed_intact(store)
    # More writes while full: each succeeds (room in a page) or fails clearly, never otherwise.
    outcomes = []
    late: list[Callable[[], object]] = [
        lambda: store.update_chat(TG, "late", custom_emoji={"joy": EMOJI, "fear": EMOJI}),
        lambda: store.set_opt_out(TG, "user", "late", True),
        lambda: store.record_mood(TG, "late", "fear", day=DAY),
    ]
    for n, write in enumerate(late):
        try:
            write()
            outcomes.append(f"ok-{n}")
        except StoreError as exc:
            assert_clear(exc, db, "disk full")
            outcomes.append(f"full-{n}")
    # What was stored reads back intact from a NEW connection.
    after = dump(db)
    for table, rows in before.items():
        assert set(rows) <= set(after[table]), table
    with SettingsStore.open(db, read_only=True) as fresh:
        assert_seed_intact(fresh)
        for i in range(written):
            kind = i % 3
            if kind == 0:
                assert fresh.chat_overrides(TG, f"fill-{i}") == {"custom_emoji": {"joy": EMOJI}}
            elif kind == 1:
                assert fresh.opt_out(TG, None, f"fill-{i}") is not None
            else:
                assert fresh.mood_counts(TG, f"fill-{i}") == {DAY.isoformat(): {"joy": 1}}
    # Space is freed: the write that failed now succeeds.
    connection.execute("PRAGMA max_page_count = 1000000")
    store.update_chat(TG, failed_id, custom_emoji={"joy": EMOJI})
    store.set_opt_out(TG, "user", failed_id, True)
    store.record_mood(TG, failed_id, "joy", day=DAY)
    store.close()
    with SettingsStore.open(db, read_only=True) as fresh:
        assert fresh.chat_overrides(TG, failed_id) == {"custom_emoji": {"joy": EMOJI}}
        assert fresh.opt_out(TG, None, failed_id) is not None
        assert_seed_intact(fresh)
    assert failed_kind in ("settings", "opt-out", "mood")
    print(f"\nfull after {written} writes ({failed_kind} failed); while full: {outcomes}")


# ---------------------------------------------------------------------------- decisions


@contextmanager
def observed(bot: MoodBot) -> Iterator[list[int]]:
    sizes: list[int] = []
    bot.add_batch_observer(lambda size, seconds: sizes.append(size))
    yield sizes


async def test_a_store_that_cannot_be_read_never_lets_a_message_through_unchecked(
    db: Path, make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = rollback_journal_store(seeded(db))
    bot = make_bot(store=store)
    with observed(bot) as runs:
        with exclusive_lock(db):
            outcomes = [
                bot.decide(message(-1001, "u1")),
                await asyncio.wait_for(bot.adecide(message(-1001, "u1")), NO_HANG_S),
            ]
            for outcome in outcomes:
                # never an analysis, because the opt-outs could not be checked
                assert outcome.skipped == "store-unavailable", outcome
            assert runs == []
        # Lock released: the stored settings and opt-outs apply again, unharmed.
        assert (await bot.adecide(message(-1003, "u1"))).skipped == "opt-out"
        assert (await bot.adecide(message(-1001, "u-out"))).skipped == "opt-out"
        assert (await bot.adecide(message("chat-off", "u1"))).skipped == "mode-off"
        decision = await bot.adecide(message(-1001, "u1"))
        assert decision.skipped is None and decision.moods
        assert runs == [1]
    assert store.mood_counts(TG, -1001)[DAY.isoformat()] == {"joy": 3, "sadness": 1}
    await bot.aclose()
    assert_text_not_logged(caplog)


async def test_a_store_that_cannot_be_read_skips_the_message_with_a_logged_reason(
    db: Path, make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = rollback_journal_store(seeded(db))
    bot = make_bot(store=store)
    try:
        with observed(bot) as runs, exclusive_lock(db):
            decisions = [
                bot.decide(message(-1001, "u1")),
                await asyncio.wait_for(bot.adecide(message(-1001, "u2", 2)), NO_HANG_S),
            ]
            assert runs == []  # never analysed: the opt-outs could not be checked
    finally:
        await bot.aclose()
    for decision in decisions:
        assert decision.skipped and not decision.moods and not decision.reactions
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "busy" in r.message]
    assert len(warnings) == 2
    assert_text_not_logged(caplog)


def mood_row_fits(connection: sqlite3.Connection, chat: str, mood: str) -> bool:
    """Whether today's count of ``mood`` in ``chat`` could be written now (tried, rolled back)."""
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(
            "INSERT INTO mood_counts (platform, chat_id, day, mood, count) VALUES (?, ?, ?, ?, 1) "
            "ON CONFLICT (platform, chat_id, day, mood) DO UPDATE SET count = count + 1",
            (TG, chat, today, mood),
        )
    except sqlite3.OperationalError as exc:
        assert "full" in str(exc)
        return False
    finally:
        if connection.in_transaction:  # SQLITE_FULL may have rolled it back already
            connection.execute("ROLLBACK")
    return True


@contextmanager
def failing_mood_writes(db: Path, fault: Fault, mood: str) -> Iterator[SettingsStore]:
    """A store whose reads work and whose writes (today's ``mood`` in chat -1001) fail."""
    if fault == "busy":
        store = SettingsStore.open(db, timeout=BUSY_S)
        with exclusive_lock(db):
            yield store
    elif fault == "full":
        store, connection = capped_store(db)
        fill_until_full(store, connection)
        pad = 0
        while mood_row_fits(connection, "-1001", mood):  # fill what room is left near that row
            with suppress(StoreError):
                store.record_mood(TG, -1001, "joy", day=DAY - datetime.timedelta(days=pad + 1))
            pad += 1
            assert pad < 20_000, "the capped file never filled up"
        yield store
    else:
        store = SettingsStore.open(db, read_only=True)
        yield store
    store.close()


@pytest.mark.parametrize("fault", ["busy", "full"])
async def test_a_failed_mood_count_never_poisons_the_bot(
    db: Path, fault: Fault, make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seeded(db)
    reference = make_bot().decide(message(-1001, "u1"))
    assert reference.moods
    with failing_mood_writes(db, fault, reference.moods[0].label) as store:
        bot = make_bot(store=store)
        outcome = await asyncio.wait_for(bot.adecide(message(-1001, "u1")), NO_HANG_S)
        assert outcome.moods == reference.moods
        await bot.aclose()
    # The fault is gone: a new decision counts its mood on top of the intact counts.
    with SettingsStore.open(db) as store:
        bot = make_bot(store=store)
        decision = await asyncio.wait_for(bot.adecide(message(-1001, "u1", 2)), NO_HANG_S)
        assert decision.moods == reference.moods
        today = datetime.datetime.now(datetime.UTC).date().isoformat()
        counts = store.mood_counts(TG, -1001)
        assert counts[DAY.isoformat()] == {"joy": 3, "sadness": 1}
        # the first count was given up (the bot closed while the store was still held)
        assert counts[today] == {decision.moods[0].label: 1}
        assert_seed_intact(store)
        await bot.aclose()
    assert_text_not_logged(caplog)


@pytest.mark.parametrize("fault", ["busy", "full", "read-only"])
async def test_a_failed_mood_count_still_gives_the_decision(
    db: Path, fault: Fault, make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seeded(db)
    reference = make_bot()
    expected = [reference.decide(message(-1001, "u1")), reference.decide(message(-1001, "u2", 2))]
    assert expected[0].moods
    with failing_mood_writes(db, fault, expected[0].moods[0].label) as store:
        bot = make_bot(store=store)
        try:
            got = [
                bot.decide(message(-1001, "u1")),
                await asyncio.wait_for(bot.adecide(message(-1001, "u2", 2)), NO_HANG_S),
            ]
        finally:
            bot._store = None  # closed by failing_mood_writes, after this test read the counts
            await bot.aclose()
        assert [d.moods for d in got] == [d.moods for d in expected]
        assert [d.reactions for d in got] == [d.reactions for d in expected]
        counts = store.mood_counts(TG, -1001)
        assert counts[DAY.isoformat()] == {"joy": 3, "sadness": 1}
        assert datetime.datetime.now(datetime.UTC).date().isoformat() not in counts
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    assert_text_not_logged(caplog)


# --------------------------------------------------------------------------------------------
# Another process holding the write lock (the audit's stall)
# --------------------------------------------------------------------------------------------

LOCKER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("COMMIT")
"""


@contextmanager
def held_by_another_process(db: Path) -> Iterator[None]:
    """A second process holds ``BEGIN EXCLUSIVE`` on ``db`` until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(30)


def test_reads_and_counts_never_wait_for_a_lock_held_elsewhere(db: Path) -> None:
    seeded(db)
    failures: list[StoreError] = []

    def write(store: SettingsStore) -> None:
        try:
            store.update_chat(TG, -1001, reaction_threshold=0.77)
        except StoreError as exc:
            failures.append(exc)

    with SettingsStore.open(db, write_timeout=1.0) as store, held_by_another_process(db):
        writer = threading.Thread(target=write, args=(store,))
        writer.start()  # a write waiting for the lock must not hold up the reads below
        time.sleep(0.1)
        started = time.perf_counter()
        for _ in range(20):
            store.opt_out(TG, -1001, "u1")
            store.chat_settings(TG, -1001, ChatSettings())
            store.count_mood(TG, -1001, "joy")
        elapsed = time.perf_counter() - started
        writer.join(10)
        assert elapsed < 0.5, f"20 gate reads and counts took {elapsed:.2f} s"
        assert [f.busy for f in failures] == [True]
        problem = store.health()
        assert problem is not None and problem.startswith("busy"), problem
    with SettingsStore.open(db) as store:
        assert store.health() is None
        assert store.chat_overrides(TG, -1001).get("reaction_threshold") != 0.77  # it failed


def test_a_write_fails_busy_in_bounded_time_and_later_ones_do_not_queue(db: Path) -> None:
    seeded(db)
    with SettingsStore.open(db, write_timeout=0.5) as store, held_by_another_process(db):
        outcomes: list[tuple[bool, float]] = []

        def write() -> None:
            started = time.perf_counter()
            try:
                store.update_chat(TG, -1001, mode="react")
            except StoreError as exc:
                outcomes.append((exc.busy, time.perf_counter() - started))

        threads = [threading.Thread(target=write) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert [busy for busy, _ in outcomes] == [True, True, True]
        # each gives up within its own budget, not one after another (0.5, 1.0, 1.5 s)
        assert max(seconds for _, seconds in outcomes) < 0.9, outcomes


def test_counts_wait_for_the_lock_and_are_written_after(db: Path) -> None:
    seeded(db)
    with SettingsStore.open(db, write_timeout=0.2) as store:
        with held_by_another_process(db):
            store.count_mood(TG, -2002, "joy")
            store.count_mood(TG, -2002, "joy")
            time.sleep(0.5)  # the background writer met the lock and keeps the counts
        assert store.flush(10)
        today = datetime.datetime.now(datetime.UTC).date().isoformat()
        assert store.mood_counts(TG, -2002) == {today: {"joy": 2}}
        assert store.health() is None


# --------------------------------------------------------------------------------------------
# A full disk at start-up
# --------------------------------------------------------------------------------------------

NO_ROOM = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # no file may grow: a full disk for SQLite
from moodmoji.bot.store import SettingsStore, StoreError
try:
    SettingsStore.open(sys.argv[1])
except StoreError as exc:
    print(exc)
else:
    print("opened")
"""


def _open_without_room(db: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", NO_ROOM, str(db)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
def test_a_full_disk_at_start_up_leaves_nothing_behind(tmp_path: Path, existing: bool) -> None:
    db = tmp_path / "store.sqlite3"
    if existing:
        seeded(db)  # closed cleanly: no -wal or -shm left
    before = db.read_bytes() if existing else None
    names_before = sorted(p.name for p in tmp_path.iterdir())
    said = _open_without_room(db)
    assert said.startswith(f"{db}: "), said
    if not existing:
        assert "is the disk full?" in said, said
    assert sorted(p.name for p in tmp_path.iterdir()) == names_before  # no empty leftovers
    if existing:
        assert db.read_bytes() == before


# --------------------------------------------------------------------------------------------
# PostgreSQL: the server stops, crashes and restarts under a live store
# --------------------------------------------------------------------------------------------

PG_WRITE_S = 0.5  # a PostgreSQL store's write timeout (and wait for a pooled connection) here


@pytest.fixture(scope="module")
def own_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this module's own, which its tests stop, crash and restart.

    Durable (fsync and synchronous commits on), as a real one is: a crash loses no commit.
    """
    server = PostgresServer(postgres_bin_or_skip(), durable=True)
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture()
def pg_url(own_server: PostgresServer) -> Iterator[str]:
    """A fresh schema on the module's server (started again if a test left it stopped)."""
    own_server.start()
    schema, url = own_server.create_schema("faults")
    yield url
    own_server.start()  # a test that failed half-way may have left it stopped
    own_server.drop_schema("faults", schema)


def open_pg(url: str) -> Store:
    return open_store(url, timeout=5, write_timeout=PG_WRITE_S)


def assert_clear_pg(error: StoreError, store: Store, started: float) -> None:
    assert error.path == store.path and str(error).startswith(f"{store.path}: unreachable")
    assert error.unavailable and error.retryable and not error.busy
    assert PASSWORD not in str(error) and "\n" not in str(error)
    assert time.monotonic() - started < 10, "an unreachable server must fail fast, not hang"


async def test_a_stopped_server_fails_every_call_clearly_and_the_bot_carries_on(
    pg_url: str, own_server: PostgresServer, make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = open_pg(pg_url)
    seed(store)
    bot = make_bot(store=store)
    try:
        assert (await bot.adecide(message(-1003, "u1"))).skipped == "opt-out"
        own_server.stop()
        calls: dict[str, Callable[[], object]] = {
            "chat_overrides": lambda: store.chat_overrides(TG, -1001),
            "opt_out": lambda: store.opt_out(TG, -1001, "u1"),
            "opt_outs_of": lambda: store.opt_outs_of(TG, [-1001], ["u1"]),
            "mood_counts": lambda: store.mood_counts(TG, -1001),
            "claim_update": lambda: store.claim_update(TG, "bot:1"),
            **{k: v for k, v in writes(store, bot).items() if not k.startswith("chats.")},
        }
        for name, call in calls.items():
            started = time.monotonic()
            with pytest.raises(StoreError) as caught:
                call()
            assert_clear_pg(caught.value, store, started)
            assert name  # (which call, when one fails)
        started = time.monotonic()
        with pytest.raises(StoreError, match="unreachable"):
            store.opt_out(TG, -1001, "u1")
        assert time.monotonic() - started < 0.3  # known to be down: fails at once, no waiting
        for operation in (
            bot.chats.update(TG, -1001, mode="off"),
            bot.chats.forget_user(TG, "u-out"),
            bot.chats.forget_chat(TG, "-1001"),
            bot.chats.claim_update(TG, "bot:2"),
        ):
            with pytest.raises(ChatsUnavailable) as unavailable:
                await operation
            assert unavailable.value.unavailable and not unavailable.value.busy
        # no crash: a message is skipped (its opt-outs could not be checked), never analysed
        with observed(bot) as runs:
            decision = await asyncio.wait_for(bot.adecide(message(-1001, "u1")), NO_HANG_S)
            assert decision.skipped == "store-unavailable" and runs == []
        problem = store.health()
        assert problem is not None and problem.startswith("unreachable"), problem
        store.count_mood(TG, -2002, "joy")  # counted in memory, never raises
        own_server.start()
        # back: health recovers with no call made (a load balancer may send none until then)
        deadline = time.monotonic() + 15
        while store.health() is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert store.health() is None
        # and the store with everything it held
        assert_seed_intact(store)
        assert store.flush(10)
        today = datetime.datetime.now(datetime.UTC).date().isoformat()
        assert store.mood_counts(TG, -2002) == {today: {"joy": 1}}
        assert store.update_chat(TG, -1002, max_suggestions=2) == {"max_suggestions": 2}
        assert (await bot.adecide(message(-1003, "u1"))).skipped == "opt-out"
    finally:
        await bot.aclose()
    assert_text_not_logged(caplog)


@pytest.mark.parametrize("mode", ["fast", "immediate"], ids=["restart", "crash"])
def test_after_a_server_restart_the_store_works_at_once_and_lost_nothing(
    pg_url: str, own_server: PostgresServer, mode: str
) -> None:
    with open_pg(pg_url) as store:
        seed(store)
        for n in range(3):  # several pooled connections, all broken by the restart
            store.chat_overrides(TG, n)
        own_server.stop(mode)
        own_server.start()
        # no error at all: broken connections are replaced before anything is sent twice
        assert_seed_intact(store)
        assert store.claim_update(TG, "bot:after-restart")
        assert not store.claim_update(TG, "bot:after-restart")
        store.record_mood(TG, -1001, "joy", day=DAY)
        assert store.mood_counts(TG, -1001)[DAY.isoformat()] == {"joy": 4, "sadness": 1}
        assert store.health() is None
    with open_pg(pg_url) as again:
        assert again.chat_overrides(TG, -1002) == {"max_suggestions": 1}


def test_opening_while_the_server_is_down_names_the_server_only(
    pg_url: str, own_server: PostgresServer
) -> None:
    own_server.stop()
    started = time.monotonic()
    try:
        with pytest.raises(StoreError) as caught:
            open_pg(pg_url)
    finally:
        own_server.start()
    error = caught.value
    assert error.path == f"127.0.0.1:{own_server.port}/faults"
    assert error.problem.startswith("unreachable: cannot connect") and error.unavailable
    assert PASSWORD not in str(error) and "\n" not in str(error)
    assert time.monotonic() - started < 10
