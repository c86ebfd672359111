"""What every backend of the settings store shares: errors, results, checks and the queries.

:class:`Store` is the interface the core and :class:`~bot.chats.Chats` type against; both
:class:`~bot.store.sqlite.SettingsStore` (SQLite) and :class:`~bot.store.postgres.PostgresStore`
(PostgreSQL) satisfy it. They share :class:`SqlStore`, which holds every query once (written
with ``?`` placeholders) and leaves connections, transactions and error mapping to the backend.
"""

from __future__ import annotations

import datetime
import json
import logging
import math
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from moodmoji.bot.chat_settings import ChatSettings, Mode, check_override

__all__ = [
    "BUSY",
    "CLAIM_KEEP_S",
    "DeletionReport",
    "OptOut",
    "OptOuts",
    "SqlStore",
    "Store",
    "StoreError",
]

logger = logging.getLogger("moodmoji.bot.store")

T = TypeVar("T")

WRITE_TIMEOUT_S = 2.0
"""How long one write waits in all, for this store's writer and other connections' locks."""
SLOW_WRITE_S = 1.0
"""A write waiting longer than this makes ``health()`` report the store busy."""
CLAIM_KEEP_S = 86_400.0
"""How long a claimed update is remembered by default (:meth:`Store.claim_update`)."""
CLAIM_PRUNE_EVERY_S = 60.0
"""Claims older than their ``keep_s`` are deleted at most this often per store."""
MAX_CLAIM_KEY = 200
"""Longest update key :meth:`Store.claim_update` accepts, in characters."""
MOST_PARAMETERS = 500
"""Most ids bound in one statement (SQLite before 3.32 allows 999 parameters)."""

BUSY = "busy: another process holds the database (gave up waiting for its lock)"
"""The :attr:`StoreError.problem` of a write that gave up waiting for another's lock."""

_MOOD = re.compile(r"[a-z_-]{1,32}")


class StoreError(Exception):
    """The settings store could not be opened, read or written; ``str()`` is one line.

    Attributes:
        path: Where the store lives: the database file (``":memory:"`` for an in-memory
            store), or ``host:port/database`` of a PostgreSQL server (never a password).
        problem: What went wrong, e.g. ``"read-only: settings cannot be saved ..."``.
        unavailable: The database server could not be reached (PostgreSQL down, restarting,
            refusing connections); like :attr:`busy`, worth retrying later.

    """

    def __init__(
        self,
        path: Path | str,
        problem: str,
        *,
        busy: bool | None = None,
        unavailable: bool = False,
    ) -> None:
        self.path = str(path)
        self.problem = problem
        self.unavailable = unavailable
        self._busy = busy
        super().__init__(f"{self.path}: {problem}")

    @property
    def busy(self) -> bool:
        """Whether another connection held the database too long (worth retrying later)."""
        return self.problem == BUSY if self._busy is None else self._busy

    @property
    def retryable(self) -> bool:
        """Whether the same call may succeed later: the store was busy or unreachable."""
        return self.busy or self.unavailable


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
    """The opt-outs among some chats and users of one platform (:meth:`Store.opt_outs_of`).

    Attributes:
        chats: Chat id -> its opt-out, for the chats asked about that opted out.
        users: User id -> their opt-out, for the users asked about that opted out.

    """

    chats: Mapping[str, OptOut]
    users: Mapping[str, OptOut]

    def of(self, chat_id: str | int | None, user_id: str | int | None) -> OptOut | None:
        """What :meth:`Store.opt_out` says of a chat and user: the chat's, else theirs."""
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


