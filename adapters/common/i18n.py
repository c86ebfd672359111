"""The bot's answers in the user's language: message catalogues, language codes, plurals.

Each language has one JSON catalogue in ``locales/<language>.json``: message id -> text, with
``str.format`` placeholders (``{mode}``). A text that holds a number is a plural message: an
object of CLDR plural categories (``one``, ``few``, ``many``, ``other``; the ones the language
uses) -> text, chosen by :func:`plural_category` for the number. English (``en.json``) is the
source of every message; a message missing from another catalogue, or one whose placeholders do
not fit, is answered in English.

The language comes from what the platform says about the user: Telegram's ``language_code``
(``ru``, ``pt-br``, ``de-AT``) or Discord's locale (``pt-BR``, ``es-419``, ``zh-CN``).
:func:`texts_for` turns any such code into the catalogue of one of :data:`LANGUAGES`, English
when the language has none::

    tx = texts_for(user.language_code)
    tx.text("telegram.mode_set", mode="both")
    tx.plural("common.messages", 3)

No function here ever receives the text of a chat message.
"""

from __future__ import annotations

import functools
import json
import logging
import string
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LOCALES_DIR",
    "PLURAL_CATEGORIES",
    "Catalogue",
    "CatalogueError",
    "language_of",
    "load_messages",
    "placeholders",
    "plural_category",
    "texts_for",
]

#: The languages with a catalogue (those of the reply bank), English first.
LANGUAGES: Final = ("en", "es", "pt", "de", "fr", "it", "ru", "tr", "pl", "uk")
#: The language of users whose language has no catalogue (or is not known).
DEFAULT_LANGUAGE: Final = "en"
LOCALES_DIR: Final = Path(__file__).resolve().parent / "locales"

#: A catalogue's value: a text, or a plural message (CLDR category -> text).
Message = str | Mapping[str, str]


def _one_other(n: int) -> str:
    return "one" if n == 1 else "other"


def _zero_one_other(n: int) -> str:
    return "one" if n in (0, 1) else "other"


def _east_slavic(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


def _polish(n: int) -> str:
    if n == 1:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


#: CLDR's cardinal plural rules for whole numbers (the counts the bot shows are whole).
#: Portuguese and French put 0 with 1; Russian, Ukrainian and Polish have three forms.
#: (CLDR's ``many`` of large round numbers in es/fr/it/pt is left out: ``other`` fits.)
_PLURAL_RULES: Final[Mapping[str, Callable[[int], str]]] = {
    "en": _one_other,
    "es": _one_other,
    "pt": _zero_one_other,
    "de": _one_other,
    "fr": _zero_one_other,
    "it": _one_other,
    "ru": _east_slavic,
    "tr": _one_other,
    "pl": _polish,
    "uk": _east_slavic,
}

#: The plural categories each language's plural messages must have.
PLURAL_CATEGORIES: Final[Mapping[str, frozenset[str]]] = {
    language: frozenset(
        {"one", "few", "many"} if language in ("ru", "uk", "pl") else {"one", "other"}
    )
    for language in LANGUAGES
}

#: CLDR's percent patterns (``87 %`` in French and German, ``%87`` in Turkish).
_PERCENT: Final[Mapping[str, str]] = {
    "en": "{}%",
    "es": "{}\u00a0%",
    "pt": "{}%",
    "de": "{}\u00a0%",
    "fr": "{}\u202f%",
    "it": "{}%",
    "ru": "{}\u00a0%",
    "tr": "%{}",
    "pl": "{}%",
    "uk": "{}%",
}


class CatalogueError(ValueError):
    """A catalogue file is missing or not a JSON object of message id -> text (or plurals)."""


def language_of(code: str | None) -> str:
    """The catalogue language for a platform's language code, :data:`DEFAULT_LANGUAGE` if none.

    Telegram sends IETF tags (``ru``, ``pt-br``, ``de-AT``); Discord sends its locales
    (``pt-BR``, ``es-419``, ``es-ES``, ``zh-CN``, ``en-US``). The primary subtag decides:
    ``pt-BR`` -> ``pt``, ``es-419`` -> ``es``, ``uk`` -> Ukrainian, ``zh-CN`` -> ``en``.

    Args:
        code: The code, or ``None`` when the platform did not say.

    Returns:
        One of :data:`LANGUAGES`.

    """
    if not code:
        return DEFAULT_LANGUAGE
    primary = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def plural_category(language: str, count: int) -> str:
    """The CLDR plural category of ``count`` in ``language`` (``one``, ``few``, ``many``, ...)."""
    rule = _PLURAL_RULES.get(language, _one_other)
    return rule(abs(int(count)))


def placeholders(template: str) -> frozenset[str]:
    """The names of the ``{placeholders}`` of a ``str.format`` template."""
    return frozenset(
        name for _, name, _, _ in string.Formatter().parse(template) if name is not None
    )


def load_messages(language: str, directory: Path = LOCALES_DIR) -> dict[str, Message]:
    """Reads one language's catalogue file.

    Raises:
        CatalogueError: The file is missing, not JSON, or not message id -> text or plurals.

    """
    path = directory / f"{language}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"{path}: cannot read the catalogue ({exc})") from exc
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}: not a JSON object of message id -> text")
    messages: dict[str, Message] = {}
    for key, value in raw.items():
        if key.startswith("_"):  # "_comment" and the like
            continue
        if isinstance(value, str):
            messages[key] = value
        elif isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
            messages[key] = dict(value)
        else:
            raise CatalogueError(f"{path}: {key!r} is neither a text nor plural forms")
    return messages


