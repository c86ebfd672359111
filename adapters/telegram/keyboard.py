"""Reply suggestions as inline buttons that copy their text, plus a dismiss button.

A suggestion button carries a :class:`telegram.CopyTextButton`: pressing it puts the reply on
the user's clipboard, and the user sends it (or not) themselves. The bot never posts a reply on
anyone's behalf. The dismiss button names the person who asked in its callback data; only they
may press it (Telegram delivers callback data exactly as the bot set it on the button).
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup

from moodmoji.adapters.telegram.texts import DISMISS_LABEL
from moodmoji.bot.decision import Suggestion

__all__ = [
    "DISMISS_LABEL",
    "DISMISS_PREFIX",
    "MAX_SUGGESTIONS",
    "dismiss_data",
    "dismiss_owner",
    "suggestion_keyboard",
]

MAX_SUGGESTIONS = 3
COPY_TEXT_MAX = 256  # Telegram: CopyTextButton.text is 1-256 characters
DISMISS_PREFIX = "moodmoji:dismiss:"


def dismiss_data(requester_id: int) -> str:
    """Callback data of the dismiss button for suggestions asked for by ``requester_id``."""
    return f"{DISMISS_PREFIX}{requester_id}"


def dismiss_owner(data: str | None) -> int | None:
    """The requester named in a dismiss button's callback data; ``None`` if it is not one."""
    if not data or not data.startswith(DISMISS_PREFIX):
        return None
    try:
        return int(data.removeprefix(DISMISS_PREFIX))
    except ValueError:
        return None


def suggestion_keyboard(
    suggestions: Sequence[Suggestion], requester_id: int, *, dismiss_label: str = DISMISS_LABEL
) -> InlineKeyboardMarkup:
    """One copy button per suggestion (at most three), then the dismiss button.

    Args:
        suggestions: The replies, best first.
        requester_id: Who asked (only they may dismiss the buttons).
        dismiss_label: The dismiss button's text, in the requester's language.

    """
    rows = [
        [InlineKeyboardButton(s.text, copy_text=CopyTextButton(s.text[:COPY_TEXT_MAX]))]
        for s in suggestions[:MAX_SUGGESTIONS]
        if s.text.strip()
    ]
    rows.append([InlineKeyboardButton(dismiss_label, callback_data=dismiss_data(requester_id))])
    return InlineKeyboardMarkup(rows)