@runtime_checkable
class Store(Protocol):
    """Per-chat settings overrides, opt-outs, mood counts and update claims, in some database.

    What the core and :class:`~bot.chats.Chats` need of a settings store; every backend
    (:func:`~bot.store.open_store`) satisfies it. Every method may be called from any thread;
    ids may be given as ``str`` or ``int`` and are stored as ``str(id)``. Every failure of the
    database raises :class:`StoreError`; an invalid argument raises ``ValueError``.
    """

    @property
    def path(self) -> str:
        """Where the store lives, as error messages name it (never a password)."""

    @property
    def schema_version(self) -> int:
        """The database's schema version."""

    def health(self) -> str | None:
        """What keeps writes from succeeding now, or ``None`` when they go through."""

    def close(self) -> None:
        """Writes the pending mood counts, then closes; idempotent."""

    def __enter__(self) -> Store:
        """The store itself."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Closes the store."""

    def migrate(self) -> int:
        """Applies missing schema steps; the version afterwards."""

    def chat_overrides(self, platform: str, chat_id: str | int) -> dict[str, Any]:
        """The settings a chat changed, field name -> value (JSON types); ``{}`` if none."""

    def chat_settings(
        self, platform: str, chat_id: str | int, defaults: ChatSettings
    ) -> ChatSettings:
        """A chat's effective settings: ``defaults`` with the chat's overrides laid over them."""

    def chat_settings_of(
        self, platform: str, chat_ids: Iterable[str | int], defaults: ChatSettings
    ) -> dict[str, ChatSettings]:
        """:meth:`chat_settings` of several chats of a platform, read in one query."""

    def update_chat(self, platform: str, chat_id: str | int, **changes: Any) -> dict[str, Any]:
        """Merges ``changes`` into a chat's overrides (``None`` removes one); the result."""

    def reset_chat(self, platform: str, chat_id: str | int) -> None:
        """Drops all of a chat's overrides."""

    def set_opt_out(
        self,
        platform: str,
        kind: Literal["user", "chat"],
        subject_id: str | int,
        opted_out: bool,
    ) -> None:
        """Records or withdraws an opt-out of a user or chat."""

    def opt_out(
        self, platform: str, chat_id: str | int | None, user_id: str | int | None
    ) -> OptOut | None:
        """The opt-out that keeps the bot out of this message, if any."""

    def opt_outs_of(
        self, platform: str, chat_ids: Iterable[str | int], user_ids: Iterable[str | int]
    ) -> OptOuts:
        """The opt-outs among several chats and users of a platform, read at once."""

    def record_mood(
        self,
        platform: str,
        chat_id: str | int,
        mood: str,
        *,
        day: datetime.date | None = None,
        count: int = 1,
    ) -> None:
        """Adds ``count`` to a chat's counter of ``mood`` on ``day`` (written at once)."""

    def count_mood(self, platform: str, chat_id: str | int, mood: str) -> None:
        """Adds one to a chat's count of ``mood`` today, in the background (never waits)."""

    def count_moods(self, counts: Iterable[tuple[str, str | int, str]]) -> None:
        """Adds one per ``(platform, chat_id, mood)`` to today's counts, in the background."""

    def flush(self, timeout: float | None = None) -> bool:
        """Waits until the pending mood counts are written; whether they were."""

    def mood_counts(
        self, platform: str, chat_id: str | int, *, since: datetime.date | None = None
    ) -> dict[str, dict[str, int]]:
        """A chat's mood counts per day: ``{'YYYY-MM-DD': {mood: count}}``, days ascending."""

    def delete_user(self, platform: str, user_id: str | int) -> DeletionReport:
        """Deletes everything the store holds about a user."""

    def delete_chat(self, platform: str, chat_id: str | int) -> DeletionReport:
        """Deletes everything the store holds about a chat."""

    def claim_update(self, platform: str, key: str, *, keep_s: float = CLAIM_KEEP_S) -> bool:
        """Whether this caller is the first to claim the update ``key`` of ``platform``."""


class Rows(Protocol):
    """What a backend's ``execute`` returns: the rows of a query, or the count it changed."""

    @property
    def rowcount(self) -> int:
        """Rows changed by the statement."""

    def fetchone(self) -> Any:
        """The next row, or ``None``."""

    def fetchall(self) -> list[Any]:
        """The remaining rows."""


class Session(Protocol):
    """A connection of a backend, taking SQL written with ``?`` placeholders."""

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Rows:
        """Runs one statement."""

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> object:
        """Runs one statement once per row of parameters."""


