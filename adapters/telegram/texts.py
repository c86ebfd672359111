"""Texts only the Telegram adapter sends (the shared ones are in :mod:`adapters.common.answers`).

Plain text, sent without a parse mode. None of them quotes a message. Every text has a message
id in the catalogues of :mod:`adapters.common.i18n` (``telegram.<name>``); the constants here
are the English texts, :func:`texts_for_user` gives a user's catalogue.
"""

from __future__ import annotations

from moodmoji.adapters.common.answers import ENGLISH
from moodmoji.adapters.common.i18n import LANGUAGES, Catalogue, texts_for

__all__ = [
    "BUSY",
    "COMMAND_NAMES",
    "DISMISS_LABEL",
    "DISMISS_NOT_YOURS",
    "HELP",
    "MODE_NOW",
    "MODE_SET",
    "MODE_USAGE",
    "MOOD_NO_STATS",
    "NOTHING_TO_SUGGEST",
    "NOT_ADMIN",
    "NO_STORE",
    "NO_SUGGESTION",
    "NO_TEXT",
    "OPT_IN_CHAT",
    "SEND_AS_YOURSELF",
    "STORE_FAILED",
    "SUGGESTIONS_HEAD",
    "SUGGESTIONS_OFF",
    "SUGGEST_USAGE",
    "WHY_USAGE",
    "command_descriptions",
    "command_languages",
    "texts_for_user",
]

SUGGESTIONS_HEAD = ENGLISH.template("telegram.suggestions_head")
NO_SUGGESTION = ENGLISH.template("telegram.no_suggestion")
NOTHING_TO_SUGGEST = ENGLISH.template("telegram.nothing_to_suggest")
NO_TEXT = ENGLISH.template("telegram.no_text")
SUGGESTIONS_OFF = ENGLISH.template("telegram.suggestions_off")
SUGGEST_USAGE = ENGLISH.template("telegram.suggest_usage")
WHY_USAGE = ENGLISH.template("telegram.why_usage")
DISMISS_NOT_YOURS = ENGLISH.template("telegram.dismiss_not_yours")
DISMISS_LABEL = ENGLISH.template("telegram.dismiss")
NOT_ADMIN = ENGLISH.template("telegram.not_admin")
MODE_USAGE = ENGLISH.template("telegram.mode_usage")
MODE_NOW = ENGLISH.template("telegram.mode_now")
MODE_SET = ENGLISH.template("telegram.mode_set")
NO_STORE = ENGLISH.template("telegram.no_store")
MOOD_NO_STATS = ENGLISH.template("telegram.mood_no_stats")
OPT_IN_CHAT = ENGLISH.template("telegram.opt_in_chat")
SEND_AS_YOURSELF = ENGLISH.template("telegram.send_as_yourself")
STORE_FAILED = ENGLISH.template("telegram.store_failed")
BUSY = ENGLISH.template("telegram.busy")
HELP = ENGLISH.template("telegram.help")

#: The commands shown in Telegram's menu, in menu order (``/start`` and ``/help`` are not).
COMMAND_NAMES = ("suggest", "mood", "why", "optout", "optin", "forgetme", "moodmoji")


def texts_for_user(language_code: str | None) -> Catalogue:
    """The catalogue for a Telegram user's ``language_code``; English unless it has one.

    Args:
        language_code: What Telegram says (``ru``, ``pt-br``, ``de-AT``), or ``None`` when it
            did not send one.

    """
    return texts_for(language_code)


def command_descriptions(tx: Catalogue = ENGLISH) -> dict[str, str]:
    """Command -> what it does, in ``tx``'s language (for ``setMyCommands``)."""
    return {name: tx.text(f"telegram.command.{name}") for name in COMMAND_NAMES}


def command_languages() -> tuple[str, ...]:
    """The languages whose command menu is registered with its own ``language_code``.

    All but English: the English menu is every other user's.
    """
    return tuple(language for language in LANGUAGES if language != ENGLISH.language)
