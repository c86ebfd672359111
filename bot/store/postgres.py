"""The PostgreSQL backend of the settings store, for bots that run on several hosts.

Holds what :class:`~bot.store.sqlite.SettingsStore` holds (per-chat settings overrides,
opt-outs, daily mood counts, update claims; never message text), with the same queries
(:class:`~bot.store.common.SqlStore`), in a database reached through a
:class:`psycopg_pool.ConnectionPool` (psycopg 3; ``pip install 'moodmoji[postgres]'``).

- **Schema.** Opening the store migrates it (the steps of :mod:`bot.store.migrations`, each in
  its own transaction under an advisory lock, so that processes starting together migrate
  once); the version lives in the one-row table ``moodmoji_schema``. A database at a newer
  version is refused untouched.
- **Errors.** Every failure is a :class:`~bot.store.common.StoreError` whose ``path`` names
  the server as ``host:port/database`` (never the user's password). A server that cannot be
  reached (down, restarting, refusing connections) gives ``unavailable``; a write that waited
  :attr:`PostgresStore.write_timeout` for a lock, or a pool with no free connection, gives
  ``busy``. Both are worth retrying, and :meth:`PostgresStore.health` reports them until a
  statement succeeds again.
- **Recovery.** Connections broken by a server restart are replaced: a read retries once on a
  fresh connection, and a write transaction checks its connection with ``BEGIN`` before it
  sends anything (so a write is never sent twice). The pool reconnects in the background.
- **Concurrency.** Every statement runs in autocommit mode or in one short explicit
  transaction; a chat's read-modify-write of its settings holds a transaction-level advisory
  lock for that chat, so concurrent changes from several processes never lose one another.
- **Forget-me.** A deletion is followed by ``VACUUM`` of the tables it touched (best effort),
  so that the deleted rows' old versions do not wait for autovacuum; backups and WAL archives
  of the server keep them for as long as the operator keeps those.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from moodmoji.bot.store.common import (
    SLOW_WRITE_S,
    WRITE_TIMEOUT_S,
    Rows,
    Session,
    SqlStore,
    StoreError,
)
from moodmoji.bot.store.migrations import (
    POSTGRES_MIGRATIONS,
    POSTGRES_VERSION_TABLE,
    SCHEMA_VERSION,
    STEPS,
)

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg import pq
    from psycopg_pool import ConnectionPool, PoolTimeout
except ImportError as exc:  # pragma: no cover - the extra is installed in CI
    raise ImportError(
        "the PostgreSQL store needs psycopg 3 and psycopg-pool: pip install 'moodmoji[postgres]'"
    ) from exc

__all__ = ["CONNECT_TIMEOUT_S", "DEFAULT_POOL_SIZE", "PostgresStore", "Server", "server_name"]

logger = logging.getLogger(__name__)

DEFAULT_POOL_SIZE = 10
"""Most connections one store opens to the server (they are opened as needed)."""
CONNECT_TIMEOUT_S = 5.0
"""How long opening the store waits for the server (and for its first pooled connection)."""
STATEMENT_TIMEOUT_S = 30.0
"""A statement running longer than this is cancelled by the server (a stuck store)."""
HEALTH_RECHECK_S = 1.0
"""While the store fails, ``health()`` has the server tried again at most this often."""
RECONNECT_TIMEOUT_S = 60.0
"""How long the pool keeps trying to replace one lost connection before it gives that try up
(a new one starts when a caller needs a connection)."""

_MIGRATION_LOCK = (0x6D6D6A, 1)
"""Advisory lock key taken while migrating (``mmj``, 1)."""
_CHAT_LOCK_CLASS = 0x6D6D6A + 1
"""Advisory lock class of a chat's settings (the second key is a hash of platform and chat)."""

# SQLSTATEs of a statement that gave up waiting for others (worth trying again).
_BUSY_STATES = {
    "55P03",  # lock_not_available (lock_timeout)
    "40P01",  # deadlock_detected
    "40001",  # serialization_failure
    "57014",  # query_canceled (statement_timeout)
    "53300",  # too_many_connections
}
# SQLSTATE classes / codes of a server that is not there now.
_UNAVAILABLE_STATES = {"57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"}


