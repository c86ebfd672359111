"""The Discord-only texts of the Cog; the shared ones live in :mod:`adapters.common.answers`.

Every answer has a message id in the catalogues of :mod:`adapters.common.i18n`
(``discord.<name>``); the constants here are the English texts, and :func:`texts_for_locale`
gives the catalogue for an interaction's locale. No function here ever receives the message
text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord

from moodmoji.adapters.common.answers import ENGLISH, mood_text
from moodmoji.adapters.common.i18n import Catalogue, texts_for
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
    "texts_for_locale",
]

#: Discord's limit on a message's content.
MAX_CONTENT = 2000

#: For the operator's log (English, not an answer).
NO_CONTENT_NOTE = (
    "the bot has no MESSAGE_CONTENT intent: no automatic reactions; the 'Suggest replies' "
    "menu and the slash commands still work"
)
NEED_MANAGE = ENGLISH.template("discord.need_manage")
SERVER_ONLY = ENGLISH.template("discord.server_only")
NO_STORE = ENGLISH.template("discord.no_store")
STORE_FAILED = ENGLISH.template("discord.store_failed")
BUSY = ENGLISH.template("discord.busy")
BAD_REF = ENGLISH.template("discord.bad_ref")
NOT_VISIBLE = ENGLISH.template("discord.not_visible")
NOT_FOUND = ENGLISH.template("discord.not_found")
OTHER_SERVER = ENGLISH.template("discord.other_server")
NO_TEXT = ENGLISH.template("discord.no_text")
CHANNEL_BACK = ENGLISH.template("discord.channel_back")


def texts_for_locale(locale: discord.Locale | str | None) -> Catalogue:
    """The catalogue for a Discord locale (``pt-BR``, ``es-419``, ``uk``); English otherwise."""
    return texts_for(locale.value if isinstance(locale, discord.Locale) else locale)


def clip(text: str, limit: int = MAX_CONTENT) -> str:
    """``text`` cut to Discord's message limit (with an ellipsis when cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def suggestions_text(decision: Decision, tx: Catalogue = ENGLISH) -> str:
    """The ephemeral answer of "Suggest replies": up to three replies and the message's moods.

    The replies are in the message's own language (the reply bank's); the rest in ``tx``'s.
    """
    if decision.skipped:
        return mood_text(decision, tx=tx)
    if decision.suggestions:
        lines = [tx.text("discord.suggested_replies")]
        lines.extend(f"{i}. {s.text}" for i, s in enumerate(decision.suggestions[:3], start=1))
    else:
        lines = [tx.text("discord.no_suggestion")]
    lines.append(mood_text(decision, tx=tx))
    return "\n".join(lines)


def settings_text(
    settings: Mapping[str, Any], overrides: Mapping[str, Any], tx: Catalogue = ENGLISH
) -> str:
    """``/moodmoji show``: the channel's effective settings, marking its own changes.

    The settings' names and values stay as ``/moodmoji`` takes them (not translated).
    """
    lines = [tx.text("discord.settings_head")]
    for name, value in settings.items():
        if isinstance(value, Mapping):
            value = ", ".join(f"{k} -> {v}" for k, v in value.items()) or tx.text("common.none")
        mark = " *" if name in overrides else ""
        lines.append(f"{name}: {value}{mark}")
    return "\n".join(lines)
