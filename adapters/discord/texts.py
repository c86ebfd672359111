"""The Discord-only texts of the Cog; the shared ones live in :mod:`adapters.common.answers`.

No function here ever receives the message text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moodmoji.adapters.common.answers import mood_text
from moodmoji.bot.decision import Decision

__all__ = [
    "BAD_REF",
    "BUSY",
    "CHANNEL_BACK",
    "MAX_CONTENT",
    "NEED_MANAGE",
    "NOT_FOUND",
    "NOT_VISIBLE",
    "NO_CONTENT_NOTE",
    "NO_STORE",
    "NO_TEXT",
    "OTHER_SERVER",
    "SERVER_ONLY",
    "STORE_FAILED",
    "clip",
    "settings_text",
    "suggestions_text",
]

#: Discord's limit on a message's content.
MAX_CONTENT = 2000

NO_CONTENT_NOTE = (
    "the bot has no MESSAGE_CONTENT intent: no automatic reactions; the 'Suggest replies' "
    "menu and the slash commands still work"
)
NEED_MANAGE = "Only members with the Manage Server permission can change moodmoji's settings."
SERVER_ONLY = "This works in a server channel only."
NO_STORE = "moodmoji keeps no settings or stats in this bot (it runs without a settings store)."
STORE_FAILED = "moodmoji could not reach its settings store; please try again later."
BUSY = "moodmoji is busy right now; please try again in a moment."
BAD_REF = (
    "Give a message link (right-click the message > Copy Message Link) or a message id from "
    "this channel."
)
NOT_VISIBLE = "You cannot read that message's channel, so moodmoji will not explain it."
NOT_FOUND = "moodmoji cannot find that message (it may be deleted, or moodmoji cannot see it)."
OTHER_SERVER = "That message is in another server."
NO_TEXT = (
    "moodmoji cannot read that message's text: this bot has no MESSAGE_CONTENT intent. "
    "Use Apps > Suggest replies on the message instead."
)
CHANNEL_BACK = "moodmoji is back in this channel."


def clip(text: str, limit: int = MAX_CONTENT) -> str:
    """``text`` cut to Discord's message limit (with an ellipsis when cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def suggestions_text(decision: Decision) -> str:
    """The ephemeral answer of "Suggest replies": up to three replies and the message's moods."""
    if decision.skipped:
        return mood_text(decision)
    if decision.suggestions:
        lines = ["Suggested replies:"]
        lines.extend(f"{i}. {s.text}" for i, s in enumerate(decision.suggestions[:3], start=1))
    else:
        lines = ["No reply fits this message well enough to suggest one."]
    lines.append(mood_text(decision))
    return "\n".join(lines)


def settings_text(settings: Mapping[str, Any], overrides: Mapping[str, Any]) -> str:
    """``/moodmoji show``: the channel's effective settings, marking its own changes."""
    lines = ["moodmoji in this channel (* = changed here):"]
    for name, value in settings.items():
        if isinstance(value, Mapping):
            value = ", ".join(f"{k} -> {v}" for k, v in value.items()) or "none"
        mark = " *" if name in overrides else ""
        lines.append(f"{name}: {value}{mark}")
    return "\n".join(lines)
