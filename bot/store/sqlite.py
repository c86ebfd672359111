"""The SQLite backend of the settings store: settings, opt-outs, mood counts in one file.

One SQLite file holds, keyed by platform (``"telegram"``, ``"discord"``, ``"http"``,
``"console"``) and by chat or user id (stored as TEXT, so that Telegram integers and Discord
snowflakes look alike):

- ``chat_settings``: the fields of :class:`~bot.chat_settings.ChatSettings` a chat changed, as a
  JSON object (every value is checked with :func:`~bot.chat_settings.check_override` first);
- ``opt_outs``: users (everywhere on a platform) and chats that asked the bot to leave them be;
- ``mood_counts``: how many messages of each mood a chat had per UTC day;
- ``update_claims``: platform updates already claimed (:meth:`SettingsStore.claim_update`).

The store never holds the text of a message, nor anything else about a person beyond a user
opt-out row: mood counts are per chat and day, never per user.

The schema is versioned with ``PRAGMA user_version``; the steps of :mod:`bot.store.migrations`
are applied in order, each in its own transaction, when a store is opened. Several processes may
share one file (WAL journal, busy timeout), and one :class:`SettingsStore` may be shared by
threads. Every failure of the database reaches callers as :class:`StoreError`, whose ``str()``
names the file; a file that fails to open is never modified.

**Reads never wait on writes.** A file store keeps two connections: reads (opt-outs, a chat's
settings, mood stats) go through one, writes through the other, each behind its own lock. In WAL
mode a read goes on while another connection, in this process or another, holds the write lock,
so a decision is never held up by a write that waits. A write waits at most
:data:`~bot.store.common.WRITE_TIMEOUT_S` in all (for this store's own writer and for other
processes' locks), then raises a busy :class:`StoreError` (:attr:`StoreError.busy`);
:meth:`SettingsStore.health` says so until a write succeeds again. Mood counts of messages
flowing past (:meth:`SettingsStore.count_mood`, :meth:`SettingsStore.count_moods`) are written
by a background thread, off the decision path.

**Mood counts are written once per interval.** Counts wait in memory, added up per chat, day and
mood, and the background writer writes all of them in one transaction every
:data:`~bot.store.counts.COUNT_INTERVAL_S` (one statement per chat, day and mood that changed,
never one write per message). Reading the counts (:meth:`SettingsStore.mood_counts`), forgetting
a chat, :meth:`SettingsStore.flush` and :meth:`SettingsStore.close` write what waits first, so a
clean stop loses nothing. A crash or a kill loses the counts of the last interval at most (plus
any that waited for a store another process held); a transaction writes all its counts or none.

A batch's gate reads look up all its chats and authors at once: their opt-outs in one query
(:meth:`SettingsStore.opt_outs_of`), their chats' settings in another
(:meth:`SettingsStore.chat_settings_of`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from moodmoji.bot.store.common import (
    BUSY,
    SLOW_WRITE_S,
    WRITE_TIMEOUT_S,
    SqlStore,
    StoreError,
)
from moodmoji.bot.store.migrations import MIGRATIONS, SCHEMA_VERSION

__all__ = ["BUSY_TIMEOUT_S", "MEMORY", "SettingsStore"]

logger = logging.getLogger(__name__)

MEMORY = ":memory:"
"""The path that opens a private, in-memory store (for tests and the console)."""

BUSY_TIMEOUT_S = 5.0
"""How long opening (and migrating) a store waits for another connection's lock."""

_SQLITE_MAGIC = b"SQLite format 3\x00"

_CORRUPT_AT_OPEN = (
    "not a readable SQLite database (corrupt, or another kind of file); it was left untouched"
)
_READ_ONLY = (
    "read-only: settings cannot be saved (no write access to the file, its directory or its "
    "-wal/-shm files, or the store was opened read-only)"
)
_BUSY = BUSY

# Primary SQLite result codes (the low byte of an extended code).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 5, 6, 8
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26


class SettingsStore(SqlStore):
    """Per-chat settings overrides, opt-outs, mood counts and update claims in one SQLite file.

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
        super().__init__(path)
        self._connection: sqlite3.Connection | None = connection
        self._reader: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # the writer (and the reader until one is attached)
        self._read_lock = self._lock
        self._waiting_since: float | None = None
        self._failing_since: float | None = None
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

    def _after_delete(self, tables: tuple[str, ...]) -> None:
        self._truncate_wal()

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
