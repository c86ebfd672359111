"""moodmoji as a set of python-telegram-bot handlers: :class:`TelegramMoodmoji`.

Add it to an Application you already have (``install``), or let ``moodmoji telegram`` run it
on its own (:mod:`adapters.telegram.command`). The handlers return at once: messages go to
bounded work queues whose workers ask the core and then act (:mod:`adapters.telegram.
reactions`, :mod:`adapters.telegram.commands`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from moodmoji.adapters.common.recent import RecentDecisions
from moodmoji.adapters.common.refusals import RefusalMemory
from moodmoji.adapters.common.work_queue import QueueStats
from moodmoji.adapters.telegram.available import AvailableReactions
from moodmoji.adapters.telegram.claims import UpdateClaims
from moodmoji.adapters.telegram.client import ChatClient
from moodmoji.adapters.telegram.commands import Commands, Context
from moodmoji.adapters.telegram.convert import sent_by_bot
from moodmoji.adapters.telegram.info import telegram_section
from moodmoji.adapters.telegram.keyboard import DISMISS_PREFIX
from moodmoji.adapters.telegram.reactions import Reactor
from moodmoji.adapters.telegram.settings import TelegramSettings
from moodmoji.bot.config import Config
from moodmoji.bot.core import MoodBot

logger = logging.getLogger(__name__)

__all__ = ["COMMANDS", "HANDLER_GROUP", "TelegramMoodmoji", "TelegramStats"]

#: The handler group moodmoji's handlers are added to: before the default group 0, so that a
#: handler of yours that stops propagation does not hide messages from moodmoji. moodmoji's
#: handlers never stop propagation themselves.
HANDLER_GROUP = -1

#: The commands and what they do (for ``setMyCommands`` and help texts).
COMMANDS: dict[str, str] = {
    "suggest": "as a reply: replies you could send",
    "mood": "this chat's mood lately, or a message's mood (as a reply)",
    "why": "as a reply: why moodmoji reacted as it did",
    "optout": "moodmoji stops reading your messages",
    "optin": "moodmoji reads your messages again",
    "forgetme": "delete what moodmoji keeps about you",
    "moodmoji": "mode react|suggest|both|off (chat admins)",
}

_Hook = Callable[[Application[Any, Any, Any, Any, Any, Any]], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class TelegramStats:
    """A snapshot of the adapter's counters.

    Attributes:
        reactions: The automatic-reaction queue (offered, processed, dropped as stale or
            because it was full, peak length).
        requests: The queue of explicit requests (``/suggest``, ``/why``, ``/mood``).
        reactions_sent: Reactions Telegram accepted.
        reaction_errors: Reactions that failed (rejected, refused, rate limited, network).
        replies_sent: Messages sent (answers to commands, suggestions).
        refusals: Times a chat refused the bot (403, a rejected reaction) and was set aside.
        skipped_refused: Messages skipped because their chat had refused the bot.
        rate_limited: 429 answers seen (each retry counts once, and a final give-up once).
        retries: Requests retried after waiting ``retry_after``.
        ignored_bots: Messages of bots (this one included), never queued.
        decide_errors: Messages the core could not decide about (overloaded, failed).
        duplicate_updates: Updates dropped because another worker (or an earlier delivery)
            had claimed them (only with ``install(..., claim_updates=True)``).
        claim_errors: Updates handled without a claim, the store being unavailable.

    """

    reactions: QueueStats
    requests: QueueStats
    reactions_sent: int
    reaction_errors: int
    replies_sent: int
    refusals: int
    skipped_refused: int
    rate_limited: int
    retries: int
    ignored_bots: int
    decide_errors: int
    duplicate_updates: int = 0
    claim_errors: int = 0


class TelegramMoodmoji:
    """moodmoji for python-telegram-bot: automatic reactions, suggestions and commands.

    Args:
        moodbot: The core (shared, or built by :meth:`from_config`).
        settings: Queues, staleness, retries and cache lifetimes.
        owns_bot: Close ``moodbot`` in :meth:`aclose` (set by :meth:`from_config` when it
            built the core itself).
        clock: Wall clock (message dates are wall-clock times).
        sleep: Waits out a 429 (injected by tests).

    """

    def __init__(
        self,
        moodbot: MoodBot,
        settings: TelegramSettings | None = None,
        *,
        owns_bot: bool = False,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.moodbot = moodbot
        self.settings = settings or TelegramSettings()
        self.recent = RecentDecisions()
        self.client = ChatClient(
            self.settings,
            refusals=RefusalMemory(self.settings.refusal_ttl_s),
            available=AvailableReactions(self.settings.available_reactions_ttl_s),
            clock=clock,
            sleep=sleep,
        )
        self.reactor = Reactor(moodbot, self.client, self.recent, self.settings, clock=clock)
        self.commands = Commands(moodbot, self.client, self.recent, self.settings, clock=clock)
        self.claims = UpdateClaims(moodbot)
        self._owns_bot = owns_bot
        self._closed = False

    @classmethod
    def from_config(
        cls, config: Config, *, moodbot: MoodBot | None = None, model: Path | None = None
    ) -> TelegramMoodmoji:
        """Builds the adapter from the config file's ``telegram`` section.

        Args:
            config: The loaded configuration.
            moodbot: A core to share; without it one is built from ``config`` (its model and
                settings store) and closed by :meth:`aclose`.
            model: A model bundle directory overriding ``model.path``.

        Raises:
            CoreError: The model bundle is missing or invalid.
            StoreError: The settings store cannot be opened.

        """
        owns = moodbot is None
        core = moodbot if moodbot is not None else MoodBot.from_config(config, model=model)
        return cls(core, TelegramSettings.from_section(telegram_section(config)), owns_bot=owns)

    # ------------------------------------------------------------------ handlers

    def handlers(self, *, help_commands: bool = False) -> list[BaseHandler[Update, Any, Any]]:
        """The handlers, in the order they must be checked (all in one group).

        Args:
            help_commands: Also answer ``/start`` and ``/help`` (the standalone bot does).

        """
        new = filters.UpdateType.MESSAGE
        command_filter = new & ~filters.FORWARDED
        c = self.commands
        commands: list[tuple[str, Callable[[Update, Context], Coroutine[Any, Any, None]]]] = [
            ("suggest", c.suggest),
            ("mood", c.mood),
            ("why", c.why),
            ("optout", c.optout),
            ("optin", c.optin),
            ("forgetme", c.forgetme),
            ("moodmoji", c.settings_command),
        ]
        if help_commands:
            commands += [("start", c.help), ("help", c.help)]
        out: list[BaseHandler[Update, Any, Any]] = [
            CommandHandler(name, callback, filters=command_filter, block=False)
            for name, callback in commands
        ]
        out.append(
            CallbackQueryHandler(c.dismiss, pattern=f"^{re.escape(DISMISS_PREFIX)}", block=False)
        )
        text = filters.TEXT | filters.CAPTION
        out.append(
            MessageHandler(
                new & filters.ChatType.PRIVATE & filters.FORWARDED & text,
                c.forwarded,
                block=False,
            )
        )
        out.append(MessageHandler(new & text & ~filters.COMMAND, self._on_message))
        return out

    def install(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        *,
        group: int = HANDLER_GROUP,
        help_commands: bool = False,
        claim_updates: bool = False,
    ) -> None:
        """Adds the handlers to ``application`` and chains its stop hooks.

        After ``run_polling``/``run_webhook`` stops the application, ``post_stop`` lets queued
        work finish (see :meth:`aclose`); any hooks you set are still called, first. If you
        start and stop the application yourself, call ``await moodmoji.aclose()`` after
        ``application.stop()``.

        Args:
            application: Your Application.
            group: The handler group (default :data:`HANDLER_GROUP`).
            help_commands: Also answer ``/start`` and ``/help``.
            claim_updates: Claim every update in the shared settings store first, in group
                ``group - 1``, and stop one that another worker claimed before it reaches any
                later handler group, yours included (:class:`~.claims.UpdateClaims`). For
                several webhook workers behind one proxy, which may each be handed the same
                update.

        """
        if claim_updates:
            application.add_handler(self.claims.handler(), group=group - 1)
        application.add_handlers(self.handlers(help_commands=help_commands), group=group)
        application.post_stop = _chain(application.post_stop, self._post_stop)

    async def _post_stop(self, _application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await self.aclose()

    async def _on_message(self, update: Update, context: Context) -> None:
        """A message flowing past: queue it and return at once."""
        message = update.message
        if message is None or self._closed:
            return
        if sent_by_bot(message):
            self.client.counters.ignored_bots += 1
            return
        self.reactor.offer(message)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Starts the queue workers (done on first use anyway; needs a running event loop)."""
        self.reactor.queue.start()
        self.commands.queue.start()

    async def join(self) -> None:
        """Waits until every queued message and request has been handled or dropped."""
        await self.reactor.queue.join()
        await self.commands.queue.join()

    async def aclose(self, *, drain_s: float | None = None) -> None:
        """Lets queued work finish for up to ``drain_s`` (default: ``drain_seconds``), then stops.

        Call it after the Application stopped fetching updates (``application.stop()``), so
        that every update Telegram was told is handled gets handled. Closes the core too when
        this adapter built it. Idempotent.
        """
        if self._closed:
            return
        self._closed = True
        drain = self.settings.drain_seconds if drain_s is None else drain_s
        await asyncio.gather(
            self.reactor.queue.aclose(drain_s=drain), self.commands.queue.aclose(drain_s=drain)
        )
        stats = self.stats
        logger.info(
            "telegram: stopped; %d messages handled, %d reactions, %d dropped as stale, "
            "%d dropped (queue full)",
            stats.reactions.processed,
            stats.reactions_sent,
            stats.reactions.dropped_stale,
            stats.reactions.dropped_full,
        )
        if self._owns_bot:
            await self.moodbot.aclose()

    @property
    def stats(self) -> TelegramStats:
        """A snapshot of the counters."""
        c = self.client.counters
        return TelegramStats(
            reactions=self.reactor.queue.stats,
            requests=self.commands.queue.stats,
            reactions_sent=c.reactions_sent,
            reaction_errors=c.reaction_errors,
            replies_sent=c.replies_sent,
            refusals=c.refusals,
            skipped_refused=c.skipped_refused,
            rate_limited=c.rate_limited,
            retries=c.retries,
            ignored_bots=c.ignored_bots,
            decide_errors=c.decide_errors,
            duplicate_updates=self.claims.counters.duplicates,
            claim_errors=self.claims.counters.errors,
        )


def _chain(first: _Hook | None, then: _Hook) -> _Hook:
    """A hook that runs ``first`` (if any), then ``then``."""
    if first is None:
        return then

    async def both(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        try:
            await first(application)
        finally:
            await then(application)

    return both
