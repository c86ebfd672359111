"""Localised slash commands: discord.py's :class:`~discord.app_commands.Translator` for moodmoji.

The Cog writes the texts Discord shows in its command picker (command, group and option
descriptions, and the name of the "Suggest replies" menu) with :func:`described`: a
``locale_str`` that carries its message id (``key``) in the catalogues of
:mod:`adapters.common.i18n`. When the command tree is synced, discord.py asks the tree's
translator for each string in each of Discord's locales, and sends the answers as
``name_localizations`` / ``description_localizations``. Command and option names are never
translated: ``/optout`` is ``/optout`` in every language.

:class:`MoodTranslator` answers moodmoji's strings in the catalogue languages (``pt-BR`` ->
Portuguese, ``es-ES`` and ``es-419`` -> Spanish ...) and hands every other string to the
translator the bot had before (if any), so the Cog can join a bot that localises its own
commands.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from moodmoji.adapters.common.i18n import DEFAULT_LANGUAGE, language_of, texts_for

logger = logging.getLogger(__name__)

__all__ = ["MAX_DESCRIPTION", "MAX_MENU_NAME", "MoodTranslator", "described"]

#: Discord's limits: a description is 1-100 characters, a context menu's name 1-32.
MAX_DESCRIPTION = 100
MAX_MENU_NAME = 32

_NAMES = (
    app_commands.TranslationContextLocation.command_name,
    app_commands.TranslationContextLocation.group_name,
    app_commands.TranslationContextLocation.parameter_name,
)


def described(key: str) -> app_commands.locale_str:
    """The English text of catalogue message ``key``, as a ``locale_str`` the translator knows."""
    return app_commands.locale_str(texts_for(DEFAULT_LANGUAGE).template(key), key=key)


class MoodTranslator(app_commands.Translator):
    """Translates moodmoji's command texts from the catalogues; delegates all others.

    Args:
        fallback: The translator the tree had before, asked for strings that are not
            moodmoji's (``None``: they stay untranslated).

    """

    def __init__(self, fallback: app_commands.Translator | None = None) -> None:
        self.fallback = fallback

    async def load(self) -> None:
        """Loads the translator it stands in front of."""
        if self.fallback is not None:
            await self.fallback.load()

    async def unload(self) -> None:
        """Unloads the translator it stands in front of."""
        if self.fallback is not None:
            await self.fallback.unload()

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """The text of ``string`` in ``locale``; ``None`` keeps Discord's default (English).

        Args:
            string: The string; moodmoji's carry their message id in ``extras["key"]``.
            locale: One of Discord's locales.
            context: Where the string is (a command's description, an option's name ...).

        """
        key = string.extras.get("key")
        if not isinstance(key, str) or not key.startswith("discord."):
            if self.fallback is None:
                return None
            return await self.fallback.translate(string, locale, context)
        language = language_of(locale.value)
        if language == DEFAULT_LANGUAGE:
            return None
        text = texts_for(language).messages.get(key)
        if not isinstance(text, str):
            return None  # Discord shows the English text
        is_name = context.location in _NAMES
        if is_name and not key.startswith("discord.menu."):
            return None  # command and option names stay as they are in every language
        limit = MAX_MENU_NAME if is_name else MAX_DESCRIPTION
        if not 1 <= len(text) <= limit:
            logger.warning(
                "discord: %s in %s is over Discord's %d characters", key, language, limit
            )
            return None
        return text
