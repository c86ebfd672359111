"""The versioned schema of the settings store, for every backend in one place.

Step ``n`` of :data:`STEPS` takes a database from schema version ``n - 1`` to ``n``; each backend
applies the missing steps in order, each in its own transaction, when a store is opened, and
refuses a database whose version is newer than :data:`SCHEMA_VERSION` (written by a newer
moodmoji). A step holds the same change once per backend, written in that backend's dialect:

- SQLite keeps the version in ``PRAGMA user_version``;
- PostgreSQL keeps it in the one-row table ``moodmoji_schema`` (created by the backend itself
  before step 1, see :data:`POSTGRES_VERSION_TABLE`), and migrates under a transaction-level
  advisory lock so that processes starting together migrate once.

Adding a step: append a :class:`Migration` with both scripts, then add a test that opens a
database of the previous version on each backend. Never edit a step that has shipped.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "MIGRATIONS",
    "POSTGRES_MIGRATIONS",
    "POSTGRES_VERSION_TABLE",
    "SCHEMA_VERSION",
    "STEPS",
    "Migration",
]


@dataclass(frozen=True)
class Migration:
    """One schema step, the same change for each backend.

    Attributes:
        version: The schema version the step leads to.
        summary: What the step adds, in a few words (logged when it is applied).
        sqlite: The step's SQL script for SQLite (statements separated by ``;``).
        postgres: The step's SQL script for PostgreSQL; ``None`` where it is the SQLite
            script (the two dialects agree).

    """

    version: int
    summary: str
    sqlite: str
    postgres: str | None = None


STEPS: tuple[Migration, ...] = (
    Migration(
        version=1,
        summary="chat settings overrides and opt-outs",
        sqlite="""
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
    ),
    Migration(
        version=2,
        summary="daily mood counts per chat, and when a chat last changed its settings",
        sqlite="""
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
        postgres="""
        ALTER TABLE chat_settings ADD COLUMN updated_at TEXT;
        CREATE TABLE mood_counts (
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            day DATE NOT NULL,
            mood TEXT NOT NULL,
            count BIGINT NOT NULL CHECK (count >= 0),
            PRIMARY KEY (platform, chat_id, day, mood)
        );
        """,
    ),
    Migration(
        version=3,
        summary="claimed platform updates (webhook redelivery dedupe)",
        sqlite="""
        CREATE TABLE update_claims (
            platform TEXT NOT NULL,
            key TEXT NOT NULL,
            claimed_at REAL NOT NULL,
            PRIMARY KEY (platform, key)
        );
        CREATE INDEX update_claims_by_age ON update_claims (claimed_at);
        """,
        postgres="""
        CREATE TABLE update_claims (
            platform TEXT NOT NULL,
            key TEXT NOT NULL,
            claimed_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (platform, key)
        );
        CREATE INDEX update_claims_by_age ON update_claims (claimed_at);
        """,
    ),
)

SCHEMA_VERSION = len(STEPS)
"""The schema version this code writes; databases at a newer version are refused."""

#: SQLite's scripts, in order: ``MIGRATIONS[n - 1]`` takes a file from version ``n - 1`` to ``n``.
MIGRATIONS: tuple[str, ...] = tuple(step.sqlite for step in STEPS)

#: PostgreSQL's scripts, in the same order as :data:`MIGRATIONS`.
POSTGRES_MIGRATIONS: tuple[str, ...] = tuple(step.postgres or step.sqlite for step in STEPS)

POSTGRES_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS moodmoji_schema (
    one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    version INTEGER NOT NULL CHECK (version >= 0)
)
"""
"""The table PostgreSQL keeps the schema version in (one row; no row means version 0)."""

assert all(step.version == n for n, step in enumerate(STEPS, start=1)), "steps out of order"
