"""Everything the adapter asks of Telegram, with bounded retries and refusal bookkeeping.

:class:`ChatClient` wraps the few Bot API methods moodmoji uses (``getChat``,
``setMessageReaction``, ``sendMessage``, ``getChatMember``, ``answerCallbackQuery``,
``deleteMessage``, ``editMessageReplyMarkup``). Every call goes through
:func:`adapters.telegram.calls.call_api`; a failure is logged by its type and Telegram's
description (never the message text), and a refusal is remembered for the chat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    ReactionTypeEmoji,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from moodmoji.adapters.common.refusals import RefusalMemory
from moodmoji.adapters.telegram.available import Allowed, AvailableReactions, emoji_set
from moodmoji.adapters.telegram.calls import RetryPolicy, call_api, describe, refusal
from moodmoji.adapters.telegram.settings import TelegramSettings

logger = logging.getLogger(__name__)

__all__ = ["ChatClient", "Counters"]

T = TypeVar("T")

ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})


@dataclass
class Counters:
    """Running totals of what the adapter did with Telegram (mutable; see ``TelegramStats``)."""

    reactions_sent: int = 0
    reaction_errors: int = 0
    replies_sent: int = 0
    reply_errors: int = 0
    refusals: int = 0
    skipped_refused: int = 0
    rate_limited: int = 0
    retries: int = 0
    ignored_bots: int = 0
    decide_errors: int = 0


class ChatClient:
    """The adapter's calls to the Bot API.

    Args:
        settings: Retry bounds and time-to-live values.
        refusals: Chats that refused the bot.
        available: The per-chat cache of allowed reactions.
        clock: Wall clock (message dates are wall-clock times).
        sleep: Waits out a 429 (injected by tests).

    """

    def __init__(
        self,
        settings: TelegramSettings,
        *,
        refusals: RefusalMemory,
        available: AvailableReactions,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.refusals = refusals
        self.available = available
        self.counters = Counters()
        self._clock = clock
        self._sleep = sleep

    # ------------------------------------------------------------------ plumbing

    def policy_for(self, bot: Bot) -> RetryPolicy:
        """The retry bounds for ``bot``.

        An Application with a rate limiter (``AIORateLimiter``) already waits out 429s and
        retries as it is configured to; retrying here as well would multiply the attempts.
        """
        own_limiter = getattr(bot, "rate_limiter", None) is not None
        retries = 0 if own_limiter else self.settings.retries
        return RetryPolicy(retries=retries, max_wait_s=self.settings.max_retry_wait_s)

    async def call(
        self, bot: Bot, request: Callable[[], Awaitable[T]], *, deadline: float | None = None
    ) -> T:
        """Runs one API request with the bounded 429 handling (errors are raised)."""
        try:
            return await call_api(
                request,
                self.policy_for(bot),
                deadline=deadline,
                clock=self._clock,
                sleep=self._sleep,
                on_retry=self._count_retry,
            )
        except RetryAfter:
            self.counters.rate_limited += 1
            raise

    def _count_retry(self, _wait: float) -> None:
        self.counters.rate_limited += 1
        self.counters.retries += 1

    def refused(self, chat_id: int) -> str | None:
        """Why the chat refused the bot, while that is remembered."""
        return self.refusals.refused(str(chat_id))

    def _failed(self, chat_id: int, what: str, exc: TelegramError, *, remember: bool) -> None:
        reason = refusal(exc) if remember else None
        if reason is None:
            logger.warning("telegram: %s failed in chat %s (%s)", what, chat_id, describe(exc))
            return
        self.refusals.refuse(str(chat_id), reason)
        self.counters.refusals += 1
        logger.warning(
            "telegram: chat %s refused %s (%s); not trying there again for %.0f s",
            chat_id,
            what,
            describe(exc),
            self.refusals.ttl_s,
        )

    # ------------------------------------------------------------------ reactions

    async def allowed_reactions(
        self, bot: Bot, chat_id: int, *, deadline: float | None = None
    ) -> tuple[bool, Allowed]:
        """The emoji the chat allows (cached): ``(True, None)`` means all of them.

        Returns ``(False, None)`` when ``getChat`` failed; a refusal is then remembered.
        """

        async def fetch() -> Allowed:
            chat = await self.call(bot, lambda: bot.get_chat(chat_id), deadline=deadline)
            return emoji_set(chat.available_reactions)

        try:
            return True, await self.available.get(chat_id, fetch)
        except TelegramError as exc:
            self._failed(chat_id, "getChat", exc, remember=True)
            return False, None

    async def react(
        self, bot: Bot, chat_id: int, message_id: int, emoji: str, *, deadline: float | None
    ) -> bool:
        """Sets one emoji reaction on a message, verbatim; ``True`` if Telegram took it."""
        try:
            await self.call(
                bot,
                lambda: bot.set_message_reaction(chat_id, message_id, [ReactionTypeEmoji(emoji)]),
                deadline=deadline,
            )
        except TelegramError as exc:
            self.counters.reaction_errors += 1
            if isinstance(exc, BadRequest):
                self.available.forget(chat_id)  # the chat may have changed its list
            self._failed(chat_id, "setMessageReaction", exc, remember=True)
            return False
        self.counters.reactions_sent += 1
        logger.debug("telegram: reacted %s to message %s in chat %s", emoji, message_id, chat_id)
        return True

    # ------------------------------------------------------------------ answers

    async def reply(
        self, message: Message, text: str, *, markup: InlineKeyboardMarkup | None = None
    ) -> Message | None:
        """Answers ``message`` in its chat (quoting it when it still exists)."""
        bot = message.get_bot()
        quote = message.build_reply_arguments(allow_sending_without_reply=True)
        try:
            sent = await self.call(
                bot, lambda: message.reply_text(text, reply_markup=markup, do_quote=quote)
            )
        except TelegramError as exc:
            self.counters.reply_errors += 1
            self._failed(message.chat_id, "sendMessage", exc, remember=isinstance(exc, Forbidden))
            return None
        self.counters.replies_sent += 1
        return sent

    async def answer(self, query: CallbackQuery, text: str | None = None) -> None:
        """Answers a button press; with ``text``, as an alert the presser must dismiss."""
        try:
            await self.call(
                query.get_bot(), lambda: query.answer(text=text, show_alert=text is not None)
            )
        except TelegramError as exc:
            chat_id = query.message.chat.id if query.message is not None else 0
            self._failed(chat_id, "answerCallbackQuery", exc, remember=False)

    async def remove(self, message: MaybeInaccessibleMessage) -> bool:
        """Deletes one of the bot's messages, or strips its buttons when it cannot be deleted."""
        bot = message.get_bot()
        chat_id, message_id = message.chat.id, message.message_id
        try:
            await self.call(bot, lambda: bot.delete_message(chat_id, message_id))
            return True
        except TelegramError as exc:
            logger.info("telegram: could not delete message %s (%s)", message_id, describe(exc))
        try:
            await self.call(
                bot, lambda: bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
            )
            return True
        except TelegramError as exc:
            self._failed(chat_id, "editMessageReplyMarkup", exc, remember=False)
            return False

    async def is_admin(self, message: Message) -> bool:
        """Whether the sender may change the chat's settings.

        In a private chat the user is the admin. An anonymous admin writes as the chat itself.
        Elsewhere ``getChatMember`` must say administrator or owner.
        """
        chat = message.chat
        if chat.type == ChatType.PRIVATE:
            return True
        if message.sender_chat is not None:
            return message.sender_chat.id == chat.id
        user = message.from_user
        if user is None:
            return False
        bot = message.get_bot()
        try:
            member = await self.call(bot, lambda: bot.get_chat_member(chat.id, user.id))
        except TelegramError as exc:
            self._failed(chat.id, "getChatMember", exc, remember=False)
            return False
        return member.status in ADMIN_STATUSES
