"""The commands, the reply-suggestion requests and the dismiss button.

Commands whose answer needs the model (``/suggest``, ``/why`` and ``/mood`` as replies, and a
message forwarded to the bot in a private chat) go through a small bounded work queue of their
own, so a burst of requests cannot pile up. Every command that reads or changes a chat's
state checks Telegram's own rules (who may change a chat), awaits one operation of the core's
:class:`~bot.chats.Chats` through :meth:`Commands._chats`, which turns its failures into
answers, and renders the outcome. Every answer is plain text from
:mod:`adapters.common.answers` or :mod:`adapters.telegram.texts`, in the language of the user
who sent the command or pressed the button (Telegram's ``language_code``; English when the
language has no catalogue or Telegram did not say).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final, Literal, TypeVar, final

from telegram import Bot, Message, Update
from telegram.ext import CallbackContext

from moodmoji.adapters.common import answers
from moodmoji.adapters.common.i18n import Catalogue
from moodmoji.adapters.common.recent import RecentDecisions
from moodmoji.adapters.common.work_queue import WorkQueue
from moodmoji.adapters.telegram import texts
from moodmoji.adapters.telegram.client import ChatClient
from moodmoji.adapters.telegram.convert import born, forwarded_incoming, incoming
from moodmoji.adapters.telegram.keyboard import dismiss_owner, suggestion_keyboard
from moodmoji.adapters.telegram.settings import TelegramSettings
from moodmoji.bot.chat_settings import Mode
from moodmoji.bot.chats import Chats, ChatsUnavailable, NoStoreError
from moodmoji.bot.core import MoodBot
from moodmoji.bot.decision import Decision
from moodmoji.bot.errors import CoreError
from moodmoji.bot.messages import ChatContext, IncomingMessage, Platform

logger = logging.getLogger(__name__)

__all__ = ["Commands", "Context"]

Context = CallbackContext[Any, Any, Any, Any]
Job = Callable[[], Awaitable[None]]
T = TypeVar("T")

PLATFORM = str(Platform.TELEGRAM)
MAX_TEXT = 4096  # Telegram's limit on a message's text


@final
class _Answered:
    """What :meth:`Commands._chats` returns when the operation failed and the user was told."""


ANSWERED: Final = _Answered()


class Commands:
    """Answers moodmoji's commands and button presses.

    Args:
        moodbot: The core.
        client: Calls to Telegram.
        recent: Decisions of recent messages (for ``/why`` and ``/mood``).
        settings: Queue bounds and staleness.
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
        self.queue: WorkQueue[Job] = WorkQueue(
            _run,
            maxsize=settings.request_queue_size,
            workers=settings.request_workers,
            stale_after_s=settings.stale_after_s,
            clock=clock,
            name="telegram requests",
        )

    # ------------------------------------------------------------------ suggestions

    async def suggest(self, update: Update, context: Context) -> None:
        """``/suggest`` as a reply: up to three replies to that message, as copy buttons."""
        message = update.effective_message
        if message is None:
            return
        tx = _texts(update)
        target = message.reply_to_message
        if target is None:
            await self.client.reply(message, tx.text("telegram.suggest_usage"))
            return
        requester = _user_id(message)
        if requester is None:
            await self.client.reply(message, tx.text("telegram.send_as_yourself"))
            return
        seen = incoming(target)
        await self._enqueue(message, lambda: self._suggest(message, seen, requester, tx), tx)

    async def forwarded(self, update: Update, context: Context) -> None:
        """A message forwarded to the bot in a private chat: suggestions for it."""
        message = update.effective_message
        if message is None or message.from_user is None:
            return
        requester = message.from_user.id
        seen = forwarded_incoming(message)
        tx = _texts(update)
        await self._enqueue(message, lambda: self._suggest(message, seen, requester, tx), tx)

    async def _suggest(
        self, anchor: Message, seen: IncomingMessage, requester: int, tx: Catalogue
    ) -> None:
        if not seen.text.strip():
            await self.client.reply(anchor, tx.text("telegram.no_text"))
            return
        settings = await self._chats(
            anchor, "/suggest", self.chats.settings(PLATFORM, seen.chat_id), tx
        )
        if isinstance(settings, _Answered):
            return
        mode = settings.mode
        if mode is not Mode.OFF and not mode.suggests:
            await self.client.reply(anchor, tx.text("telegram.suggestions_off", mode=mode))
            return
        decision = await self._decide(seen, anchor.get_bot(), reactions=False)
        if decision is None:
            await self.client.reply(anchor, tx.text("telegram.busy"))
        elif decision.skipped:
            reason = answers.skip_reason(decision, tx=tx)
            await self.client.reply(anchor, tx.text("telegram.nothing_to_suggest", reason=reason))
        elif not decision.suggestions:
            await self.client.reply(anchor, tx.text("telegram.no_suggestion"))
        else:
            keyboard = suggestion_keyboard(
                decision.suggestions, requester, dismiss_label=tx.text("telegram.dismiss")
            )
            await self.client.reply(anchor, tx.text("telegram.suggestions_head"), markup=keyboard)

    async def dismiss(self, update: Update, context: Context) -> None:
        """The dismiss button: removes the suggestions, if the presser asked for them."""
        query = update.callback_query
        if query is None:
            return
        owner = dismiss_owner(query.data)
        if owner is None:
            await self.client.answer(query)
            return
        if query.from_user.id != owner:
            tx = texts.texts_for_user(query.from_user.language_code)
            await self.client.answer(query, tx.text("telegram.dismiss_not_yours"))
            return
        await self.client.answer(query)
        if query.message is not None:
            await self.client.remove(query.message)

    # ------------------------------------------------------------------ /mood and /why

    async def mood(self, update: Update, context: Context) -> None:
        """``/mood``: the replied-to message's moods, or the chat's mood mix of recent days."""
        message = update.effective_message
        if message is None:
            return
        tx = _texts(update)
        target = message.reply_to_message
        if target is not None:
            await self._enqueue(message, lambda: self._mood_of(message, target, tx), tx)
            return
        stats = await self._chats(
            message,
            "/mood",
            self.chats.mood_stats(PLATFORM, message.chat_id, self.settings.mood_days),
            tx,
            no_store="telegram.mood_no_stats",
        )
        if isinstance(stats, _Answered):
            return
        text = answers.mood_counts_text(stats.counts, days=stats.days, tx=tx)
        await self.client.reply(message, text)

    async def _mood_of(self, anchor: Message, target: Message, tx: Catalogue) -> None:
        seen = incoming(target)
        decision = self.recent.get(PLATFORM, seen.chat_id, seen.message_id)
        if decision is None:
            decision = await self._decide(seen, anchor.get_bot(), reactions=False)
        if decision is None:
            await self.client.reply(anchor, tx.text("telegram.busy"))
            return
        await self.client.reply(anchor, answers.mood_text(decision, tx=tx))

    async def why(self, update: Update, context: Context) -> None:
        """``/why`` as a reply: the decision taken when that message arrived, or a fresh one."""
        message = update.effective_message
        if message is None:
            return
        tx = _texts(update)
        target = message.reply_to_message
        if target is None:
            await self.client.reply(message, tx.text("telegram.why_usage"))
            return
        await self._enqueue(message, lambda: self._why(message, target, tx), tx)

    async def _why(self, anchor: Message, target: Message, tx: Catalogue) -> None:
        seen = incoming(target)
        remembered = self.recent.get(PLATFORM, seen.chat_id, seen.message_id)
        if remembered is not None:
            text = answers.why_text(remembered, remembered=True, tx=tx)
            await self.client.reply(anchor, _clip(text))
            return
        decision = await self._decide(seen, anchor.get_bot(), reactions=True)
        if decision is None:
            await self.client.reply(anchor, tx.text("telegram.busy"))
            return
        await self.client.reply(anchor, _clip(answers.why_text(decision, remembered=False, tx=tx)))

    # ------------------------------------------------------------------ privacy

    async def optout(self, update: Update, context: Context) -> None:
        """``/optout``: the sender (everywhere on Telegram); ``/optout chat``: the chat (admins)."""
        await self._opt(update, context, opted_out=True)

    async def optin(self, update: Update, context: Context) -> None:
        """``/optin``: undoes ``/optout`` (``/optin chat`` for the chat, admins only)."""
        await self._opt(update, context, opted_out=False)

    async def _opt(self, update: Update, context: Context, *, opted_out: bool) -> None:
        message = update.effective_message
        if message is None:
            return
        tx = _texts(update)
        if await self._keeps_nothing(message, tx):
            return
        kind: Literal["user", "chat"]
        if _first_arg(context) == "chat":
            if not await self.client.is_admin(message):
                await self.client.reply(message, tx.text("telegram.not_admin"))
                return
            kind, subject = "chat", message.chat_id
            done = "common.opt_out_chat" if opted_out else "telegram.opt_in_chat"
        else:
            user = _user_id(message)
            if user is None:
                await self.client.reply(message, tx.text("telegram.send_as_yourself"))
                return
            kind, subject = "user", user
            done = "common.opt_out_user" if opted_out else "common.opt_in"
        change = self.chats.opt_out if opted_out else self.chats.opt_in
        command = "/optout" if opted_out else "/optin"
        changed = await self._chats(message, command, change(PLATFORM, kind, str(subject)), tx)
        if isinstance(changed, _Answered):
            return
        logger.info("telegram: %s %s opted %s", kind, subject, "out" if opted_out else "in")
        await self.client.reply(message, tx.text(done))

    async def forgetme(self, update: Update, context: Context) -> None:
        """``/forgetme``: deletes everything stored about the sender."""
        message = update.effective_message
        if message is None:
            return
        tx = _texts(update)
        if await self._keeps_nothing(message, tx):
            return
        user = _user_id(message)
        if user is None:
            await self.client.reply(message, tx.text("telegram.send_as_yourself"))
            return
        report = await self._chats(
            message, "/forgetme", self.chats.forget_user(PLATFORM, str(user)), tx
        )
        if isinstance(report, _Answered):
            return
        await self.client.reply(message, answers.forget_text(report, user=True, tx=tx))

    # ------------------------------------------------------------------ settings

    async def settings_command(self, update: Update, context: Context) -> None:
        """``/moodmoji mode react|suggest|both|off``: the chat's mode (admins only to change)."""
        message = update.effective_message
        if message is None:
            return
        tx = _texts(update)
        args = [a.lower() for a in (context.args or [])]
        if not args or args[0] != "mode" or len(args) > 2:
            await self.client.reply(message, tx.text("telegram.mode_usage"))
            return
        if len(args) == 1:
            current = await self._chats(
                message, "/moodmoji", self.chats.settings(PLATFORM, message.chat_id), tx
            )
            if not isinstance(current, _Answered):
                text = tx.text("telegram.mode_now", mode=current.mode)
                await self.client.reply(message, text)
            return
        if args[1] not in {m.value for m in Mode}:
            await self.client.reply(message, tx.text("telegram.mode_usage"))
            return
        if await self._keeps_nothing(message, tx):
            return
        if not await self.client.is_admin(message):
            await self.client.reply(message, tx.text("telegram.not_admin"))
            return
        changed = self.chats.update(PLATFORM, message.chat_id, mode=args[1])
        if isinstance(await self._chats(message, "/moodmoji", changed, tx), _Answered):
            return
        logger.info("telegram: chat %s set mode %s", message.chat_id, args[1])
        await self.client.reply(message, tx.text("telegram.mode_set", mode=args[1]))

    async def help(self, update: Update, context: Context) -> None:
        """``/start`` and ``/help``: what the bot does."""
        message = update.effective_message
        if message is not None:
            await self.client.reply(message, _texts(update).text("telegram.help"))

    # ------------------------------------------------------------------ plumbing

    async def _enqueue(self, message: Message, job: Job, tx: Catalogue) -> None:
        """Queues work that needs the model; answers "busy" (in ``tx``) when the queue is full."""
        self.queue.start()
        written = born(message)
        if self.queue.is_stale(written):
            self.queue.offer(job, born=written)  # counted as stale; an old request is dropped
            return
        if not self.queue.offer(job, born=written):
            logger.info("telegram: request queue full; a request in chat %s", message.chat_id)
            await self.client.reply(message, tx.text("telegram.busy"))

    @property
    def chats(self) -> Chats:
        """The core's chat operations (settings, opt-outs, forget-me, mood stats)."""
        return self.moodbot.chats

    async def _chats(
        self,
        message: Message,
        command: str,
        operation: Awaitable[T],
        tx: Catalogue,
        *,
        no_store: str = "telegram.no_store",
    ) -> T | _Answered:
        """Awaits one operation of :attr:`chats`; a failure is answered to ``message``.

        Args:
            message: Where a failure is answered.
            command: The command, for the log (which never holds message text).
            operation: The awaitable of one :class:`~bot.chats.Chats` method.
            tx: The language of the answer.
            no_store: The message id of the answer when the bot keeps no settings store.

        Returns:
            The operation's result, or :data:`ANSWERED` when it failed and the user was told
            (the bot keeps no store, or the store could not be read or written).
        """
        try:
            return await operation
        except NoStoreError:
            await self.client.reply(message, tx.text(no_store))
        except ChatsUnavailable:
            logger.warning("telegram: %s failed: the settings store is not available", command)
            await self.client.reply(message, tx.text("telegram.store_failed"))
        return ANSWERED

    async def _keeps_nothing(self, message: Message, tx: Catalogue) -> bool:
        """Says so when the bot keeps no settings store (``True``), before any of Telegram's checks.

        A command that changes or deletes something asks this first, so that in a bot without a
        store nobody is asked for admin rights or to write as themselves for nothing.
        """
        if self.chats.keeps_state:
            return False
        await self.client.reply(message, tx.text("telegram.no_store"))
        return True

    async def _decide(self, seen: IncomingMessage, bot: Bot, *, reactions: bool) -> Decision | None:
        """An explicit decision (no pacing, nothing counted) about ``seen``."""
        allowed = None
        if reactions:
            _, allowed = await self.client.allowed_reactions(bot, int(seen.chat_id))
        context = ChatContext(self_id=str(bot.id), available_reactions=allowed)
        try:
            return await self.moodbot.adecide(seen, context, explicit=True)
        except CoreError as exc:
            self.client.counters.decide_errors += 1
            logger.warning("telegram: no decision for a request (%s)", type(exc).__name__)
            return None


async def _run(job: Job) -> None:
    await job()


def _user_id(message: Message) -> int | None:
    """The person who sent ``message``, unless they wrote as a chat (anonymously)."""
    if message.sender_chat is not None or message.from_user is None:
        return None
    return message.from_user.id


def _first_arg(context: Context) -> str | None:
    args = context.args or []
    return args[0].lower() if args else None


def _texts(update: Update) -> Catalogue:
    """The catalogue of the user behind ``update`` (their Telegram app's language)."""
    user = update.effective_user
    return texts.texts_for_user(user.language_code if user is not None else None)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
