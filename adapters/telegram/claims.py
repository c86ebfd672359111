"""An update delivered twice is decided once: :class:`UpdateClaims`.

Telegram posts each update to the webhook until one delivery is answered in time; behind a
proxy with several workers, a delivery that timed out can be retried on another worker, which
then sees an update that the first one already queued. Before any of moodmoji's handlers sees
an update, :class:`UpdateClaims` claims it in the shared settings store
(``moodbot.chats.claim_update``, key ``"<bot id>:<update id>"``): the first worker to claim it
handles it, every other one drops it (and counts it). Workers that share the SQLite file or the
PostgreSQL database agree; a bot without a store claims every update (nothing to share).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from moodmoji.bot.chats import ChatsError, StoreError
from moodmoji.bot.core import MoodBot
from moodmoji.bot.messages import Platform

logger = logging.getLogger(__name__)

__all__ = ["ClaimCounters", "UpdateClaims", "update_key"]


def update_key(bot_id: int, update_id: int) -> str:
    """The key an update is claimed under: unique per bot, as update ids are per bot."""
    return f"{bot_id}:{update_id}"


@dataclass
class ClaimCounters:
    """Running totals of the claims (mutable).

    Attributes:
        claimed: Updates this worker claimed first (and handled).
        duplicates: Updates another worker (or an earlier delivery here) had claimed: dropped.
        errors: Claims the store could not record; those updates were handled anyway (a
            store that cannot be written would fail the decision too, so a reaction twice is
            the lesser risk than none).

    """

    claimed: int = 0
    duplicates: int = 0
    errors: int = 0


class UpdateClaims:
    """Claims each update in the shared store before moodmoji's handlers see it.

    Args:
        moodbot: The core; its ``chats.claim_update`` holds the claims.
        platform: The platform the claims are filed under.

    """

    def __init__(self, moodbot: MoodBot, *, platform: str = Platform.TELEGRAM) -> None:
        self.moodbot = moodbot
        self.platform = str(platform)
        self.counters = ClaimCounters()

    def handler(self) -> BaseHandler[Update, Any, Any]:
        """A blocking handler for every update, to add in a group before moodmoji's.

        It stops a duplicate from reaching the handler groups after its own (PTB's
        ``ApplicationHandlerStop``); a claimed update flows on.
        """
        return TypeHandler(Update, self._check, block=True)

    async def claim(self, bot_id: int, update_id: int) -> bool:
        """Whether this worker may handle the update (it claimed it first, or could not ask)."""
        try:
            first = await self.moodbot.chats.claim_update(
                self.platform, update_key(bot_id, update_id)
            )
        except (ChatsError, StoreError) as exc:
            self.counters.errors += 1
            logger.warning(
                "telegram: could not claim update %s (%s); handling it anyway",
                update_id,
                type(exc).__name__,
            )
            return True
        if first:
            self.counters.claimed += 1
        else:
            self.counters.duplicates += 1
            logger.info("telegram: update %s was already claimed; dropped here", update_id)
        return first

    async def _check(self, update: Update, context: Any) -> None:
        if not await self.claim(context.bot.id, update.update_id):
            raise ApplicationHandlerStop