def server_name(url: str) -> str:
    """A PostgreSQL URL as errors and logs name it: ``host:port/database``, never a password.

    A unix-socket directory (``?host=/run/postgresql``) stands in for the host.
    """
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    try:
        host = parts.hostname or query.get("host") or "localhost"
        port = parts.port or query.get("port") or 5432
    except ValueError:  # a port that is not a number
        host, port = parts.hostname or "?", "?"
    database = unquote(parts.path.lstrip("/")) or query.get("dbname") or parts.username or "?"
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}/{database}"


class PostgresStore(SqlStore):
    """Per-chat settings overrides, opt-outs, mood counts and update claims in PostgreSQL.

    Build one with :meth:`open` (or :func:`~bot.store.open_store`); the constructor only wraps
    a pool that is already open on a migrated database. Every method may be called from any
    thread; ids may be given as ``str`` or ``int`` and are stored as ``str(id)``.
    """

    def __init__(self, pool: ConnectionPool[psycopg.Connection[Any]], server: Server) -> None:
        """Wraps an open pool; :meth:`open` builds it and migrates the schema.

        Args:
            pool: Connections in autocommit mode, with ``lock_timeout`` set (built by
                ``server.open_pool()``).
            server: How to reach the server, and how to build a new pool after an outage.

        """
        super().__init__(server.name)
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = pool
        self._server = server
        self._state_lock = threading.Lock()
        self._renew_lock = threading.Lock()
        self._failing_since: float | None = None
        self._failure: str | None = None
        self._down = False  # the last failure was an unreachable server
        self._down_at = 0.0  # when a call last found it so, or set out to try it again
        self._waiting_since: float | None = None
        self._checking = False
        self._rechecking = False
        self._rechecked_at = 0.0
        self.write_timeout = server.pool_timeout
        self.read_only = server.read_only

    # ------------------------------------------------------------------ opening and closing

    @classmethod
    def open(
        cls,
        url: str,
        *,
        read_only: bool = False,
        timeout: float | None = None,
        write_timeout: float | None = None,
        pool_size: int | None = None,
    ) -> PostgresStore:
        """Connects to the server, brings the schema up to date and opens the pool.

        Args:
            url: ``postgresql://USER[:PASSWORD]@HOST:PORT/DATABASE`` (any libpq URI; options
                such as ``?sslmode=require`` pass through).
            read_only: Never write: the schema must be up to date already, and every write
                raises :class:`StoreError`.
            timeout: Seconds to wait for the server while opening (:data:`CONNECT_TIMEOUT_S`
                by default).
            write_timeout: Seconds a statement waits for another's lock before it gives up
                (busy), and a caller waits for a free connection of the pool;
                :data:`~bot.store.common.WRITE_TIMEOUT_S` by default.
            pool_size: Most connections at once (:data:`DEFAULT_POOL_SIZE` by default).

        Returns:
            The open store.

        Raises:
            StoreError: The server cannot be reached or refused the login, the database was
                written by a newer moodmoji, or the schema could not be brought up to date.
                The message names ``host:port/database``, never the password.
            ValueError: A pool size below 1.

        """
        name = server_name(url)
        size = DEFAULT_POOL_SIZE if pool_size is None else pool_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"pool_size: should be a whole number of 1 or more, not {size!r}")
        wait = CONNECT_TIMEOUT_S if timeout is None else timeout
        writes = WRITE_TIMEOUT_S if write_timeout is None else write_timeout
        try:
            info = psycopg.conninfo.conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise StoreError(name, f"not a usable PostgreSQL URL ({_first_line(exc)})") from None
        password = str(info["password"]) if info.get("password") else None
        options = [
            str(info.get("options") or ""),  # the URL's own (e.g. -c search_path=moodmoji)
            f"-c lock_timeout={max(1, round(writes * 1000))}",
            f"-c statement_timeout={round(STATEMENT_TIMEOUT_S * 1000)}",
            "-c idle_in_transaction_session_timeout=60000",
        ]
        if read_only:
            options.append("-c default_transaction_read_only=on")
        kwargs: dict[str, Any] = {
            "autocommit": True,
            "connect_timeout": max(1, round(wait)),
            "application_name": "moodmoji",
            "options": " ".join(option for option in options if option),
        }
        server = Server(
            url=url,
            name=name,
            password=password,
            kwargs=MappingProxyType(kwargs),
            pool_size=size,
            pool_timeout=writes,
            connect_timeout=wait,
            read_only=read_only,
        )
        _migrate_or_check(server)
        store = cls(server.open_pool(), server)
        logger.info(
            "settings store %s open at schema version %d (PostgreSQL, pool of up to %d)",
            name,
            SCHEMA_VERSION,
            size,
        )
        return store

    def migrate(self) -> int:
        """Applies the missing schema steps (each in its own transaction); the version after.

        :meth:`open` has done this already; calling it again changes nothing.

        Raises:
            StoreError: The database is newer than this code, or could not be written.
        """
        with self._session(write=False) as session:
            version = _apply_migrations(session.connection, self._path)
        return version

    @property
    def schema_version(self) -> int:
        """The database's schema version (the row of ``moodmoji_schema``)."""
        with self._session(write=False) as session:
            return _read_version(session.connection)

    def health(self) -> str | None:
        """What keeps the store from working now, or ``None`` when statements go through.

        Unreachable while the last statement could not reach the server (and none has
        succeeded since); busy while the last write gave up on a lock or a free connection,
        or a write has waited more than :data:`~bot.store.common.SLOW_WRITE_S`. Never waits:
        while failing, it has a background thread try the server again (at most once per
        :data:`HEALTH_RECHECK_S`), so that a store nobody calls still recovers its health.
        """
        now = time.monotonic()
        with self._state_lock:
            failing, failure, waiting = (
                self._failing_since,
                self._failure,
                self._waiting_since,
            )
        if failing is not None and failure is not None:
            self._recheck_soon(now)
            return f"{failure} (failing for {now - failing:.0f} s)"
        if waiting is not None and now - waiting > SLOW_WRITE_S:
            return f"busy: a write has waited {now - waiting:.1f} s for a lock or a connection"
        return None

    def _recheck_soon(self, now: float) -> None:
        """Tries one read in the background; its success clears the failure ``health`` reports."""
        with self._state_lock:
            if self._rechecking or now - self._rechecked_at < HEALTH_RECHECK_S:
                return
            self._rechecking, self._rechecked_at = True, now

        def recheck() -> None:
            try:
                with self._session(write=False, recheck=True) as session:
                    session.execute("SELECT 1")
            except StoreError:
                pass  # still failing: health says so
            finally:
                with self._state_lock:
                    self._rechecking = False

        threading.Thread(target=recheck, name="moodmoji-store-health", daemon=True).start()

    def close(self) -> None:
        """Writes the pending mood counts, then closes the pool; later calls raise StoreError.

        Idempotent.
        """
        self._counts.close(self.write_timeout * 2)
        pool, self._pool = self._pool, None
        if pool is not None:
            with suppress(Exception):
                pool.close(timeout=self.write_timeout)

    def __enter__(self) -> PostgresStore:
        return self

    # ------------------------------------------------------------------ backend hooks

    def _live(self) -> ConnectionPool[psycopg.Connection[Any]]:
        pool = self._pool
        if pool is None:
            raise StoreError(self._path, "the store is closed")
        return pool

    def _reading(self) -> AbstractContextManager[_Session]:
        return self._session(write=False)

    def _writing(self) -> AbstractContextManager[_Session]:
        return self._session(write=True)

    def _lock_chat(self, session: Session, key: tuple[str, str]) -> None:
        session.execute(
            f"SELECT pg_advisory_xact_lock({_CHAT_LOCK_CLASS}, hashtext(?::text || chr(31) || ?))",
            key,
        )

    def _after_delete(self, tables: tuple[str, ...]) -> None:
        """Vacuums the tables a deletion touched, so old row versions go now (best effort)."""
        try:
            with self._session(write=False) as session:
                session.connection.execute(
                    f"VACUUM (SKIP_LOCKED) {', '.join(tables)}"  # names from this module only
                )
        except StoreError as exc:
            logger.warning("%s: VACUUM after a deletion failed: %s", self._path, exc.problem)

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _session(self, *, write: bool, recheck: bool = False) -> Iterator[_Session]:
        """A pooled connection: one transaction when ``write``, else autocommit reads.

        Failures become :class:`StoreError`; a broken connection goes back to the pool, which
        replaces it. While the server is known to be down (a call found it unreachable less
        than :data:`HEALTH_RECHECK_S` ago), calls fail at once instead of each waiting for a
        connection; one call per interval (or a ``recheck``) tries the server again.
        """
        pool = self._live()
        started = time.monotonic()
        with self._state_lock:
            down, failure = self._down and not recheck, self._failure
            if down and started - self._down_at < HEALTH_RECHECK_S and failure is not None:
                raise StoreError(self._path, failure, unavailable=True)
            if down:
                self._down_at = started  # this call tries; others still fail fast meanwhile
        if write:
            with self._state_lock:
                self._waiting_since = self._waiting_since or started
        session: _Session | None = None
        try:
            try:
                session = self._acquire(pool, write=write)
                yield session
                if write:
                    session.connection.execute("COMMIT")
            except BaseException:
                if write and session is not None:
                    _roll_back(session.connection)
                raise
        except StoreError as exc:
            self._failed(exc, started)
            raise
        except psycopg.Error as exc:
            error = self._server.error(exc)
            self._failed(error, started)
            raise error from exc
        else:
            with self._state_lock:
                self._failing_since = self._failure = None
                self._down = False
        finally:
            if write:
                with self._state_lock:
                    self._waiting_since = None
            if session is not None:
                with suppress(Exception):
                    session.pool.putconn(session.connection)

    def _acquire(self, pool: ConnectionPool[psycopg.Connection[Any]], *, write: bool) -> _Session:
        """A session on a pooled connection, or the reason there is none.

        A pool with no connection to give within :attr:`write_timeout` means the server is
        down (it does not answer a new connection either: ``unavailable``), or every
        connection is in use (``busy``), or the server just came back while the pool still
        waits out its back-off between reconnection attempts: then the pool is replaced by a
        fresh one, so that a store recovers as soon as its server does.
        """
        try:
            return self._checked_out(pool, write=write)
        except PoolTimeout:
            down = self._server.probe()
            if down is not None:
                raise down from None
            with self._state_lock:
                was_down = self._down
            if not was_down:
                raise StoreError(
                    self._path,
                    f"busy: every connection of the pool was in use for {self.write_timeout:g} s",
                    busy=True,
                ) from None
        return self._checked_out(self._renew(pool), write=write)

    def _renew(
        self, stale: ConnectionPool[psycopg.Connection[Any]]
    ) -> ConnectionPool[psycopg.Connection[Any]]:
        """Replaces a pool left without connections by an outage; the pool to use now."""
        with self._renew_lock:
            current = self._live()
            if current is not stale:
                return current  # another thread renewed it already
            fresh = self._server.open_pool()
            self._pool = fresh
        logger.info("%s: the server answers again; the connection pool was renewed", self._path)
        threading.Thread(
            target=_close_quietly, args=(stale,), name="moodmoji-store-close", daemon=True
        ).start()
        return fresh

    def _checked_out(
        self, pool: ConnectionPool[psycopg.Connection[Any]], *, write: bool
    ) -> _Session:
        """A connection from the pool; for a write, one that answered ``BEGIN`` already.

        A connection found broken (the server restarted since it was last used) is handed
        back, the pool is told to check the rest, and another is taken. Nothing is ever sent
        twice: a write's first statement goes only to a connection that answered.
        """
        connection = pool.getconn()
        if not write:
            return _Session(self, pool, connection, retry=True)
        for _ in range(_most_tries(pool)):
            try:
                connection.execute("BEGIN")
                break
            except psycopg.OperationalError:
                broken = connection.broken
                pool.putconn(connection)
                if not broken:
                    raise
                self._check_soon(pool)
                connection = pool.getconn()
        else:
            connection.execute("BEGIN")
        return _Session(self, pool, connection, retry=False)

    def _check_soon(self, pool: ConnectionPool[psycopg.Connection[Any]]) -> None:
        """Has the pool test its idle connections in the background (after a server restart)."""
        with self._state_lock:
            if self._checking:
                return
            self._checking = True

        def check() -> None:
            try:
                pool.check()
            except Exception:  # a pool closing meanwhile, a server still down: tried later
                logger.debug("checking the pooled connections failed", exc_info=True)
            finally:
                with self._state_lock:
                    self._checking = False

        threading.Thread(target=check, name="moodmoji-store-check", daemon=True).start()

    def _failed(self, error: StoreError, started: float) -> None:
        if error.retryable:
            with self._state_lock:
                self._failing_since = self._failing_since or started
                self._failure = error.problem
                self._down = error.unavailable
                self._down_at = time.monotonic()


