"""Cooldowns and reaction budgets, so a bot never reacts to every message of a busy chat.

Automatic reactions in one chat are held back when any of these says so:

* **chat cooldown**: the chat's last reaction was less than ``chat_cooldown_s`` ago;
* **user cooldown**: the bot reacted to the same person less than ``user_cooldown_s`` ago;
* **budget**: the chat already had ``budget_reactions`` reactions in the last
  ``budget_window_s`` seconds;
* **share**: reacting would exceed ``budget_share`` of the messages seen in the window
  (at least one reaction per window is always allowed).

The clock is injected (``time.monotonic`` by default), so tests drive time by hand. State lives
in memory, is bounded (:data:`MAX_CHATS` chats, least recently active dropped first) and holds
ids and times only.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.decision import Step

__all__ = ["MAX_CHATS", "Pacer"]

MAX_CHATS = 10_000


@dataclass
class _ChatState:
    messages: deque[float] = field(default_factory=deque)
    reactions: deque[float] = field(default_factory=deque)
    users: dict[str, float] = field(default_factory=dict)


class Pacer:
    """Tracks messages and reactions per chat and says when to hold back.

    Args:
        clock: Seconds from any fixed origin, never going backwards.
        max_chats: Most chats tracked at once.

    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_chats: int = MAX_CHATS
    ) -> None:
        self._clock = clock
        self._max_chats = max_chats
        self._chats: OrderedDict[str, _ChatState] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._chats)

    def observe(self, chat: str, settings: ChatSettings) -> None:
        """Counts one message seen in a chat (it feeds the share budget)."""
        now = self._clock()
        with self._lock:
            state = self._state(chat)
            self._prune(state, now, settings)
            state.messages.append(now)

    def hold(self, chat: str, user: str, settings: ChatSettings) -> Step | None:
        """Why a reaction in ``chat`` to ``user`` should wait now, or ``None`` to go ahead."""
        now = self._clock()
        with self._lock:
            state = self._state(chat)
            self._prune(state, now, settings)
            if state.reactions and now - state.reactions[-1] < settings.chat_cooldown_s:
                left = settings.chat_cooldown_s - (now - state.reactions[-1])
                return Step("chat-cooldown", f"last reaction in this chat: wait {left:.0f} s more")
            last = state.users.get(user)
            if last is not None and now - last < settings.user_cooldown_s:
                left = settings.user_cooldown_s - (now - last)
                return Step("user-cooldown", f"reacted to this person: wait {left:.0f} s more")
            window = f"{settings.budget_window_s:g} s"
            if len(state.reactions) >= settings.budget_reactions:
                return Step(
                    "budget",
                    f"{len(state.reactions)} reactions in the last {window} "
                    f"(budget {settings.budget_reactions})",
                )
            seen = max(len(state.messages), 1)
            allowed = max(1, math.floor(settings.budget_share * seen + 1e-9))
            if len(state.reactions) >= allowed:
                return Step(
                    "share",
                    f"{len(state.reactions)} reactions for {seen} messages in the last {window} "
                    f"(share {settings.budget_share:g})",
                )
            return None

    def record(self, chat: str, user: str) -> None:
        """Notes a reaction the bot made."""
        now = self._clock()
        with self._lock:
            state = self._state(chat)
            state.reactions.append(now)
            state.users[user] = now

    def _state(self, chat: str) -> _ChatState:
        state = self._chats.get(chat)
        if state is None:
            state = self._chats[chat] = _ChatState()
            while len(self._chats) > self._max_chats:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat)
        return state

    @staticmethod
    def _prune(state: _ChatState, now: float, settings: ChatSettings) -> None:
        start = now - settings.budget_window_s
        for times in (state.messages, state.reactions):
            while times and times[0] <= start:
                times.popleft()
        horizon = max(settings.user_cooldown_s, settings.chat_cooldown_s)
        stale = [user for user, at in state.users.items() if now - at >= horizon]
        for user in stale:
            del state.users[user]
