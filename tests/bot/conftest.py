"""Settings-store fixtures: every store test runs on a real SQLite file and a real PostgreSQL.

``site`` is parametrised over both backends: it names a fresh, empty store (a file in the
test's temporary folder, or a new schema in a database of the session's PostgreSQL server, named
by the URL's ``search_path``), opens it, and reads its tables with plain SQL. The server
(:class:`tests.postgres.PostgresServer`) starts on first use and stops at the end of the
session; where it cannot start, the PostgreSQL cases are skipped with the reason, or fail when
``MOODMOJI_REQUIRE_POSTGRES=1`` (CI).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from moodmoji.bot.store import Store, open_store
from tests.postgres import REQUIRE_ENV, PostgresServer, find_bin_dir, required

BACKENDS = ("sqlite", "postgres")
TEST_DATABASE = "moodmoji_tests"
"""The database the PostgreSQL cases use, one schema per test."""


def postgres_bin_or_skip() -> Path:
    """Where the server binaries are; skips the test (fails it in CI) when a server or psycopg
    is missing here."""
    bin_dir, reason = find_bin_dir()
    if bin_dir is None:
        if required():
            pytest.fail(f"{REQUIRE_ENV}=1 but no PostgreSQL server can be started: {reason}")
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError as exc:
        if required():
            pytest.fail(f"{REQUIRE_ENV}=1 but psycopg is missing: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: pip install 'moodmoji[postgres]' ({exc})")
    return bin_dir


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session, stopped and removed at the end."""
    server = PostgresServer(postgres_bin_or_skip())
    try:
        server.start()
        yield server
    finally:
        server.remove()


@dataclass(frozen=True)
class StoreSite:
    """Where one test's store lives, on one backend.

    Attributes:
        backend: ``"sqlite"`` or ``"postgres"``.
        location: What :func:`~bot.store.open_store` opens (a file path or a URL).
        server: The PostgreSQL server, for the ``"postgres"`` backend.
        schema: The store's PostgreSQL schema (its tables are created there).

    """

    backend: str
    location: str
    server: PostgresServer | None = None
    schema: str = ""

    @property
    def name(self) -> str:
        """How the store names itself in errors: the file, or ``127.0.0.1:PORT/DATABASE``."""
        if self.server is None:
            return self.location
        return f"127.0.0.1:{self.server.port}/{TEST_DATABASE}"

    @property
    def is_postgres(self) -> bool:
        """Whether this site is a PostgreSQL database."""
        return self.backend == "postgres"

    def open(self, **options: Any) -> Store:
        """Opens the store here (see :func:`~bot.store.open_store` for ``options``)."""
        return open_store(self.location, **options)

    def sql(self, statement: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Runs one statement (``?`` placeholders) outside the store; the rows it returns."""
        if not self.is_postgres:
            connection = sqlite3.connect(self.location, isolation_level=None)
            try:
                return [tuple(row) for row in connection.execute(statement, parameters)]
            finally:
                connection.close()
        import psycopg

        with psycopg.connect(self.location, autocommit=True) as connection:
            cursor = connection.execute(statement.replace("?", "%s").encode(), parameters)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []

    @contextmanager
    def write_lock_held(self) -> Iterator[None]:
        """Another connection keeps every writer of the store out (readers go on) until exit.

        SQLite: ``BEGIN EXCLUSIVE`` on the file (WAL lets readers in). PostgreSQL: ``LOCK
        TABLE ... IN EXCLUSIVE MODE`` on every table, in an open transaction.
        """
        if not self.is_postgres:
            holder = sqlite3.connect(self.location, isolation_level=None, check_same_thread=False)
            holder.execute("BEGIN EXCLUSIVE")
            try:
                yield
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            return
        import psycopg

        with psycopg.connect(self.location, autocommit=True) as connection:
            connection.execute("BEGIN")
            connection.execute(
                "LOCK TABLE chat_settings, opt_outs, mood_counts, update_claims IN EXCLUSIVE MODE"
            )
            try:
                yield
            finally:
                connection.execute("ROLLBACK")

    def counts(self) -> dict[str, int]:
        """Rows per table of the store."""
        return {
            table: int(self.sql(f"SELECT count(*) FROM {table}")[0][0])
            for table in ("chat_settings", "opt_outs", "mood_counts")
        }

    def columns(self) -> dict[str, list[str]]:
        """Every table of the store (the schema-version table left out) and its columns."""
        if not self.is_postgres:
            tables = [
                row[0]
                for row in self.sql("SELECT name FROM sqlite_master WHERE type = 'table'")
                if not str(row[0]).startswith("sqlite_")
            ]
            return {t: [r[1] for r in self.sql(f"PRAGMA table_info({t})")] for t in tables}
        out: dict[str, list[str]] = {}
        for table, column in self.sql(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name <> 'moodmoji_schema' "
            "ORDER BY table_name, ordinal_position"
        ):
            out.setdefault(str(table), []).append(str(column))
        return out


@contextmanager
def fresh_site(request: pytest.FixtureRequest, backend: str, folder: Path) -> Iterator[StoreSite]:
    """A fresh, empty store location on ``backend``, removed afterwards (PostgreSQL)."""
    if backend == "sqlite":
        yield StoreSite("sqlite", str(folder / "state" / "moodmoji.sqlite3"))
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    schema, url = server.create_schema(TEST_DATABASE)
    try:
        yield StoreSite("postgres", url, server, schema)
    finally:
        server.drop_schema(TEST_DATABASE, schema)


@pytest.fixture(params=BACKENDS)
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreSite]:
    """A fresh store location, once per backend."""
    with fresh_site(request, str(request.param), tmp_path) as made:
        yield made


@pytest.fixture()
def pg_site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreSite]:
    """A fresh PostgreSQL store location (for tests of that backend only)."""
    with fresh_site(request, "postgres", tmp_path) as made:
        yield made
