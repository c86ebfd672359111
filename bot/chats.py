"""Every chat operation a platform command performs, owned by the core.

Reading and changing a chat's settings, opting out and in, forgetting a user or a chat, mood
stats and a chat's custom emoji are the same on every platform, so they live here once; an
adapter parses its command, checks the platform's own permissions, awaits one method of
:class:`Chats` and renders the answer. The settings store stays private to the core: every
operation runs in a worker thread (the stores are synchronous: SQLite, or PostgreSQL through a
connection pool), and every failure reaches the adapter as one of two errors:

* :class:`NoStoreError`: this bot keeps no settings store (``store.path`` is not set);
* :class:`ChatsUnavailable`: the store could not be read or written (``busy`` when another
  process holds its write lock, ``unavailable`` when its server cannot be reached; either way
  an API can answer "try again").

An invalid change (an unknown setting, a value out of range) raises ``ValueError`` naming the
setting, before anything is written.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.store import DeletionReport, OptOut, Store, StoreError

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_MOOD_DAYS",
    "ChatView",
    "Chats",
    "ChatsError",
    "ChatsUnavailable",
    "DeletionReport",
    "MoodStats",
    "NoStoreError",
    "OptOut",
    "StoreError",
]

#: The longest span ``mood_stats`` looks back over, in days.
MAX_MOOD_DAYS = 366

T = TypeVar("T")


class ChatsError(Exception):
    """A chat operation could not be done; the adapter says so and the bot carries on."""


class NoStoreError(ChatsError):
    """This bot keeps no settings store, so there is nothing to read, change or forget."""

    def __init__(self) -> None:
        super().__init__("this bot keeps no settings store (store.path is not set)")


class ChatsUnavailable(ChatsError):  # noqa: N818 - reads as the state it reports
    """The settings store could not be read or written; nothing was changed.

    Attributes:
        busy: Another process holds the store's write lock; trying again later may work.
        unavailable: The store's database server could not be reached (PostgreSQL down or
            restarting); trying again later may work.
    """

    def __init__(self, message: str, *, busy: bool = False, unavailable: bool = False) -> None:
        super().__init__(message)
        self.busy = busy
        self.unavailable = unavailable


@dataclass(frozen=True)
class ChatView:
    """A chat's settings as a settings command shows them.

    Attributes:
        effective: The defaults with the chat's own changes laid over them.
        overrides: Only what the chat changed, setting name -> value (JSON types).
    """

    effective: ChatSettings
    overrides: Mapping[str, Any]


@dataclass(frozen=True)
class MoodStats:
    """A chat's mood counts over recent days (counts only, never any message text).

    Attributes:
        days: How many days back the counts reach (today included).
        since: The first UTC day counted.
        counts: ``{'YYYY-MM-DD': {mood: count}}``, days ascending; days without messages absent.
    """

    days: int
    since: datetime.date
    counts: Mapping[str, Mapping[str, int]]


class Chats:
    """The chat operations of one bot, awaitable from any adapter.

    Args:
        store: The settings store, or ``None`` for a bot that keeps nothing (then every
            operation but :meth:`settings` raises :class:`NoStoreError`).
        defaults: The settings of a chat that changed nothing.
    """

    def __init__(self, store: Store | None, defaults: ChatSettings) -> None:
        self._store = store
        self.defaults = defaults

    @property
    def keeps_state(self) -> bool:
        """Whether a settings store is configured."""
        return self._store is not None

    def health(self) -> str | None:
        """Why the store cannot take writes now (say, another process holds it), or ``None``."""
        return None if self._store is None else self._store.health()

    # ------------------------------------------------------------------ settings

    async def settings(self, platform: str, chat_id: str | int) -> ChatSettings:
        """A chat's effective settings; the defaults when the bot keeps no store.

        Raises:
            ChatsUnavailable: The store could not be read.
        """
        store = self._store
        if store is None:
            return self.defaults
        return await self._run(store.chat_settings, str(platform), chat_id, self.defaults)

    async def settings_unless_opted_out(
        self, platform: str, chat_id: str | int, user_id: str | int
    ) -> ChatSettings | None:
        """A chat's effective settings, or ``None`` when the chat or the author opted out.

        One trip to the store's thread, for an adapter that checks a message flowing past
        before it asks the platform for anything.

        Raises:
            ChatsUnavailable: The store could not be read.
        """
        store = self._store
        if store is None:
            return self.defaults

        def read() -> ChatSettings | None:
            if store.opt_out(str(platform), chat_id, user_id) is not None:
                return None
            return store.chat_settings(str(platform), chat_id, self.defaults)

        return await self._run(read)

    async def view(self, platform: str, chat_id: str | int) -> ChatView:
        """A chat's effective settings and its own changes, read together.

        Raises:
            NoStoreError: The bot keeps no store.
            ChatsUnavailable: The store could not be read.
        """
        store = self._need_store()

        def read() -> ChatView:
            overrides = store.chat_overrides(str(platform), chat_id)
            effective = store.chat_settings(str(platform), chat_id, self.defaults)
            return ChatView(effective=effective, overrides=overrides)

        return await self._run(read)

    async def update(self, platform: str, chat_id: str | int, **changes: Any) -> dict[str, Any]:
        """Changes some of a chat's settings; a value of ``None`` goes back to the default.

        Returns:
            The chat's own changes after this one.

        Raises:
            ValueError: An unknown setting or an invalid value (nothing is written).
            NoStoreError: The bot keeps no store.
            ChatsUnavailable: The store could not be written; the old settings stay.
        """
        store = self._need_store()
        overrides = await self._run(store.update_chat, str(platform), chat_id, **changes)
        logger.info("a %s chat changed %s", platform, ", ".join(sorted(changes)))
        return overrides

    async def reset(self, platform: str, chat_id: str | int) -> None:
        """Drops every change a chat made, so that it follows the defaults again.

        Raises:
            NoStoreError: The bot keeps no store.
            ChatsUnavailable: The store could not be written.
        """
        store = self._need_store()
        await self._run(store.reset_chat, str(platform), chat_id)

    async def set_custom_emoji(
        self, platform: str, chat_id: str | int, key: str, emoji: str | None
    ) -> dict[str, Any]:
        """Maps a mood or an emoji to one of the chat's custom emoji (``None`` removes it).

        Args:
            platform: The chat's platform.
            chat_id: The chat.
            key: A mood name or an emoji.
            emoji: The custom emoji in the platform's own notation, or ``None``.

        Returns:
            The chat's own changes afterwards.

        Raises:
            ValueError: An empty key or an invalid emoji (nothing is written).
            NoStoreError: The bot keeps no store.
            ChatsUnavailable: The store could not be read or written.
        """
        store = self._need_store()
        key = key.strip()
        if not key:
            raise ValueError("custom_emoji: the mood or emoji to map is empty")

        def change() -> dict[str, Any]:
            mapping = dict(store.chat_overrides(str(platform), chat_id).get("custom_emoji") or {})
            if emoji is None:
                mapping.pop(key, None)
            else:
                mapping[key] = emoji
            return store.update_chat(str(platform), chat_id, custom_emoji=mapping or None)

        return await self._run(change)

    # ------------------------------------------------------------------ privacy

    async def opt_out(self, platform: str, kind: Literal["user", "chat"], subject: str) -> None:
        """Keeps the bot out of a user's messages (on the whole platform) or out of a chat.

        Raises:
            NoStoreError: The bot keeps no store.
            ChatsUnavailable: The store could not be written.
        """
        await self._set_opt_out(platform, kind, subject, True)

    async def opt_in(self, platform: str, kind: Literal["user", "chat"], subject: str) -> None:
        """Undoes :meth:`opt_out` (nothing happens when there was none).

        Raises:
            NoStoreError: The bot keeps no store.
            ChatsUnavailable: The store could not be written.
        """
        await self._set_opt_out(platform, kind, subject, False)

    async def opted_out(
        self, platform: str, chat_id: str | int | None, user_id: str | int | None
    ) -> OptOut | None:
        """The opt-out that keeps the bot out of this chat or user, if any.

        Raises:
            ChatsUnavailable: The store could not be read.
        """
        store = self._store
        if store is None:
            return None
        return await self._run(store.opt_out, str(platform), chat_id, user_id)

    async def forget_user(self, platform: str, user_id: str | int) -> DeletionReport:
        """Deletes everything stored about a user (their opt-out included).

        Raises:
            NoStoreError: The bot keeps no store.
            ChatsUnavailable: The store could not be written; nothing is deleted then.
        """
        store = self._need_store()
        return await self._run(store.delete_user, str(platform), user_id)

    async def forget_chat(self, platform: str, chat_id: str | int) -> DeletionReport:
        """Deletes everything stored about a chat: settings, opt-out and mood stats.

        Raises:
            NoStoreError: The bot keeps no store.
            ChatsUnavailable: The store could not be written; nothing is deleted then.
        """
        store = self._need_store()
        return await self._run(store.delete_chat, str(platform), chat_id)

    # ------------------------------------------------------------------ stats

    async def mood_stats(
        self,
        platform: str,
        chat_id: str | int,
        days: int,
        *,
        today: datetime.date | None = None,
    ) -> MoodStats:
        """A chat's mood counts over the last ``days`` UTC days, today included.

        Raises:
            ValueError: ``days`` is not 1 to :data:`MAX_MOOD_DAYS`.
            NoStoreError: The bot keeps no store.
            ChatsUnavailable: The store could not be read.
        """
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_MOOD_DAYS:
            raise ValueError(f"days: should be 1 to {MAX_MOOD_DAYS}, not {days!r}")
        store = self._need_store()
        day = today or datetime.datetime.now(datetime.UTC).date()
        since = day - datetime.timedelta(days=days - 1)
        counts = await self._run(store.mood_counts, str(platform), chat_id, since=since)
        return MoodStats(days=days, since=since, counts=counts)

    async def mood_counts(
        self, platform: str, chat_id: str | int, since: datetime.date | None = None
    ) -> dict[str, dict[str, int]]:
        """A chat's mood counts per UTC day from ``since`` on (all days when ``None``).

        Raises:
            NoStoreError: The bot keeps no store.
            ChatsUnavailable: The store could not be read.
        """
        store = self._need_store()
        return await self._run(store.mood_counts, str(platform), chat_id, since=since)

    # ------------------------------------------------------------------ updates

    async def claim_update(self, platform: str, key: str) -> bool:
        """Whether this process is the first to handle a platform update (webhook dedupe).

        A platform may deliver one update several times (a webhook retried after a timeout,
        or two bot processes behind one URL); only the caller that gets ``True`` handles it.
        Claims are shared by every process using the same store, and remembered for a day.

        Args:
            platform: The platform, e.g. ``"telegram"``.
            key: The update's id on that platform, e.g. ``f"{bot_id}:{update_id}"``
                (1 to 200 characters).

        Returns:
            ``True`` for the first claim of ``(platform, key)``, ``False`` for every later
            one; always ``True`` when the bot keeps no store (nothing to share claims in).

        Raises:
            ValueError: An empty platform or an empty or too long key.
            ChatsUnavailable: The store could not be written (``busy`` or ``unavailable``
                when trying again may work); nothing was claimed, so a redelivery of the
                update can still claim it.
        """
        store = self._store
        if store is None:
            return True
        return await self._run(store.claim_update, str(platform), key)

    # ------------------------------------------------------------------ plumbing

    async def _set_opt_out(
        self, platform: str, kind: Literal["user", "chat"], subject: str, out: bool
    ) -> None:
        store = self._need_store()
        await self._run(store.set_opt_out, str(platform), kind, subject, out)
        logger.info("opt-%s of a %s %s", "out" if out else "in", platform, kind)

    def _need_store(self) -> Store:
        if self._store is None:
            raise NoStoreError
        return self._store

    @staticmethod
    async def _run(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Runs one store call in a worker thread; a store failure becomes ChatsUnavailable."""
        try:
            return await asyncio.to_thread(call, *args, **kwargs)
        except StoreError as exc:
            raise ChatsUnavailable(str(exc), busy=exc.busy, unavailable=exc.unavailable) from exc