class SqlStore(ABC):
    """The queries of a settings store, shared by the backends; see :class:`Store`.

    A backend supplies connections (:meth:`_reading`, :meth:`_writing`), says whether it is
    open (:meth:`_live`), and may lock a chat's row for a read-modify-write
    (:meth:`_lock_chat`) and clean up after a deletion (:meth:`_after_delete`).
    """

    write_timeout: float
    _path: str

    def __init__(self, path: str) -> None:
        from moodmoji.bot.store.counts import _BackgroundCounts

        self._path = path
        self.write_timeout = WRITE_TIMEOUT_S
        self._counts = _BackgroundCounts(self)
        self._claims_pruned_at = 0.0
        self._prune_lock = threading.Lock()

    # ------------------------------------------------------------------ backend hooks

    @abstractmethod
    def _reading(self) -> AbstractContextManager[Session]:
        """A connection for reads (no transaction needed); errors become StoreError."""

    @abstractmethod
    def _writing(self) -> AbstractContextManager[Session]:
        """One write transaction, committed at the end, rolled back on error."""

    @abstractmethod
    def _live(self) -> object:
        """Raises :class:`StoreError` when the store is closed."""

    def _lock_chat(self, session: Session, key: tuple[str, str]) -> None:  # noqa: B027
        """Keeps other writers of this chat's settings out until the transaction ends."""

    def _after_delete(self, tables: tuple[str, ...]) -> None:  # noqa: B027
        """Runs after a deletion from ``tables`` committed (removes old copies of the rows)."""

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @abstractmethod
    def close(self) -> None:
        """Writes the pending mood counts, then closes; later calls raise StoreError."""

    @property
    def path(self) -> str:
        """Where the store lives, as error messages name it."""
        return self._path

    # ------------------------------------------------------------------ chat settings

    def chat_overrides(self, platform: str, chat_id: str | int) -> dict[str, Any]:
        """The settings a chat changed, field name -> value (JSON types); ``{}`` if none.

        Raises:
            ValueError: An empty platform or id.
            StoreError: The database could not be read.

        """
        key = (check_platform(platform), check_subject(chat_id, "chat_id"))
        with self._reading() as session:
            row = session.execute(
                "SELECT overrides FROM chat_settings WHERE platform = ? AND chat_id = ?", key
            ).fetchone()
        return decode_overrides(row[0] if row else None, platform)

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
        return effective(self.chat_overrides(platform, chat_id), platform, defaults)

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
        platform = check_platform(platform)
        chats = list(dict.fromkeys(check_subject(c, "chat_id") for c in chat_ids))
        stored: dict[str, str] = {}
        with self._reading() as session:
            for part in chunks(chats):
                marks = ", ".join("?" * len(part))
                for chat, overrides in session.execute(
                    "SELECT chat_id, overrides FROM chat_settings "
                    f"WHERE platform = ? AND chat_id IN ({marks})",
                    (platform, *part),
                ).fetchall():
                    stored[str(chat)] = overrides
        return {
            chat: effective(decode_overrides(stored.get(chat), platform), platform, defaults)
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
        key = (check_platform(platform), check_subject(chat_id, "chat_id"))
        for name, value in changes.items():
            if value is not None:
                check_override(name, value)
        if not changes:
            return self.chat_overrides(platform, chat_id)
        with self._writing() as session:
            self._lock_chat(session, key)
            row = session.execute(
                "SELECT overrides FROM chat_settings WHERE platform = ? AND chat_id = ?", key
            ).fetchone()
            overrides = decode_overrides(row[0] if row else None, platform)
            for name, value in changes.items():
                if value is None:
                    overrides.pop(name, None)
                else:
                    overrides[name] = jsonable(value)
            if overrides:
                session.execute(
                    "INSERT INTO chat_settings (platform, chat_id, overrides, updated_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (platform, chat_id) DO UPDATE SET "
                    "overrides = excluded.overrides, updated_at = excluded.updated_at",
                    (*key, json.dumps(overrides, sort_keys=True), now_iso()),
                )
            else:
                session.execute("DELETE FROM chat_settings WHERE platform = ? AND chat_id = ?", key)
        return overrides

    def reset_chat(self, platform: str, chat_id: str | int) -> None:
        """Drops all of a chat's overrides, so that it follows the defaults again.

        Raises:
            ValueError: An empty platform or id.
            StoreError: The database could not be written.

        """
        key = (check_platform(platform), check_subject(chat_id, "chat_id"))
        with self._writing() as session:
            session.execute("DELETE FROM chat_settings WHERE platform = ? AND chat_id = ?", key)

    # ------------------------------------------------------------------ opt-outs

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
        key = (check_platform(platform), kind, check_subject(subject_id, "subject_id"))
        with self._writing() as session:
            if opted_out:
                session.execute(
                    "INSERT INTO opt_outs (platform, kind, subject_id, since) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (platform, kind, subject_id) DO NOTHING",
                    (*key, now_iso()),
                )
            else:
                session.execute(
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
        platform = check_platform(platform)
        chat = None if chat_id is None else check_subject(chat_id, "chat_id")
        user = None if user_id is None else check_subject(user_id, "user_id")
        if chat is None and user is None:
            return None
        with self._reading() as session:
            row = session.execute(
                "SELECT kind, subject_id, since FROM opt_outs WHERE platform = ? AND ("
                "(kind = 'chat' AND subject_id = ?) OR (kind = 'user' AND subject_id = ?)) "
                "ORDER BY kind = 'chat' DESC LIMIT 1",
                (platform, chat, user),
            ).fetchone()
        if row is None:
            return None
        return opt_out_of_row(row)

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
        platform = check_platform(platform)
        chats = dict.fromkeys(check_subject(c, "chat_id") for c in chat_ids)
        users = dict.fromkeys(check_subject(u, "user_id") for u in user_ids)
        subjects = [("chat", c) for c in chats] + [("user", u) for u in users]
        found: dict[str, dict[str, OptOut]] = {"chat": {}, "user": {}}
        with self._reading() as session:
            for part in chunks(subjects):
                clauses, params = [], [platform]
                for kind in ("chat", "user"):
                    ids = [subject for k, subject in part if k == kind]
                    if ids:
                        marks = ", ".join("?" * len(ids))
                        clauses.append(f"(kind = '{kind}' AND subject_id IN ({marks}))")
                        params += ids
                rows = session.execute(
                    "SELECT kind, subject_id, since FROM opt_outs "
                    f"WHERE platform = ? AND ({' OR '.join(clauses)})",
                    params,
                ).fetchall()
                for row in rows:
                    found[str(row[0])][str(row[1])] = opt_out_of_row(row)
        return OptOuts(chats=MappingProxyType(found["chat"]), users=MappingProxyType(found["user"]))

    # ------------------------------------------------------------------ mood counts

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
        key = (check_platform(platform), check_subject(chat_id, "chat_id"))
        check_mood(mood)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count: should be a whole number of 1 or more, not {count!r}")
        when = check_day(day) if day is not None else datetime.datetime.now(datetime.UTC).date()
        with self._writing() as session:
            session.execute(_ADD_MOOD_COUNT, (*key, when.isoformat(), mood, count))

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
        background writer at once (see :mod:`bot.store.counts` for when they are written).

        Raises:
            ValueError: An invalid mood name, or an empty platform or id (nothing is counted).
            StoreError: The store is closed.
        """
        keys = [(check_platform(p), check_subject(c, "chat_id"), m) for p, c, m in counts]
        for _, _, mood in keys:
            check_mood(mood)
        self._live()
        if keys:
            self._counts.add(keys, datetime.datetime.now(datetime.UTC).date())

    def _write_mood_counts(self, counts: Mapping[tuple[str, str, str, datetime.date], int]) -> None:
        """Adds waiting counts to their counters, all in one transaction.

        Raises:
            StoreError: The database could not be written; no counter changed.
        """
        # in key order, so that two processes writing the same counters never deadlock
        rows = sorted(
            (platform, chat_id, day.isoformat(), mood, count)
            for (platform, chat_id, mood, day), count in counts.items()
        )
        with self._writing() as session:
            session.executemany(_ADD_MOOD_COUNT, rows)

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
        params: tuple[str, ...] = (
            check_platform(platform),
            check_subject(chat_id, "chat_id"),
        )
        if since is not None:
            sql += " AND day >= ?"
            params += (check_day(since).isoformat(),)
        with self._reading() as session:
            rows = session.execute(sql + " ORDER BY day, mood", params).fetchall()
        out: dict[str, dict[str, int]] = {}
        for day, mood, count in rows:
            text = day.isoformat() if isinstance(day, datetime.date) else str(day)
            out.setdefault(text, {})[str(mood)] = int(count)
        return out

    # ------------------------------------------------------------------ deleting data

    def delete_user(self, platform: str, user_id: str | int) -> DeletionReport:
        """Deletes everything the store holds about a user: their opt-out row, if any.

        The store keeps no other per-user data: mood counts are per chat and day, never per
        person, and no message text is ever stored.

        Raises:
            ValueError: An empty platform or id.
            StoreError: The database could not be written.

        """
        key = (check_platform(platform), check_subject(user_id, "user_id"))
        with self._writing() as session:
            removed = session.execute(
                "DELETE FROM opt_outs WHERE platform = ? AND kind = 'user' AND subject_id = ?",
                key,
            ).rowcount
        report = DeletionReport(chats=0, opt_outs=removed, mood_rows=0)
        self._after_delete(("opt_outs",))
        logger.info("deleted the stored data of a %s user (%d rows)", platform, report.total)
        return report

    def delete_chat(self, platform: str, chat_id: str | int) -> DeletionReport:
        """Deletes everything the store holds about a chat: settings, opt-out and mood counts.

        Raises:
            ValueError: An empty platform or id.
            StoreError: The database could not be written; nothing is deleted then.

        """
        key = (check_platform(platform), check_subject(chat_id, "chat_id"))
        self.flush()  # a count still waiting must not outlive the deletion
        with self._writing() as session:
            chats = session.execute(
                "DELETE FROM chat_settings WHERE platform = ? AND chat_id = ?", key
            ).rowcount
            opt_outs = session.execute(
                "DELETE FROM opt_outs WHERE platform = ? AND kind = 'chat' AND subject_id = ?",
                key,
            ).rowcount
            mood_rows = session.execute(
                "DELETE FROM mood_counts WHERE platform = ? AND chat_id = ?", key
            ).rowcount
        report = DeletionReport(chats=chats, opt_outs=opt_outs, mood_rows=mood_rows)
        self._after_delete(("chat_settings", "opt_outs", "mood_counts"))
        logger.info("deleted the stored data of a %s chat (%d rows)", platform, report.total)
        return report

    # ------------------------------------------------------------------ update claims

    def claim_update(self, platform: str, key: str, *, keep_s: float = CLAIM_KEEP_S) -> bool:
        """Claims a platform update (say a Telegram ``update_id``) for this caller, once.

        For webhooks that the platform may deliver more than once, to several processes: the
        first caller to claim ``(platform, key)`` gets ``True`` and handles the update; every
        later caller, in this process or another sharing the database, gets ``False``. The
        claim is one atomic insert, so two callers racing for the same key cannot both win.
        A claim older than ``keep_s`` counts as gone (claiming again succeeds), and such claims
        are deleted now and then (at most every :data:`CLAIM_PRUNE_EVERY_S` per store).

        Args:
            platform: The platform, e.g. ``"telegram"``.
            key: The update's id on that platform (1 to :data:`MAX_CLAIM_KEY` characters),
                e.g. ``f"{bot_id}:{update_id}"``.
            keep_s: How long a claim is remembered, in seconds (> 0).

        Returns:
            Whether this caller claimed the update first.

        Raises:
            ValueError: An empty platform, an empty or too long key, or a bad ``keep_s``.
            StoreError: The database could not be written (``busy`` or ``unavailable``
                when trying again later may work); nothing was claimed then.

        """
        platform = check_platform(platform)
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_CLAIM_KEY:
            raise ValueError(f"key: should be a string of 1 to {MAX_CLAIM_KEY} characters")
        if (
            isinstance(keep_s, bool)
            or not isinstance(keep_s, int | float)
            or not math.isfinite(keep_s)
            or keep_s <= 0
        ):
            raise ValueError(f"keep_s: should be a number of seconds above 0, not {keep_s!r}")
        now = time.time()
        expired = now - float(keep_s)
        prune = self._prune_due(now)
        with self._writing() as session:
            claimed = (
                session.execute(
                    "INSERT INTO update_claims (platform, key, claimed_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (platform, key) DO UPDATE SET claimed_at = excluded.claimed_at "
                    "WHERE update_claims.claimed_at < ?",
                    (platform, key, now, expired),
                ).rowcount
                == 1
            )
            if prune:
                pruned = session.execute(
                    "DELETE FROM update_claims WHERE claimed_at < ?", (expired,)
                ).rowcount
                if pruned:
                    logger.debug("pruned %d update claims older than %.0f s", pruned, keep_s)
        return claimed

    def _prune_due(self, now: float) -> bool:
        """Whether this claim should also delete old claims (and, if so, notes that it did)."""
        with self._prune_lock:
            if now - self._claims_pruned_at < CLAIM_PRUNE_EVERY_S:
                return False
            self._claims_pruned_at = now
            return True


_ADD_MOOD_COUNT = (
    "INSERT INTO mood_counts (platform, chat_id, day, mood, count) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, chat_id, day, mood) "
    "DO UPDATE SET count = mood_counts.count + excluded.count"
)


# ---------------------------------------------------------------------------- checks and helpers


def effective(overrides: Mapping[str, Any], platform: str, defaults: ChatSettings) -> ChatSettings:
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


def decode_overrides(text: str | None, platform: str) -> dict[str, Any]:
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


def opt_out_of_row(row: Sequence[Any]) -> OptOut:
    """An opt-out from its ``kind, subject_id, since`` row."""
    kind: Literal["user", "chat"] = "chat" if row[0] == "chat" else "user"
    return OptOut(kind=kind, subject_id=str(row[1]), since=str(row[2]))


def chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """``values`` in runs short enough to be bound in one statement each."""
    for start in range(0, len(values), MOST_PARAMETERS):
        yield values[start : start + MOST_PARAMETERS]


def check_mood(mood: object) -> None:
    """Raises ``ValueError`` unless ``mood`` is 1 to 32 characters of ``a-z``, ``_``, ``-``."""
    if not isinstance(mood, str) or not _MOOD.fullmatch(mood):
        raise ValueError(f"mood: should be 1 to 32 characters of a-z, _ and -, not {mood!r}")


def check_platform(platform: str) -> str:
    """``platform`` if it is a non-empty string, else ``ValueError``."""
    if not isinstance(platform, str) or not platform:
        raise ValueError(f"platform: should be a non-empty string, not {platform!r}")
    return platform


def check_subject(value: str | int, what: str) -> str:
    """A chat's or user's id as stored (text), or ``ValueError`` naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
        raise ValueError(f"{what}: should be a non-empty string or an integer")
    return str(value)


def check_day(value: datetime.date) -> datetime.date:
    """The calendar day of a date (a ``datetime`` counts by its own date)."""
    if not isinstance(value, datetime.date):
        raise ValueError(f"day: should be a date, not {value!r}")
    return datetime.date(value.year, value.month, value.day)


def now_iso() -> str:
    """Now, in UTC, as ISO 8601 to the second."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def jsonable(value: Any) -> Any:
    """A checked setting's value in JSON types (modes as text, mappings as dicts)."""
    if isinstance(value, Mode):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value
