"""The settings store: per-chat setting overrides, opt-outs and daily mood counts, in SQLite.

One SQLite file holds, keyed by platform (``"telegram"``, ``"discord"``, ``"http"``,
``"console"``) and by chat or user id (stored as TEXT, so that Telegram integers and Discord
snowflakes look alike):

- ``chat_settings``: the fields of :class:`~bot.chat_settings.ChatSettings` a chat changed, as
  a JSON object (every value is checked with :func:`~bot.chat_settings.check_override` first);
- ``opt_outs``: users (everywhere on a platform) and chats that asked the bot to leave them be;
- ``mood_counts``: how many messages of each mood a chat had per UTC day.

The store never holds the text of a message, nor anything else about a person beyond a user
opt-out row: mood counts are per chat and day, never per user.

The schema is versioned with ``PRAGMA user_version``; :data:`MIGRATIONS` are applied in order,
each in its own transaction, when a store is opened. Several processes may share one file (WAL
journal, busy timeout), and one :class:`SettingsStore` may be shared by threads. Every failure
of the database reaches callers as :class:`StoreError`, whose ``str()`` names the file; a file
that fails to open is never modified.

**Reads never wait on writes.** A file store keeps two connections: reads (opt-outs, a chat's
settings, mood stats) go through one, writes through the other, each behind its own lock. In
WAL mode a read goes on while another connection, in this process or another, holds the write
lock, so a decision is never held up by a write that waits. A write waits at most
:data:`WRITE_TIMEOUT_S` in all (for this store's own writer and for other processes' locks),
then raises a busy :class:`StoreError` (:attr:`StoreError.busy`); :meth:`SettingsStore.health`
says so until a write succeeds again. Mood counts of messages flowing past
(:meth:`SettingsStore.count_mood`, :meth:`SettingsStore.count_moods`) are written by a
background thread, off the decision path.

**Mood counts are written once per interval.** Counts wait in memory, added up per chat, day
and mood, and the background writer writes all of them in one transaction every
:data:`COUNT_INTERVAL_S` (one statement per chat, day and mood that changed, never one write per
message). Reading the counts (:meth:`SettingsStore.mood_counts`), forgetting a chat,
:meth:`SettingsStore.flush` and :meth:`SettingsStore.close` write what waits first, so a clean
stop loses nothing. A crash or a kill loses the counts of the last interval at most (plus any
that waited for a store another process held); a transaction writes all its counts or none.

A batch's gate reads look up all its chats and authors at once: their opt-outs in one query
(:meth:`SettingsStore.opt_outs_of`), their chats' settings in another
(:meth:`SettingsStore.chat_settings_of`).
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, Literal, TypeVar

from moodmoji.bot.chat_settings import ChatSettings, Mode, check_override

__all__ = [
    "COUNT_INTERVAL_S",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "DeletionReport",
    "OptOut",
    "OptOuts",
    "SettingsStore",
    "StoreError",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

MEMORY = ":memory:"
"""The path that opens a private, in-memory store (for tests and the console)."""

BUSY_TIMEOUT_S = 5.0
"""How long opening (and migrating) a store waits for another connection's lock."""
WRITE_TIMEOUT_S = 2.0
"""How long one write waits in all, for this store's writer and other connections' locks."""
SLOW_WRITE_S = 1.0
"""A write waiting longer than this makes :meth:`SettingsStore.health` report the store busy."""
COUNT_INTERVAL_S = 1.0
"""How long mood counts gather in memory before the background writer writes them (one
transaction for all); a crash loses at most this long's counts."""
COUNT_RETRY_S = 1.0
"""Pause of the background writer after a busy store, before it tries the counts again."""
_MOST_PARAMETERS = 500
"""Most ids bound in one statement (SQLite before 3.32 allows 999 parameters)."""
MAX_PENDING_COUNTS = 10_000
"""Most mood counts waiting for the background writer; more are dropped (with a warning)."""

#: Schema scripts, in order: ``MIGRATIONS[n - 1]`` takes a file from version ``n - 1`` to ``n``.
MIGRATIONS: tuple[str, ...] = (
    # 1: chat settings overrides and opt-outs.
    """
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
    """,
    # 2: daily mood counts per chat, and when a chat last changed its settings.
    """
    ALTER TABLE chat_settings ADD COLUMN updated_at TEXT;
    CREATE TABLE mood_counts (
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        day TEXT NOT NULL,
        mood TEXT NOT NULL,
        count INTEGER NOT NULL CHECK (count >= 0),
        PRIMARY KEY (platform, chat_id, day, mood)
    );
    """,
)

SCHEMA_VERSION = 2
"""The schema version this code writes; files at a newer version are refused."""

_SQLITE_MAGIC = b"SQLite format 3\x00"
_MOOD = re.compile(r"[a-z_-]{1,32}")

_CORRUPT_AT_OPEN = (
    "not a readable SQLite database (corrupt, or another kind of file); it was left untouched"
)
_READ_ONLY = (
    "read-only: settings cannot be saved (no write access to the file, its directory or its "
    "-wal/-shm files, or the store was opened read-only)"
)
_BUSY = "busy: another process holds the database (gave up waiting for its lock)"

# Primary SQLite result codes (the low byte of an extended code).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 5, 6, 8
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26


class StoreError(Exception):
    """The settings store could not be opened, read or written; ``str()`` is one line.

    Attributes:
        path: The database file (``":memory:"`` for an in-memory store).
        problem: What went wrong, e.g. ``"read-only: settings cannot be saved ..."``.

    """

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    @property
    def busy(self) -> bool:
        """Whether another connection held the database too long (worth retrying later)."""
        return self.problem == _BUSY