@dataclass(frozen=True)
class Server:
    """How a :class:`PostgresStore` reaches its server, and builds its connection pool.

    Attributes:
        url: The libpq URL (it may hold a password: never logged, never in an error).
        name: The server as errors name it (:func:`server_name`).
        password: The URL's password, if any, to keep out of error messages.
        kwargs: Connection parameters beside the URL (autocommit, timeouts, options).
        pool_size: Most connections at once.
        pool_timeout: Seconds a caller waits for a free connection.
        connect_timeout: Seconds to wait for the server when connecting.
        read_only: Whether every transaction is read-only.

    """

    url: str
    name: str
    password: str | None
    kwargs: Mapping[str, Any]
    pool_size: int
    pool_timeout: float
    connect_timeout: float
    read_only: bool = False

    def connect(self) -> psycopg.Connection[Any]:
        """One connection, outside any pool."""
        return psycopg.connect(self.url, **self.kwargs)

    def open_pool(self) -> ConnectionPool[psycopg.Connection[Any]]:
        """A new pool, open, with its first connection made.

        Raises:
            StoreError: No connection within :attr:`connect_timeout` (``unavailable``).
        """
        pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            self.url,
            kwargs=dict(self.kwargs),
            min_size=1,
            max_size=self.pool_size,
            open=False,
            timeout=self.pool_timeout,
            name=f"moodmoji-store {self.name}",
            reconnect_timeout=RECONNECT_TIMEOUT_S,
        )
        try:
            pool.open(wait=True, timeout=self.connect_timeout)
        except PoolTimeout as exc:
            _close_quietly(pool)
            down = self.probe()
            raise down or StoreError(
                self.name, "unreachable: the connection pool could not connect", unavailable=True
            ) from exc
        return pool

    def probe(self) -> StoreError | None:
        """Whether the server takes a new connection now: ``None``, or why it does not."""
        try:
            with psycopg.connect(
                self.url,
                connect_timeout=max(1, round(min(self.connect_timeout, CONNECT_TIMEOUT_S))),
                autocommit=True,
                application_name="moodmoji",
            ):
                return None
        except psycopg.Error as exc:
            return _connect_error(self.name, exc, self.clean)

    def error(self, exc: psycopg.Error) -> StoreError:
        """The :class:`StoreError` for a psycopg error (the password kept out)."""
        return _store_error(self.name, exc, self.clean)

    def clean(self, text: str) -> str:
        """``text`` with the password, if it appears, replaced by ``***``."""
        return text.replace(self.password, "***") if self.password else text


