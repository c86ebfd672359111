"""The settings store: per-chat setting overrides, opt-outs, daily mood counts, update claims.

Two backends keep the same data with the same guarantees (see :class:`Store`):

- :class:`SettingsStore` (:mod:`bot.store.sqlite`): one SQLite file, the default; nothing to
  install or run. Several processes on one host may share the file.
- :class:`~bot.store.postgres.PostgresStore` (:mod:`bot.store.postgres`): a PostgreSQL
  database reached through a connection pool, for several hosts (``pip install
  'moodmoji[postgres]'``).

:func:`open_store` opens the one a ``store.url`` (or a plain path) names. Neither keeps message
text; :meth:`Store.delete_user` and :meth:`Store.delete_chat` forget everything of a user or
chat; a database written by a newer moodmoji is refused; every failure is a :class:`StoreError`
naming the file or the server (``host:port/database``, never a password). The schema steps of
both backends live together in :mod:`bot.store.migrations`, and the background writer of mood
counts in :mod:`bot.store.counts`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from moodmoji.bot.store.common import (
    CLAIM_KEEP_S,
    DeletionReport,
    OptOut,
    OptOuts,
    Store,
    StoreError,
)
from moodmoji.bot.store.counts import COUNT_INTERVAL_S
from moodmoji.bot.store.migrations import MIGRATIONS, SCHEMA_VERSION
from moodmoji.bot.store.sqlite import SettingsStore

if TYPE_CHECKING:
    from moodmoji.bot.store.postgres import PostgresStore

__all__ = [
    "CLAIM_KEEP_S",
    "COUNT_INTERVAL_S",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SCHEMES",
    "DeletionReport",
    "OptOut",
    "OptOuts",
    "PostgresStore",
    "SettingsStore",
    "Store",
    "StoreError",
    "open_store",
    "sqlite_path",
    "store_scheme",
]

SCHEMES = ("sqlite", "postgresql", "postgres")
"""The URL schemes :func:`open_store` understands."""


def store_scheme(url_or_path: str | Path) -> str:
    """The backend a store location names: ``"sqlite"`` or ``"postgresql"``.

    A plain path (no ``scheme://``) is a SQLite file.

    Raises:
        ValueError: An unknown scheme (the message lists the known ones).
    """
    text = str(url_or_path)
    if "://" not in text:
        return "sqlite"
    scheme = text.split("://", 1)[0].lower()
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    raise ValueError(
        f"unknown store URL scheme {scheme!r}: use sqlite:///PATH or "
        "postgresql://USER@HOST:PORT/DATABASE"
    )


def sqlite_path(url_or_path: str | Path) -> str:
    """The file a SQLite location names.

    ``sqlite:///rel/path``, ``sqlite:////abs/path`` or ``sqlite:///:memory:``; a plain path is
    returned as given.

    Raises:
        ValueError: Not a SQLite location, a host in the URL, or no path.
    """
    text = str(url_or_path)
    if "://" not in text:
        return text
    if store_scheme(text) != "sqlite":
        raise ValueError(f"not a SQLite store URL: {text.split('://', 1)[0]}://...")
    parts = urlsplit(text)
    if parts.netloc:
        raise ValueError("a sqlite:// URL has no host: write sqlite:///PATH (three slashes)")
    if parts.query or parts.fragment:
        raise ValueError("a sqlite:// URL takes no ?options or #fragment")
    path = unquote(parts.path)[1:]  # sqlite:///x -> "x"; sqlite:////abs -> "/abs"
    if not path:
        raise ValueError("a sqlite:// URL needs a path: sqlite:///PATH")
    return path


def open_store(
    url_or_path: str | Path,
    *,
    read_only: bool = False,
    timeout: float | None = None,
    write_timeout: float | None = None,
    pool_size: int | None = None,
) -> Store:
    """Opens the settings store at a URL or path, with the backend its scheme names.

    Args:
        url_or_path: ``sqlite:///PATH`` (relative), ``sqlite:////ABSOLUTE/PATH``,
            ``sqlite:///:memory:``, a plain file path (SQLite), or
            ``postgresql://USER[:PASSWORD]@HOST:PORT/DATABASE`` (any libpq URI; a password
            is better given in ``PGPASSWORD`` or ``~/.pgpass`` than in the URL).
        read_only: Open without write access; every write then raises :class:`StoreError`.
        timeout: Seconds to wait while opening (a lock, or the server); the backend's
            default when ``None``.
        write_timeout: Seconds one write waits in all; the backend's default when ``None``.
        pool_size: Most connections to PostgreSQL at once (ignored by SQLite).

    Returns:
        The open store, its schema up to date.

    Raises:
        StoreError: The store cannot be opened (the message names the file or the server).
        ValueError: An unknown URL scheme or a malformed URL.
    """
    if store_scheme(url_or_path) == "postgresql":
        from moodmoji.bot.store.postgres import PostgresStore

        return PostgresStore.open(
            str(url_or_path),
            read_only=read_only,
            timeout=timeout,
            write_timeout=write_timeout,
            pool_size=pool_size,
        )
    path = sqlite_path(url_or_path)
    if timeout is None:
        return SettingsStore.open(path, read_only=read_only, write_timeout=write_timeout)
    return SettingsStore.open(
        path, read_only=read_only, timeout=timeout, write_timeout=write_timeout
    )


def __getattr__(name: str) -> object:
    """``PostgresStore``, imported on first use (it needs the ``postgres`` extra)."""
    if name == "PostgresStore":
        from moodmoji.bot.store.postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
