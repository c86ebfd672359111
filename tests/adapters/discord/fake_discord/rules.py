"""Discord's rules for what clients send, and its JSON errors (status, code, message)."""

from __future__ import annotations

import re
from typing import Any

import discord
import emoji as emoji_lib

from tests.adapters.discord.fake_discord.world import Guild

EPHEMERAL = 1 << 6
#: Flags an interaction response may carry: ephemeral, suppress embeds / notifications, V2.
ALLOWED_RESPONSE_FLAGS = EPHEMERAL | (1 << 2) | (1 << 12) | (1 << 15)
CHAT_NAME = re.compile(r"^[-_\w]{1,32}$")
CUSTOM_EMOJI = re.compile(r"^([A-Za-z0-9_]{2,32}):([0-9]{15,21})$")
#: The locales Discord accepts as keys of ``name_localizations`` / ``description_localizations``
#: (the list comes from discord.py's ``Locale``, not from moodmoji).
LOCALES = frozenset(locale.value for locale in discord.Locale)


class DiscordError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def emoji_key(guild: Guild, text: str) -> str:
    """A reaction's emoji, as the route names it: a Unicode emoji or ``name:id``."""
    custom = CUSTOM_EMOJI.fullmatch(text)
    if custom is not None:
        name, emoji_id = custom[1], int(custom[2])
        if any(e.id == emoji_id and e.name == name for e in guild.emojis):
            return text
        raise DiscordError(400, 10014, "Unknown Emoji")
    if emoji_lib.is_emoji(text):
        return text
    raise DiscordError(400, 10014, "Unknown Emoji")


def check_content(data: dict[str, Any]) -> None:
    content = data.get("content")
    if content is not None and (not isinstance(content, str) or len(content) > 2000):
        raise DiscordError(
            400, 50035, "Invalid Form Body (content: must be 2000 or fewer in length)"
        )
    if not content and not data.get("embeds") and not data.get("components"):
        raise DiscordError(400, 50006, "Cannot send an empty message")


def check_command(command: Any) -> None:
    """Discord's rules for an application command (names, descriptions, options)."""
    if not isinstance(command, dict) or not isinstance(command.get("name"), str):
        raise DiscordError(400, 50035, "Invalid Form Body (name)")
    kind = command.get("type", 1)
    name, description = command["name"], command.get("description", "")
    if kind == 1:
        if not CHAT_NAME.fullmatch(name) or name != name.lower():
            raise DiscordError(400, 50035, f"Invalid Form Body (name {name!r})")
        if not isinstance(description, str) or not 1 <= len(description) <= 100:
            raise DiscordError(400, 50035, f"Invalid Form Body (description of {name!r})")
        check_options(command.get("options", []), depth=0)
        check_localizations(command, chat=True)
    elif kind in (2, 3):
        if not 1 <= len(name) <= 32 or description not in ("", None):
            raise DiscordError(400, 50035, f"Invalid Form Body (context menu {name!r})")
        check_localizations(command, chat=False)
    else:
        raise DiscordError(400, 50035, "Invalid Form Body (type)")
    permissions = command.get("default_member_permissions")
    if permissions is not None and not str(permissions).isdigit():
        raise DiscordError(400, 50035, "Invalid Form Body (default_member_permissions)")


def check_options(options: list[dict[str, Any]], *, depth: int) -> None:
    if len(options) > 25:
        raise DiscordError(400, 50035, "Invalid Form Body (too many options)")
    optional_seen = False
    for option in options:
        name = option.get("name", "")
        if not CHAT_NAME.fullmatch(name) or name != name.lower():
            raise DiscordError(400, 50035, f"Invalid Form Body (option {name!r})")
        if not 1 <= len(option.get("description", "")) <= 100:
            raise DiscordError(400, 50035, f"Invalid Form Body (description of option {name!r})")
        check_localizations(option, chat=True)
        kind = option.get("type")
        if kind in (1, 2):
            if depth >= 2 or (kind == 2 and depth >= 1):
                raise DiscordError(400, 50035, "Invalid Form Body (nesting)")
            check_options(option.get("options", []), depth=depth + 1)
            continue
        if kind not in range(3, 12):
            raise DiscordError(400, 50035, f"Invalid Form Body (type of option {name!r})")
        if option.get("required"):
            if optional_seen:
                raise DiscordError(
                    400, 50035, "Invalid Form Body (required options must come first)"
                )
        else:
            optional_seen = True
        if len(option.get("choices", [])) > 25:
            raise DiscordError(400, 50035, "Invalid Form Body (too many choices)")


def check_localizations(item: dict[str, Any], *, chat: bool) -> None:
    """A command's or option's ``name_localizations`` / ``description_localizations``.

    Keys must be Discord's locales; a localised name follows the rules of the name (for a
    slash command or option: lowercase ``[-_\\w]``, 1-32), a description is 1-100 characters.
    """
    for field, limit in (("name_localizations", 32), ("description_localizations", 100)):
        localized = item.get(field)
        if localized is None:
            continue
        if not isinstance(localized, dict):
            raise DiscordError(400, 50035, f"Invalid Form Body ({field})")
        for locale, text in localized.items():
            if locale not in LOCALES:
                raise DiscordError(400, 50035, f"Invalid Form Body ({field}: locale {locale!r})")
            if not isinstance(text, str) or not 1 <= len(text) <= limit:
                raise DiscordError(400, 50035, f"Invalid Form Body ({field}.{locale})")
            is_name = field == "name_localizations"
            if is_name and chat and (not CHAT_NAME.fullmatch(text) or text != text.lower()):
                raise DiscordError(400, 50035, f"Invalid Form Body ({field}.{locale})")


def check_option(option: dict[str, Any], value: Any) -> None:
    """What Discord's client lets a user type for an option."""
    kind = option["type"]
    expected: type | tuple[type, ...] = {3: str, 4: int, 5: bool, 10: (int, float)}.get(kind, str)
    assert isinstance(value, expected), f"{option['name']}: {value!r} is not of type {kind}"
    choices = option.get("choices")
    if choices:
        assert value in [c["value"] for c in choices], (
            f"{option['name']}: {value!r} is not a choice"
        )
    if "min_value" in option:
        assert value >= option["min_value"], f"{option['name']}: below min_value"
    if "max_value" in option:
        assert value <= option["max_value"], f"{option['name']}: above max_value"