def _close_quietly(pool: ConnectionPool[psycopg.Connection[Any]]) -> None:
    with suppress(Exception):
        pool.close(timeout=1)


class _Session:
    """A pooled connection that takes ``?`` placeholders, as :class:`SqlStore` writes them.

    A read session (``retry``) runs its first statement again on another connection when the
    one it had turns out broken; a write session never does (its connection answered already).
    """

    def __init__(
        self,
        store: PostgresStore,
        pool: ConnectionPool[psycopg.Connection[Any]],
        connection: psycopg.Connection[Any],
        *,
        retry: bool,
    ) -> None:
        self._store = store
        self.pool = pool
        self.connection = connection
        self._retry = retry

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Rows:
        query = _dialect(sql)
        tries = _most_tries(self.pool) if self._retry else 1
        self._retry = False
        for _ in range(tries - 1):
            try:
                return self.connection.execute(query, parameters)
            except psycopg.OperationalError:
                if not self.connection.broken:
                    raise
                self.pool.putconn(self.connection)
                self._store._check_soon(self.pool)
                self.connection = self.pool.getconn()
        return self.connection.execute(query, parameters)

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> object:
        with self.connection.cursor() as cursor:
            cursor.executemany(_dialect(sql), list(parameters))
        return None


@functools.lru_cache(maxsize=256)
def _dialect(sql: str) -> str:
    """SQL written with ``?`` placeholders, in psycopg's ``%s`` (the queries hold no ``%``)."""
    return sql.replace("?", "%s")