class Catalogue:
    """The messages of one language, with English behind every one that it lacks.

    Args:
        language: One of :data:`LANGUAGES`.
        messages: Message id -> text or plural forms.
        fallback: The English catalogue (``None`` for English itself).

    """

    def __init__(
        self, language: str, messages: Mapping[str, Message], fallback: Catalogue | None = None
    ) -> None:
        self.language = language
        self.messages = messages
        self.fallback = fallback

    def __repr__(self) -> str:
        return f"Catalogue({self.language!r}, {len(self.messages)} messages)"

    def template(self, key: str) -> str:
        """The raw text of a (non-plural) message; English when this language lacks it.

        Raises:
            KeyError: English has no such message (a bug).

        """
        value = self.messages.get(key)
        if isinstance(value, str):
            return value
        if self.fallback is not None:
            return self.fallback.template(key)
        raise KeyError(key)

    def text(self, key: str, /, **values: object) -> str:
        """Message ``key`` with its placeholders filled in.

        A translation whose placeholders do not fit ``values`` is answered in English (and
        logged with the message id, never the values).
        """
        template = self.template(key)
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            return self._english(key, values, lambda c: c.text(key, **values))

    def plural(self, key: str, count: int, /, **values: object) -> str:
        """Plural message ``key`` in the form that fits ``count`` (also given as ``{count}``)."""
        forms = self.messages.get(key)
        if not isinstance(forms, Mapping):
            if self.fallback is None:
                raise KeyError(key)
            return self.fallback.plural(key, count, **values)
        category = plural_category(self.language, count)
        template = forms.get(category, forms.get("other", forms.get("many")))
        try:
            if template is None:
                raise KeyError(category)
            return template.format(count=count, **values)
        except (KeyError, IndexError, ValueError):
            return self._english(key, values, lambda c: c.plural(key, count, **values))

    def label(self, name: str) -> str:
        """A mood or emotion label in this language (``joy`` -> ``радость``).

        A label the catalogues do not know is returned as it is (a model of your own may have
        labels of its own).
        """
        key = f"label.{name}"
        if key in self.messages or (self.fallback is not None and key in self.fallback.messages):
            return self.template(key)
        return name

    def percent(self, share: float) -> str:
        """A share (0..1) as a whole percentage, written as the language writes it."""
        digits = f"{share:.0%}".removesuffix("%")  # rounded as Python's own ``.0%`` rounds
        return _PERCENT.get(self.language, "{}%").format(digits)

    def _english(
        self, key: str, values: Mapping[str, object], again: Callable[[Catalogue], str]
    ) -> str:
        logger.warning(
            "i18n: message %s of %s does not fit its values (%s); answering in English",
            key,
            self.language,
            ", ".join(sorted(values)),
        )
        if self.fallback is None:
            raise KeyError(key)
        return again(self.fallback)


@functools.cache
def _catalogue(language: str) -> Catalogue:
    english = None if language == DEFAULT_LANGUAGE else _catalogue(DEFAULT_LANGUAGE)
    return Catalogue(language, load_messages(language), english)


def texts_for(code: str | None) -> Catalogue:
    """The catalogue for a platform's language code (see :func:`language_of`); loaded once.

    Args:
        code: Telegram's ``language_code``, Discord's locale, a plain language, or ``None``.

    """
    return _catalogue(language_of(code))
