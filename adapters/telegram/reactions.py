"""Automatic reactions: messages flowing past are queued, decided, and reacted to.

The message handler only offers the message to a bounded :class:`~adapters.common.work_queue.
WorkQueue` and returns, so update processing never waits for the model. Workers then, per
message:

1. skip a chat that refused the bot recently, and (before any request to Telegram) a message
   whose author or chat opted out or whose chat is in mode ``off`` (asked of the core's
   :class:`~bot.chats.Chats`; when the store cannot be read the message is not handled);
2. fetch the chat's allowed reactions (``getChat``, cached) when the chat's mode reacts;
3. ask the core (:meth:`bot.core.MoodBot.adecide`, batched with the other workers) and keep
   the decision for ``/why``;
4. send the one reaction verbatim with ``setMessageReaction``, unless the message went stale.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from telegram import Message

from moodmoji.adapters.common.recent import RecentDecisions
from moodmoji.adapters.common.work_queue import WorkQueue
from moodmoji.adapters.telegram.client import ChatClient
from moodmoji.adapters.telegram.convert import born, incoming
from moodmoji.adapters.telegram.settings import TelegramSettings
from moodmoji.bot.core import MoodBot
from moodmoji.bot.errors import CoreError
from moodmoji.bot.messages import ChatContext, IncomingMessage, Platform

logger = logging.getLogger(__name__)

__all__ = ["Reactor"]

PLATFORM = str(Platform.TELEGRAM)


class Reactor:
    """Decides about messages flowing past and reacts to them.

    Args:
        moodbot: The core.
        client: Calls to Telegram.
        recent: Where decisions are kept for ``/why``.
        settings: Queue size, workers, staleness.
        clock: Wall clock (message dates are wall-clock times).

    """

    def __init__(
        self,
        moodbot: MoodBot,
        client: ChatClient,
        recent: RecentDecisions,
        settings: TelegramSettings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.moodbot = moodbot
        self.client = client
        self.recent = recent
        self.settings = settings
        self.queue: WorkQueue[Message] = WorkQueue(
            self.handle,
            maxsize=settings.queue_size,
            workers=settings.workers,
            stale_after_s=settings.stale_after_s,
            clock=clock,
            name="telegram reactions",
        )

    def offer(self, message: Message) -> bool:
        """Queues a message without waiting (starting the workers on first use)."""
        self.queue.start()
        return self.queue.offer(message, born=born(message))

    async def handle(self, message: Message) -> None:
        """Decides about one message and reacts to it (a queue worker runs this)."""
        chat_id = message.chat_id
        if self.client.refused(chat_id) is not None:
            self.client.counters.skipped_refused += 1
            return
        seen = incoming(message)
        reacts = await self._precheck(seen)
        if reacts is None:
            return
        bot = message.get_bot()
        written = born(message)
        deadline = written + self.settings.stale_after_s
        allowed = None
        if reacts:
            ok, allowed = await self.client.allowed_reactions(bot, chat_id, deadline=deadline)
            if not ok:
                return
        context = ChatContext(self_id=str(bot.id), available_reactions=allowed)
        try:
            decision = await self.moodbot.adecide(seen, context, suggest=False)
        except CoreError as exc:
            self.client.counters.decide_errors += 1
            logger.warning("telegram: no decision for a message (%s)", type(exc).__name__)
            return
        self.recent.remember(Platform.TELEGRAM, seen.chat_id, seen.message_id, decision)
        if not reacts or not decision.reactions:
            return
        if self.queue.is_stale(written):
            self.queue.count_stale()
            return
        emoji = decision.reactions[0].emoji
        await self.client.react(bot, chat_id, message.message_id, emoji, deadline=deadline)

    async def _precheck(self, seen: IncomingMessage) -> bool | None:
        """Before any request to Telegram: ``None`` to skip, else whether the chat reacts.

        Opt-outs and mode ``off`` are checked again by the core; checking here keeps the bot
        from even asking Telegram about such a chat.

        Raises:
            ChatsUnavailable: The store could not be read; the queue counts the message as
                failed (by the error's type only) and nothing is sent.
        """
        chats = self.moodbot.chats
        settings = await chats.settings_unless_opted_out(PLATFORM, seen.chat_id, seen.author_id)
        if settings is None:
            return None
        mode = settings.mode
        if not mode.reacts and not mode.suggests:
            return None
        return mode.reacts