def _most_tries(pool: ConnectionPool[psycopg.Connection[Any]]) -> int:
    """How many connections to try before giving up: every pooled one may be stale."""
    return pool.max_size + 1


def _roll_back(connection: psycopg.Connection[Any]) -> None:
    if connection.info.transaction_status != pq.TransactionStatus.IDLE:
        with suppress(psycopg.Error):
            connection.execute("ROLLBACK")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _store_error(name: str, exc: psycopg.Error, clean: Callable[[str], str] = str) -> StoreError:
    """The :class:`StoreError` for a psycopg error."""
    state = getattr(exc, "sqlstate", None) or ""
    detail = clean(_first_line(exc))
    if state in _BUSY_STATES:
        return StoreError(
            name, f"busy: gave up waiting for another connection ({detail})", busy=True
        )
    if state in _UNAVAILABLE_STATES or (isinstance(exc, psycopg.OperationalError) and not state):
        return StoreError(
            name,
            f"unreachable: lost the PostgreSQL server ({detail})",
            unavailable=True,
        )
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction):
        return StoreError(
            name,
            "read-only: settings cannot be saved (the store was opened read-only, or the "
            "server is a read-only replica)",
        )
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return StoreError(name, f"read-only: the database user may not do this ({detail})")
    if isinstance(exc, pg_errors.DiskFull):
        return StoreError(name, f"disk full: settings cannot be saved ({detail})")
    return StoreError(name, f"database error: {detail}")


