"""The emoji each chat allows as reactions (``getChat``), cached per chat for a while.

The Bot API omits ``ChatFullInfo.available_reactions`` when every emoji reaction is allowed,
and otherwise lists the ones the chat's admins chose. Only reactions of type ``"emoji"`` count:
custom emoji and paid reactions are not something moodmoji sends.

python-telegram-bot turns an omitted list into an empty tuple, so an empty list (a chat that
allows no reaction at all) cannot be told from "all allowed"; both are taken as "all allowed".
In such a chat the first reaction is rejected (``REACTION_INVALID``) and the chat is then left
alone for ``refusal_ttl_s``.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence

from telegram import ReactionType, ReactionTypeEmoji

__all__ = ["AvailableReactions", "emoji_set"]

Allowed = frozenset[str] | None


def emoji_set(reactions: Sequence[ReactionType] | None) -> Allowed:
    """The emoji of a chat's ``available_reactions``; ``None`` when all are allowed.

    An empty or missing list means "all allowed" (PTB reports an omitted list as empty).
    """
    if not reactions:
        return None
    return frozenset(r.emoji for r in reactions if isinstance(r, ReactionTypeEmoji))


class AvailableReactions:
    """A per-chat cache of allowed reactions with a time to live.

    Concurrent lookups of one chat share a single ``getChat`` request.

    Args:
        ttl_s: How long an answer is kept (0 = ask every time).
        clock: Monotonic clock in seconds.
        max_chats: Most chats kept; the least recently fetched goes first.

    """

    def __init__(
        self,
        ttl_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_chats: int = 10_000,
    ) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._max = max_chats
        self._entries: OrderedDict[int, tuple[float, Allowed]] = OrderedDict()
        self._pending: dict[int, asyncio.Future[Allowed]] = {}
        self.fetches = 0

    async def get(self, chat_id: int, fetch: Callable[[], Awaitable[Allowed]]) -> Allowed:
        """The chat's allowed emoji, from the cache or from ``fetch`` (which may raise)."""
        entry = self._entries.get(chat_id)
        if entry is not None:
            until, allowed = entry
            if self._clock() < until:
                return allowed
            del self._entries[chat_id]
        pending = self._pending.get(chat_id)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this caller was cancelled
                # the caller that was fetching was cancelled: fetch here instead
        if chat_id in self._pending:
            return await self.get(chat_id, fetch)
        future: asyncio.Future[Allowed] = asyncio.get_running_loop().create_future()
        self._pending[chat_id] = future
        try:
            self.fetches += 1
            allowed = await fetch()
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so an unawaited future does not warn
            raise
        except BaseException:
            future.cancel()
            raise
        finally:
            del self._pending[chat_id]
        future.set_result(allowed)
        self.put(chat_id, allowed)
        return allowed

    def put(self, chat_id: int, allowed: Allowed) -> None:
        """Caches an answer (dropped at once when the TTL is 0)."""
        if self.ttl_s <= 0:
            return
        self._entries.pop(chat_id, None)
        self._entries[chat_id] = (self._clock() + self.ttl_s, allowed)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def forget(self, chat_id: int) -> None:
        """Drops a chat's cached answer (after Telegram rejected a reaction there)."""
        self._entries.pop(chat_id, None)

    def __len__(self) -> int:
        return len(self._entries)
