"""The decisions of recent messages, so ``/why`` can explain what actually happened.

Only decisions are kept (reactions, moods, rule steps); never the message text. The map is
bounded: the oldest entry goes first.
"""

from __future__ import annotations

from collections import OrderedDict

from moodmoji.bot.decision import Decision

__all__ = ["RecentDecisions"]


class RecentDecisions:
    """A bounded map of (platform, chat id, message id) -> the decision taken.

    Args:
        maxlen: Most decisions kept.

    """

    def __init__(self, maxlen: int = 2048) -> None:
        self._maxlen = maxlen
        self._items: OrderedDict[tuple[str, str, str], Decision] = OrderedDict()

    def remember(self, platform: str, chat_id: str, message_id: str, decision: Decision) -> None:
        """Keeps ``decision`` for the message."""
        key = (str(platform), str(chat_id), str(message_id))
        self._items.pop(key, None)
        self._items[key] = decision
        while len(self._items) > self._maxlen:
            self._items.popitem(last=False)

    def get(self, platform: str, chat_id: str, message_id: str) -> Decision | None:
        """The decision taken for the message, if it is still remembered."""
        return self._items.get((str(platform), str(chat_id), str(message_id)))

    def forget_chat(self, platform: str, chat_id: str) -> None:
        """Drops every decision of a chat (after ``/forgetme`` of a whole chat)."""
        for key in [k for k in self._items if k[0] == str(platform) and k[1] == str(chat_id)]:
            del self._items[key]

    def __len__(self) -> int:
        return len(self._items)