@dataclass(frozen=True)
class OptOut:
    """One opt-out: a user (everywhere on a platform) or a chat asked the bot to stay out.

    Attributes:
        kind: ``"user"`` or ``"chat"``.
        subject_id: The user's or chat's id, as text.
        since: When the opt-out was recorded, ISO 8601 in UTC.

    """

    kind: Literal["user", "chat"]
    subject_id: str
    since: str


@dataclass(frozen=True)
class OptOuts:
    """The opt-outs among some chats and users of one platform (:meth:`SettingsStore.opt_outs_of`).

    Attributes:
        chats: Chat id -> its opt-out, for the chats asked about that opted out.
        users: User id -> their opt-out, for the users asked about that opted out.

    """

    chats: Mapping[str, OptOut]
    users: Mapping[str, OptOut]

    def of(self, chat_id: str | int | None, user_id: str | int | None) -> OptOut | None:
        """What :meth:`SettingsStore.opt_out` says of a chat and user: the chat's, else theirs."""
        chat = None if chat_id is None else self.chats.get(str(chat_id))
        if chat is not None or user_id is None:
            return chat
        return self.users.get(str(user_id))


@dataclass(frozen=True)
class DeletionReport:
    """How many rows a deletion removed, table by table.

    Attributes:
        chats: Rows of per-chat settings.
        opt_outs: Opt-out rows.
        mood_rows: Rows of daily mood counts (one per chat, day and mood).

    """

    chats: int
    opt_outs: int
    mood_rows: int

    @property
    def total(self) -> int:
        """Rows removed in all."""
        return self.chats + self.opt_outs + self.mood_rows