def _connect_error(name: str, exc: psycopg.Error, clean: Callable[[str], str]) -> StoreError:
    """The :class:`StoreError` of a failed connection attempt: refused login, or no server."""
    detail = clean(_first_line(exc))
    text = str(exc).lower()
    if "authentication" in text or "password" in text or "does not exist" in text:
        return StoreError(name, f"the PostgreSQL server refused the login ({detail})")
    return StoreError(
        name, f"unreachable: cannot connect to the PostgreSQL server ({detail})", unavailable=True
    )


def _migrate_or_check(server: Server) -> None:
    """Connects once (not pooled) to refuse a newer schema and apply the missing steps."""
    try:
        connection = server.connect()
    except psycopg.Error as exc:
        raise _connect_error(server.name, exc, server.clean) from None
    try:
        with connection:
            if server.read_only:
                version = _read_version(connection)
                _refuse_newer(server.name, version)
                if version < SCHEMA_VERSION:
                    raise StoreError(
                        server.name,
                        f"at schema version {version}, older than this moodmoji's "
                        f"{SCHEMA_VERSION}: open it once with write access to migrate it",
                    )
            else:
                _apply_migrations(connection, server.name)
    except psycopg.Error as exc:
        raise server.error(exc) from None


def _read_version(connection: psycopg.Connection[Any]) -> int:
    """The schema version (0 for a database moodmoji never wrote to)."""
    exists = connection.execute("SELECT to_regclass('moodmoji_schema') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = connection.execute("SELECT version FROM moodmoji_schema").fetchone()
    return int(row[0]) if row else 0


def _refuse_newer(name: str, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise StoreError(
            name,
            f"written by a newer moodmoji (schema version {version}; this version knows up "
            f"to {SCHEMA_VERSION}); it was left untouched",
        )


def _apply_migrations(connection: psycopg.Connection[Any], name: str) -> int:
    """Applies the missing steps, each in its own transaction under the migration lock."""
    version = _read_version(connection)
    _refuse_newer(name, version)
    for target in range(version + 1, SCHEMA_VERSION + 1):
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s, %s)", _MIGRATION_LOCK)
            connection.execute(POSTGRES_VERSION_TABLE)
            current = _read_version(connection)
            _refuse_newer(name, current)
            if current < target:
                for statement in _statements(POSTGRES_MIGRATIONS[target - 1]):
                    connection.execute(statement.encode())
                connection.execute(
                    "INSERT INTO moodmoji_schema (one, version) VALUES (TRUE, %s) "
                    "ON CONFLICT (one) DO UPDATE SET version = excluded.version",
                    (target,),
                )
                logger.info(
                    "%s: migrated the schema to version %d (%s)",
                    name,
                    target,
                    STEPS[target - 1].summary,
                )
    return _read_version(connection)


def _statements(script: str) -> Iterator[str]:
    """The statements of a migration script (they hold no ``;`` inside literals)."""
    for piece in script.split(";"):
        if piece.strip():
            yield piece.strip()