class SettingsStore:
    """Per-chat settings overrides, opt-outs and mood counts in one SQLite file.

    Build one with :meth:`open`; the constructor only wraps a connection that is already set
    up. Every method may be called from any thread. Ids may be given as ``str`` or ``int`` and
    are stored as ``str(id)``.
    """

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        """Wraps an open connection; :meth:`open` builds it and migrates the schema.

        Args:
            connection: Opened with ``isolation_level=None`` (transactions are explicit) and
                ``check_same_thread=False``.
            path: The database's path, used in error messages.

        """
        self._connection: sqlite3.Connection | None = connection
        self._reader: sqlite3.Connection | None = None
        self._path = path
        self._lock = threading.Lock()  # the writer (and the reader until one is attached)
        self._read_lock = self._lock
        self.write_timeout = WRITE_TIMEOUT_S
        self._waiting_since: float | None = None
        self._failing_since: float | None = None
        self._counts = _BackgroundCounts(self)
        self._noted = False  # counted in _open_files

    # ----------------------------------------------------------------------------------------
    # Opening and closing
    # ----------------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        read_only: bool = False,
        timeout: float = BUSY_TIMEOUT_S,
        write_timeout: float | None = None,
    ) -> SettingsStore:
        """Opens (creating if needed) the store at ``path`` and brings its schema up to date.

        Args:
            path: The database file; its parent directories are created. ``":memory:"`` opens
                a private in-memory store.
            read_only: Open the file without write access (it must exist and be up to date);
                every write then raises :class:`StoreError`.
            timeout: Seconds to wait for another connection's lock while opening.
            write_timeout: Seconds one write waits in all; by default ``timeout`` or
                :data:`WRITE_TIMEOUT_S`, whichever is shorter.

        Returns:
            The open store.

        Raises:
            StoreError: The file is not a readable SQLite database, was written by a newer
                moodmoji, cannot be written (read-only file or directory), or stayed locked.
                In every case the file is left as it was.
            ValueError: ``read_only`` with ``":memory:"``.

        """
        name = str(path)
        memory = name == MEMORY
        if memory and read_only:
            raise ValueError("an in-memory store cannot be opened read-only")
        if memory:
            return cls._open(name, read_only=False, timeout=timeout, write_timeout=write_timeout)
        files = _files_of(Path(path))
        existed = {f for f in files if f.exists()}
        try:
            _check_file(Path(path), read_only=read_only)
            return cls._open(
                name, read_only=read_only, timeout=timeout, write_timeout=write_timeout
            )
        except StoreError:
            # a store that fails to open leaves nothing behind: no empty file of its own
            _remove_if_new_and_empty([f for f in files if f not in existed])
            raise

    @classmethod
    def _open(
        cls, name: str, *, read_only: bool, timeout: float, write_timeout: float | None
    ) -> SettingsStore:
        """Connects, checks, migrates and attaches the reader (see :meth:`open`)."""
        path = name
        memory = name == MEMORY
        try:
            if memory:
                connection = sqlite3.connect(MEMORY, isolation_level=None, check_same_thread=False)
            elif read_only:
                connection = _connect_read_only(Path(path), timeout)
            else:
                connection = sqlite3.connect(
                    path, timeout=timeout, isolation_level=None, check_same_thread=False
                )
        except sqlite3.Error as exc:
            raise StoreError(name, _problem(exc, opening=True)) from exc
        store = cls(connection, name)
        store.write_timeout = (
            min(timeout, WRITE_TIMEOUT_S) if write_timeout is None else write_timeout
        )
        try:
            store._prepare(
                timeout=timeout, wal=not memory and not read_only, writable=not read_only
            )
            version = store.migrate()
        except BaseException:
            store.close()
            raise
        if not memory:
            try:
                store._attach_reader(Path(path), read_only=read_only, timeout=timeout)
            except BaseException:
                store.close()
                raise
            _note_open(name, +1)
            store._noted = True
        logger.info("settings store %s open at schema version %d", name, version)
        return store

    def _attach_reader(self, path: Path, *, read_only: bool, timeout: float) -> None:
        """Opens the connection that serves reads from now on, with a lock of its own."""
        try:
            if read_only:
                reader = _connect_read_only(path, timeout)
            else:
                reader = sqlite3.connect(
                    path, timeout=timeout, isolation_level=None, check_same_thread=False
                )
            reader.execute("PRAGMA query_only = ON")
        except sqlite3.Error as exc:
            raise StoreError(self._path, _problem(exc, opening=True)) from exc
        self._reader = reader
        self._read_lock = threading.Lock()

    def _prepare(self, *, timeout: float, wal: bool, writable: bool) -> None:
        """Checks the file reads as a sound, not-newer database, then sets the connection up."""
        with self._reading(opening=True) as connection:
            connection.execute(f"PRAGMA busy_timeout = {max(0, round(timeout * 1000))}")
            version = _user_version(connection)
            self._refuse_newer(version)
            if [tuple(row) for row in connection.execute("PRAGMA quick_check")] != [("ok",)]:
                raise StoreError(self._path, _CORRUPT_AT_OPEN)
            if writable:
                # A read-only file opens without complaint, and BEGIN IMMEDIATE succeeds on it;
                # only an actual change is refused. Change nothing, then roll back.
                connection.execute("BEGIN IMMEDIATE")
                try:
                    connection.execute(f"PRAGMA user_version = {version}")
                finally:
                    _roll_back(connection)
            # deleted rows are overwritten, not left in free pages (forget-me)
            connection.execute("PRAGMA secure_delete = ON")
            if wal:
                mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    logger.warning("%s: WAL journal unavailable, using %s", self._path, mode)
                connection.execute("PRAGMA synchronous = NORMAL")

    def _refuse_newer(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(
                self._path,
                f"written by a newer moodmoji (schema version {version}; this version knows up "
                f"to {SCHEMA_VERSION}); it was left untouched",
            )

    def migrate(self) -> int:
        """Applies the missing :data:`MIGRATIONS`, each in its own transaction.

        Safe when several processes open an old file at once: each step re-reads the version
        inside its transaction and skips what another process already did.

        Returns:
            The schema version after migrating (:data:`SCHEMA_VERSION`).

        Raises:
            StoreError: The file is newer than this code, or could not be written.

        """
        with self._reading() as connection:
            version = _user_version(connection)
            self._refuse_newer(version)
            for target in range(version + 1, SCHEMA_VERSION + 1):
                connection.execute("BEGIN IMMEDIATE")
                try:
                    if _user_version(connection) < target:
                        for statement in _statements(MIGRATIONS[target - 1]):
                            connection.execute(statement)
                        connection.execute(f"PRAGMA user_version = {target}")
                        logger.info("%s: migrated the schema to version %d", self._path, target)
                    connection.execute("COMMIT")
                finally:
                    _roll_back(connection)
            return _user_version(connection)

    @property
    def path(self) -> str:
        """The database's path (``":memory:"`` for an in-memory store)."""
        return self._path

    @property
    def schema_version(self) -> int:
        """The file's schema version (``PRAGMA user_version``)."""
        with self._reading() as connection:
            return _user_version(connection)

    def health(self) -> str | None:
        """What keeps writes from succeeding now, or ``None`` when they go through.

        Busy when the last write gave up on another connection's lock (and none has succeeded
        since), or when a write has been waiting more than :data:`SLOW_WRITE_S`.
        """
        if self._failing_since is not None and self._write_lock_is_free():
            self._failing_since = None
        now = time.monotonic()
        failing, waiting = self._failing_since, self._waiting_since
        if failing is not None:
            return f"busy: writes have failed for {now - failing:.0f} s (another process's lock)"
        if waiting is not None and now - waiting > SLOW_WRITE_S:
            return f"busy: a write has waited {now - waiting:.1f} s for another process's lock"
        return None

    def _write_lock_is_free(self) -> bool:
        """Whether a write could start now (tried without waiting, nothing is written)."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            connection = self._connection
            if connection is None:
                return False
            connection.execute("PRAGMA busy_timeout = 0")
            connection.execute("BEGIN IMMEDIATE")
            _roll_back(connection)
            return True
        except sqlite3.Error:
            return False
        finally:
            self._lock.release()

    def close(self) -> None:
        """Writes the pending mood counts, then closes; later calls raise :class:`StoreError`.

        Idempotent.
        """
        self._counts.close(self.write_timeout * 2)
        if self._noted:
            self._noted = False
            _note_open(self._path, -1)
        with self._lock:
            if self._connection is not None:
                with suppress(sqlite3.Error):
                    self._connection.close()
                self._connection = None
        with self._read_lock:
            if self._reader is not None:
                with suppress(sqlite3.Error):
                    self._reader.close()
                self._reader = None

    def __enter__(self) -> SettingsStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ----------------------------------------------------------------------------------------
    # Chat settings
    # ----------------------------------------------------------------------------------------

    def chat_overrides(self, platform: str, chat_id: str | int) -> dict[str, Any]:
        """The settings a chat changed, field name -> value (JSON types); ``{}`` if none.

        Raises:
            ValueError: An empty platform or id.
            StoreError: The database could not be read.

        """
        key = (_platform(platform), _subject(chat_id, "chat_id"))
        with self._reading() as connection:
            row = connection.execute(
                "SELECT overrides FROM chat_settings WHERE platform = ? AND chat_id = ?", key
            ).fetchone()
        return self._decode(row[0] if row else None, platform)

    def chat_settings(
        self, platform: str, chat_id: str | int, defaults: ChatSettings
    ) -> ChatSettings:
        """A chat's effective settings: ``defaults`` with the chat's overrides laid over them.

        An override that is no longer valid (say, stored by an older version) is skipped with
        a warning that names the setting, never its value; it does not raise.

        Raises:
            ValueError: An empty platform or id.
            StoreError: The database could not be read.

        """
        return _effective(self.chat_overrides(platform, chat_id), platform, defaults)

    def chat_settings_of(
        self, platform: str, chat_ids: Iterable[str | int], defaults: ChatSettings
    ) -> dict[str, ChatSettings]:
        """:meth:`chat_settings` of several chats of a platform, read in one query.

        Returns:
            Chat id (as text) -> its effective settings, for every chat asked about.

        Raises:
            ValueError: An empty platform or id.
            StoreError: The database could not be read.

        """
        platform = _platform(platform)
        chats = list(dict.fromkeys(_subject(c, "chat_id") for c in chat_ids))
        stored: dict[str, str] = {}
        with self._reading() as connection:
            for part in _chunks(chats):
                marks = ", ".join("?" * len(part))
                stored.update(
                    connection.execute(
                        "SELECT chat_id, overrides FROM chat_settings "
                        f"WHERE platform = ? AND chat_id IN ({marks})",
                        (platform, *part),
                    ).fetchall()
                )
        return {
            chat: _effective(self._decode(stored.get(chat), platform), platform, defaults)
            for chat in chats
        }

    def update_chat(self, platform: str, chat_id: str | int, **changes: Any) -> dict[str, Any]:
        """Merges ``changes`` into a chat's overrides; a value of ``None`` removes that override.

        Every value is checked before anything is written.

        Returns:
            The chat's overrides after the change.

        Raises:
            ValueError: An unknown setting or invalid value (nothing is written), or an empty
                platform or id.
            StoreError: The database could not be written; the previous overrides stay.

        """
        key = (_platform(platform), _subject(chat_id, "chat_id"))
        for name, value in changes.items():
            if value is not None:
                check_override(name, value)
        if not changes:
            return self.chat_overrides(platform, chat_id)
        with self._writing() as connection:
            row = connection.execute(
                "SELECT overrides FROM chat_settings WHERE platform = ? AND chat_id = ?", key
            ).fetchone()
            overrides = self._decode(row[0] if row else None, platform)
            for name, value in changes.items():
                if value is None:
                    overrides.pop(name, None)
                else:
                    overrides[name] = _jsonable(value)
            if overrides:
                connection.execute(
                    "INSERT INTO chat_settings (platform, chat_id, overrides, updated_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (platform, chat_id) DO UPDATE SET "
                    "overrides = excluded.overrides, updated_at = excluded.updated_at",
                    (*key, json.dumps(overrides, sort_keys=True), _now()),
                )
            else:
                connection.execute(
                    "DELETE FROM chat_settings WHERE platform = ? AND chat_id = ?", key
                )
        return overrides

    def reset_chat(self, platform: str, chat_id: str | int) -> None:
        """Drops all of a chat's overrides, so that it follows the defaults again.

        Raises:
            ValueError: An empty platform or id.
            StoreError: The database could not be written.

        """
        key = (_platform(platform), _subject(chat_id, "chat_id"))
        with self._writing() as connection:
            connection.execute("DELETE FROM chat_settings WHERE platform = ? AND chat_id = ?", key)

    # ----------------------------------------------------------------------------------------
    # Opt-outs
    # ----------------------------------------------------------------------------------------

    def set_opt_out(
        self,
        platform: str,
        kind: Literal["user", "chat"],
        subject_id: str | int,
        opted_out: bool,
    ) -> None:
        """Records (``opted_out=True``) or withdraws an opt-out of a user or chat.

        Opting out again keeps the original ``since``.

        Raises:
            ValueError: ``kind`` is neither ``"user"`` nor ``"chat"``, or an empty platform/id.
            StoreError: The database could not be written.

        """
        if kind not in ("user", "chat"):
            raise ValueError(f"kind: should be 'user' or 'chat', not {kind!r}")
        key = (_platform(platform), kind, _subject(subject_id, "subject_id"))
        with self._writing() as connection:
            if opted_out:
                connection.execute(
                    "INSERT INTO opt_outs (platform, kind, subject_id, since) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (platform, kind, subject_id) DO NOTHING",
                    (*key, _now()),
                )
            else:
                connection.execute(
                    "DELETE FROM opt_outs WHERE platform = ? AND kind = ? AND subject_id = ?", key
                )

    def opt_out(
        self, platform: str, chat_id: str | int | None, user_id: str | int | None
    ) -> OptOut | None:
        """The opt-out that keeps the bot out of this message, if any (one query).

        Args:
            platform: The platform of the chat and user.
            chat_id: The chat, or ``None`` to look at the user only.
            user_id: The sender, or ``None`` to look at the chat only.

        Returns:
            The chat's opt-out if it has one, else the user's (which holds in every chat of the
            platform), else ``None``.

        Raises:
            ValueError: An empty platform or id.
            StoreError: The database could not be read.

        """
        platform = _platform(platform)
        chat = None if chat_id is None else _subject(chat_id, "chat_id")
        user = None if user_id is None else _subject(user_id, "user_id")
        if chat is None and user is None:
            return None
        with self._reading() as connection:
            row = connection.execute(
                "SELECT kind, subject_id, since FROM opt_outs WHERE platform = ? AND ("
                "(kind = 'chat' AND subject_id = ?) OR (kind = 'user' AND subject_id = ?)) "
                "ORDER BY kind = 'chat' DESC LIMIT 1",
                (platform, chat, user),
            ).fetchone()
        if row is None:
            return None
        return _opt_out(row)

    def opt_outs_of(
        self, platform: str, chat_ids: Iterable[str | int], user_ids: Iterable[str | int]
    ) -> OptOuts:
        """The opt-outs among several chats and users of a platform, read at once.

        ``opt_outs_of(p, chats, users).of(chat, user)`` is :meth:`opt_out` of that chat and
        user, for a batch of messages in one query instead of one per message.

        Raises:
            ValueError: An empty platform or id.
            StoreError: The database could not be read.

        """
        platform = _platform(platform)
        chats = dict.fromkeys(_subject(c, "chat_id") for c in chat_ids)
        users = dict.fromkeys(_subject(u, "user_id") for u in user_ids)
        subjects = [("chat", c) for c in chats] + [("user", u) for u in users]
        found: dict[str, dict[str, OptOut]] = {"chat": {}, "user": {}}
        with self._reading() as connection:
            for part in _chunks(subjects):
                clauses, params = [], [platform]
                for kind in ("chat", "user"):
                    ids = [subject for k, subject in part if k == kind]
                    if ids:
                        marks = ", ".join("?" * len(ids))
                        clauses.append(f"(kind = '{kind}' AND subject_id IN ({marks}))")
                        params += ids
                rows = connection.execute(
                    "SELECT kind, subject_id, since FROM opt_outs "
                    f"WHERE platform = ? AND ({' OR '.join(clauses)})",
                    params,
                ).fetchall()
                for row in rows:
                    found[str(row[0])][str(row[1])] = _opt_out(row)
        return OptOuts(chats=MappingProxyType(found["chat"]), users=MappingProxyType(found["user"]))

    # ----------------------------------------------------------------------------------------
    # Mood counts
    # ----------------------------------------------------------------------------------------

    def record_mood(
        self,
        platform: str,
        chat_id: str | int,
        mood: str,
        *,
        day: datetime.date | None = None,
        count: int = 1,
    ) -> None:
        """Adds ``count`` to a chat's counter of ``mood`` on ``day`` (atomically).

        Args:
            platform: The chat's platform.
            chat_id: The chat.
            mood: A mood name: 1 to 32 characters of ``a-z``, ``_`` and ``-``.
            day: The UTC day; today (UTC) by default.
            count: How much to add (1 or more).

        Raises:
            ValueError: An invalid mood name or count, or an empty platform or id.
            StoreError: The database could not be written.

        """
        key = (_platform(platform), _subject(chat_id, "chat_id"))
        _check_mood(mood)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count: should be a whole number of 1 or more, not {count!r}")
        when = _day(day) if day is not None else datetime.datetime.now(datetime.UTC).date()
        with self._writing() as connection:
            connection.execute(
                "INSERT INTO mood_counts (platform, chat_id, day, mood, count) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, chat_id, day, mood) "
                "DO UPDATE SET count = count + excluded.count",
                (*key, when.isoformat(), mood, count),
            )

    def count_mood(self, platform: str, chat_id: str | int, mood: str) -> None:
        """Adds one to a chat's count of ``mood`` today, in the background (never waits).

        For messages flowing past: the count is written by a background thread, so a store
        that another process holds never delays a decision. :meth:`mood_counts` and
        :meth:`close` write what is pending first. A full queue drops the count (logged).

        Raises:
            ValueError: An invalid mood name, or an empty platform or id.
            StoreError: The store is closed.
        """
        self.count_moods([(platform, chat_id, mood)])

    def count_moods(self, counts: Iterable[tuple[str, str | int, str]]) -> None:
        """Adds one per ``(platform, chat_id, mood)`` to today's counts, in the background.

        :meth:`count_mood` for a batch of messages: the counts join the ones waiting for the
        background writer at once (see the module docstring for when they are written).

        Raises:
            ValueError: An invalid mood name, or an empty platform or id (nothing is counted).
            StoreError: The store is closed.
        """
        keys = [(_platform(p), _subject(c, "chat_id"), m) for p, c, m in counts]
        for _, _, mood in keys:
            _check_mood(mood)
        self._live()
        if keys:
            self._counts.add(keys, datetime.datetime.now(datetime.UTC).date())

    def _write_mood_counts(self, counts: Mapping[_CountKey, int]) -> None:
        """Adds waiting counts to their counters, all in one transaction.

        Raises:
            StoreError: The database could not be written; no counter changed.
        """
        rows = [
            (platform, chat_id, day.isoformat(), mood, count)
            for (platform, chat_id, mood, day), count in counts.items()
        ]
        with self._writing() as connection:
            connection.executemany(
                "INSERT INTO mood_counts (platform, chat_id, day, mood, count) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, chat_id, day, mood) "
                "DO UPDATE SET count = count + excluded.count",
                rows,
            )

    def flush(self, timeout: float | None = None) -> bool:
        """Waits until the pending mood counts are written (or given up); whether they were."""
        return self._counts.flush(self.write_timeout * 2 if timeout is None else timeout)

    def mood_counts(
        self, platform: str, chat_id: str | int, *, since: datetime.date | None = None
    ) -> dict[str, dict[str, int]]:
        """A chat's mood counts per day: ``{'YYYY-MM-DD': {mood: count}}``, days ascending.

        Args:
            platform: The chat's platform.
            chat_id: The chat.
            since: Only this day (UTC) and later; all days by default.

        Raises:
            ValueError: An empty platform or id.
            StoreError: The database could not be read.

        """
        self.flush()
        sql = "SELECT day, mood, count FROM mood_counts WHERE platform = ? AND chat_id = ?"
        params: tuple[str, ...] = (_platform(platform), _subject(chat_id, "chat_id"))
        if since is not None:
            sql += " AND day >= ?"
            params += (_day(since).isoformat(),)
        with self._reading() as connection:
            rows = connection.execute(sql + " ORDER BY day, mood", params).fetchall()
        out: dict[str, dict[str, int]] = {}
        for day, mood, count in rows:
            out.setdefault(str(day), {})[str(mood)] = int(count)
        return out

    # ----------------------------------------------------------------------------------------
    # Deleting data
    # ----------------------------------------------------------------------------------------

    def delete_user(self, platform: str, user_id: str | int) -> DeletionReport:
        """Deletes everything the store holds about a user: their opt-out row, if any.

        The store keeps no other per-user data: mood counts are per chat and day, never per
        person, and no message text is ever stored.

        Raises:
            ValueError: An empty platform or id.
            StoreError: The database could not be written.

        """
        key = (_platform(platform), _subject(user_id, "user_id"))
        with self._writing() as connection:
            removed = connection.execute(
                "DELETE FROM opt_outs WHERE platform = ? AND kind = 'user' AND subject_id = ?",
                key,
            ).rowcount
        report = DeletionReport(chats=0, opt_outs=removed, mood_rows=0)
        self._truncate_wal()
        logger.info("deleted the stored data of a %s user (%d rows)", platform, report.total)
        return report

    def delete_chat(self, platform: str, chat_id: str | int) -> DeletionReport:
        """Deletes everything the store holds about a chat: settings, opt-out and mood counts.

        Raises:
            ValueError: An empty platform or id.
            StoreError: The database could not be written; nothing is deleted then.

        """
        key = (_platform(platform), _subject(chat_id, "chat_id"))
        self.flush()  # a count still waiting must not outlive the deletion
        with self._writing() as connection:
            chats = connection.execute(
                "DELETE FROM chat_settings WHERE platform = ? AND chat_id = ?", key
            ).rowcount
            opt_outs = connection.execute(
                "DELETE FROM opt_outs WHERE platform = ? AND kind = 'chat' AND subject_id = ?",
                key,
            ).rowcount
            mood_rows = connection.execute(
                "DELETE FROM mood_counts WHERE platform = ? AND chat_id = ?", key
            ).rowcount
        report = DeletionReport(chats=chats, opt_outs=opt_outs, mood_rows=mood_rows)
        self._truncate_wal()
        logger.info("deleted the stored data of a %s chat (%d rows)", platform, report.total)
        return report

    def _truncate_wal(self) -> None:
        """Moves every committed change into the main file and empties the -wal file.

        The -wal file holds the pages as they were before a deletion until a checkpoint, so
        without this the deleted ids would stay readable there until a clean stop (or for
        good, after a crash). ``secure_delete`` has already zeroed them in the new pages. A
        checkpoint that another process's open read keeps from finishing is logged; the next
        deletion or a clean stop finishes it.
        """
        if self._path == MEMORY:
            return
        with self._writer() as connection:
            busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            logger.warning(
                "%s: another connection is reading; the -wal file is emptied later", self._path
            )

    # ----------------------------------------------------------------------------------------
    # Plumbing
    # ----------------------------------------------------------------------------------------

    def _live(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StoreError(self._path, "the store is closed")
        return self._connection

    @contextmanager
    def _reading(self, *, opening: bool = False) -> Iterator[sqlite3.Connection]:
        """The reading connection, under its lock; SQLite errors become :class:`StoreError`."""
        with self._read_lock:
            self._live()
            connection = self._reader if self._reader is not None else self._live()
            try:
                yield connection
            except sqlite3.Error as exc:
                _roll_back(connection)
                raise StoreError(self._path, _problem(exc, opening=opening)) from exc

    @contextmanager
    def _writer(self) -> Iterator[sqlite3.Connection]:
        """The writing connection, under its lock, within :attr:`write_timeout` in all.

        The time spent waiting for this store's own lock counts against the SQLite busy
        timeout of the same write, so writes queued behind a stuck one fail together rather
        than one after another.
        """
        started = time.monotonic()
        self._waiting_since = self._waiting_since or started
        try:
            if not self._lock.acquire(timeout=self.write_timeout):
                self._failing_since = self._failing_since or started
                raise StoreError(self._path, _BUSY)
            try:
                connection = self._live()
                left = max(0.0, self.write_timeout - (time.monotonic() - started))
                try:
                    connection.execute(f"PRAGMA busy_timeout = {round(left * 1000)}")
                    yield connection
                except sqlite3.Error as exc:
                    _roll_back(connection)
                    problem = _problem(exc)
                    if problem == _BUSY:
                        self._failing_since = self._failing_since or started
                    raise StoreError(self._path, problem) from exc
            finally:
                self._lock.release()
        finally:
            self._waiting_since = None
        self._failing_since = None

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``), rolled back on error."""
        with self._writer() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                connection.execute("COMMIT")
            finally:
                _roll_back(connection)

    def _decode(self, text: str | None, platform: str) -> dict[str, Any]:
        """Stored overrides as a dict; unreadable JSON counts as none (with a warning)."""
        if text is None:
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            logger.warning("ignoring the unreadable stored settings of a %s chat", platform)
            return {}
        return value


_open_files: dict[str, int] = {}
_open_files_lock = threading.Lock()


def _opened_here(path: Path) -> bool:
    with _open_files_lock:
        return str(path.resolve()) in _open_files


def _note_open(path: str, change: int) -> None:
    """Counts the stores of this process that have ``path`` open (``change`` is +1 or -1)."""
    key = str(Path(path).resolve())
    with _open_files_lock:
        count = _open_files.get(key, 0) + change
        if count > 0:
            _open_files[key] = count
        else:
            _open_files.pop(key, None)


def _files_of(path: Path) -> list[Path]:
    """The database file and the -wal and -shm files SQLite keeps beside it."""
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _remove_if_new_and_empty(paths: list[Path]) -> None:
    """Removes files a failed open created, as long as nothing was written to them."""
    for path in paths:
        with suppress(OSError):
            if path.is_file() and path.stat().st_size == 0:
                path.unlink()


def _check_file(path: Path, *, read_only: bool) -> None:
    """Refuses, before SQLite touches it, a path that cannot be a settings database."""
    if path.is_dir():
        raise StoreError(path, "is a directory, not a settings database")
    if read_only:
        if not path.exists():
            raise StoreError(path, "does not exist (and was to be opened read-only)")
    else:
        try:
            # a folder made here is the owner's only: the store names chats and users
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(path, f"read-only: cannot create its directory ({exc})") from exc
    if _opened_here(path):
        # SQLite already has this file open in this process, so it is a database; opening
        # and closing it here would drop SQLite's POSIX locks on it (closing any descriptor
        # of a file ends all of a process's locks on it), which can corrupt a WAL database.
        head = _SQLITE_MAGIC
    else:
        try:
            with path.open("rb") as file:
                head = file.read(len(_SQLITE_MAGIC))
        except FileNotFoundError:
            head = b""
        except OSError as exc:
            raise StoreError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if head and head != _SQLITE_MAGIC:
        raise StoreError(path, _CORRUPT_AT_OPEN)
    # SQLite would open a read-only file without complaint and create its -wal and -shm files
    # with the file's (read-only) mode, which would outlive a later chmod of the file itself.
    if not read_only and (
        not os.access(path.parent, os.W_OK | os.X_OK) or (head and not os.access(path, os.W_OK))
    ):
        raise StoreError(path, _READ_ONLY)
    if not read_only and not head:
        _create_owner_only(path)


def _create_owner_only(path: Path) -> None:
    """Creates an empty database file readable by its owner only (0600).

    SQLite gives the -wal and -shm files the mode of the database file, so they are
    owner-only too. An existing file keeps its mode (the operator's choice).
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(path, f"cannot be created ({exc.strerror or exc})") from exc


def _connect_read_only(path: Path, timeout: float) -> sqlite3.Connection:
    """A ``mode=ro`` connection; ``immutable`` where WAL files cannot be made (read-only media).

    Reading a WAL database needs its -shm file, which SQLite cannot create in a read-only
    directory. When there is no -wal file either, the main file holds every committed change,
    so it is read as immutable instead.
    """
    uri = path.resolve().as_uri() + "?mode=ro"
    connection = sqlite3.connect(
        uri, uri=True, timeout=timeout, isolation_level=None, check_same_thread=False
    )
    try:
        connection.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error as exc:
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code not in (_SQLITE_READONLY, _SQLITE_CANTOPEN) or Path(f"{path}-wal").exists():
            return connection  # the caller reports the error
        connection.close()
        connection = sqlite3.connect(
            f"{uri}&immutable=1", uri=True, isolation_level=None, check_same_thread=False
        )
    return connection


def _problem(exc: sqlite3.Error, *, opening: bool = False) -> str:
    """The :attr:`StoreError.problem` for a SQLite error."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or "database is locked" in text:
        return _BUSY
    if primary in (_SQLITE_READONLY, _SQLITE_CANTOPEN) or "readonly" in text:
        return _READ_ONLY
    if "unable to open" in text:
        return _READ_ONLY
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "not a database" in text:
        return _CORRUPT_AT_OPEN if opening else f"corrupt: the database file is damaged ({exc})"
    if "malformed" in text:
        return _CORRUPT_AT_OPEN if opening else f"corrupt: the database file is damaged ({exc})"
    if primary == _SQLITE_FULL:
        return f"disk full: settings cannot be saved ({exc})"
    if opening and "disk i/o error" in text:
        return f"cannot be written at start-up ({exc}: is the disk full?)"
    return f"database error: {exc}"


def _effective(overrides: Mapping[str, Any], platform: str, defaults: ChatSettings) -> ChatSettings:
    """``defaults`` with a chat's stored overrides laid over them, stale ones skipped (logged)."""
    valid: dict[str, Any] = {}
    for name, value in overrides.items():
        try:
            check_override(name, value)
        except ValueError:
            logger.warning(
                "ignoring the stored setting %s of a %s chat: no longer valid", name, platform
            )
        else:
            valid[name] = value
    return defaults.with_overrides(valid) if valid else defaults


def _opt_out(row: Sequence[Any]) -> OptOut:
    """An opt-out from its ``kind, subject_id, since`` row."""
    kind: Literal["user", "chat"] = "chat" if row[0] == "chat" else "user"
    return OptOut(kind=kind, subject_id=str(row[1]), since=str(row[2]))


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """``values`` in runs short enough to be bound in one statement each."""
    for start in range(0, len(values), _MOST_PARAMETERS):
        yield values[start : start + _MOST_PARAMETERS]


def _check_mood(mood: object) -> None:
    if not isinstance(mood, str) or not _MOOD.fullmatch(mood):
        raise ValueError(f"mood: should be 1 to 32 characters of a-z, _ and -, not {mood!r}")


def _roll_back(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        with suppress(sqlite3.Error):
            connection.execute("ROLLBACK")


def _user_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def _statements(script: str) -> Iterator[str]:
    """The statements of an SQL script, one by one (``executescript`` would commit)."""
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            buffer = ""
            if statement != ";":
                yield statement
    if buffer.strip(" \t\r\n;"):
        raise ValueError(f"incomplete SQL statement in a migration: {buffer.strip()[:60]!r}")


def _platform(platform: str) -> str:
    if not isinstance(platform, str) or not platform:
        raise ValueError(f"platform: should be a non-empty string, not {platform!r}")
    return platform


def _subject(value: str | int, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
        raise ValueError(f"{what}: should be a non-empty string or an integer")
    return str(value)


def _day(value: datetime.date) -> datetime.date:
    """The calendar day of a date (a ``datetime`` counts by its own date)."""
    if not isinstance(value, datetime.date):
        raise ValueError(f"day: should be a date, not {value!r}")
    return datetime.date(value.year, value.month, value.day)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _jsonable(value: Any) -> Any:
    """A checked setting's value in JSON types (modes as text, mappings as dicts)."""
    if isinstance(value, Mode):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


#: What a waiting mood count is kept under: platform, chat id, mood and UTC day.
_CountKey = tuple[str, str, str, datetime.date]


class _BackgroundCounts:
    """Mood counts written by one daemon thread, so that counting never waits on the store.

    Counts wait in memory, added up per chat, day and mood; the thread writes everything that
    waits in one transaction once the first of them has waited :attr:`interval` seconds, or at
    once when someone waits for them (:meth:`flush`, :meth:`close`). A busy store keeps them for
    another try (:data:`COUNT_RETRY_S` later, then the next interval).

    Args:
        store: The store whose :meth:`SettingsStore._write_mood_counts` writes them.
        interval: Seconds counts gather before they are written.

    """

    def __init__(self, store: SettingsStore, interval: float = COUNT_INTERVAL_S) -> None:
        self._store = store
        self.interval = interval
        self._pending: dict[_CountKey, int] = {}
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self._busy = False
        self._closed = False
        self._hurry = 0  # callers waiting for the pending counts to be written
        self._dropped = 0

    def add(self, keys: Sequence[tuple[str, str, str]], day: datetime.date) -> None:
        """Counts one for each ``(platform, chat_id, mood)`` of ``keys`` on ``day``."""
        with self._condition:
            if self._closed:
                return
            idle = not self._pending
            for platform, chat_id, mood in keys:
                self._add(platform, chat_id, mood, day)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="moodmoji-mood-counts", daemon=True
                )
                self._thread.start()
            if idle and self._pending:
                self._condition.notify_all()  # the writer starts its interval

    def _add(self, platform: str, chat_id: str, mood: str, day: datetime.date) -> None:
        key = (platform, chat_id, mood, day)
        if key not in self._pending and len(self._pending) >= MAX_PENDING_COUNTS:
            self._dropped += 1
            if self._dropped in (1, 10, 100) or self._dropped % 1000 == 0:
                logger.warning(
                    "%d mood count(s) dropped: the store is not keeping up", self._dropped
                )
            return
        self._pending[key] = self._pending.get(key, 0) + 1

    def flush(self, timeout: float) -> bool:
        """Has the waiting counts written now; whether they were within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._condition:
            self._hurry += 1
            self._condition.notify_all()
            try:
                while self._pending or self._busy:
                    left = deadline - time.monotonic()
                    if left <= 0 or self._thread is None:
                        return False
                    self._condition.wait(left)
            finally:
                self._hurry -= 1
        return True

    def close(self, timeout: float) -> None:
        self.flush(timeout)
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._pending and not self._closed:
                    self._condition.wait()
                if not self._pending:
                    return
                self._gather()
                batch, self._pending = self._pending, {}
                self._busy = True
            retry = self._write(batch)
            with self._condition:
                for key, count in retry.items():  # kept for the next try
                    self._pending[key] = self._pending.get(key, 0) + count
                self._busy = False
                self._condition.notify_all()
                if retry:
                    self._condition.wait(COUNT_RETRY_S)

    def _gather(self) -> None:
        """Lets counts gather for an interval, unless someone waits for them (lock held)."""
        deadline = time.monotonic() + self.interval
        while not self._closed and not self._hurry:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._condition.wait(left)

    def _write(self, batch: dict[_CountKey, int]) -> dict[_CountKey, int]:
        """Writes a batch of counts in one transaction; what to try again (a busy store)."""
        try:
            self._store._write_mood_counts(batch)
        except StoreError as exc:
            if exc.busy and not self._closed:
                logger.warning("mood counts wait for another try: %s", exc.problem)
                return batch
            logger.warning("%d mood count(s) were not written: %s", len(batch), exc.problem)
        except Exception:  # the writer thread must live on; the counts are lost
            logger.exception("%d mood count(s) were not written", len(batch))
        return {}
