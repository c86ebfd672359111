"""What the Telegram adapter tells the core and the command line: its registry entry.

Importable without python-telegram-bot (the command line lists the adapter and names its extra
when the library is missing). Telegram's reaction rules live here: one reaction per message,
from the 73 emoji of ``telegram.constants.ReactionEmoji`` (kept verbatim in
``data/telegram_reactions.json``), narrowed by a chat's ``available_reactions``; a candidate
outside the list is replaced through a meaning-preserving map (``data/telegram_fallbacks.json``:
🎂 -> 🎉, 🐶 -> 🥰) or skipped when nothing keeps its meaning.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from moodmoji.bot.config import AdapterSection, EnvName, Integer, Number, is_loopback
from moodmoji.bot.messages import Platform
from moodmoji.bot.platforms import PlatformDataError, PlatformRules
from moodmoji.bot.registry import AdapterInfo

if TYPE_CHECKING:
    from moodmoji.bot.config import Config

__all__ = [
    "ADAPTER",
    "TELEGRAM_FALLBACKS_FILE",
    "TELEGRAM_REACTIONS_FILE",
    "TelegramSection",
    "load_telegram_fallbacks",
    "load_telegram_reactions",
    "telegram_rules",
    "telegram_section",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
TELEGRAM_REACTIONS_FILE = DATA_DIR / "telegram_reactions.json"
TELEGRAM_FALLBACKS_FILE = DATA_DIR / "telegram_fallbacks.json"


def _check_bot_api_url(value: str | None) -> str | None:
    """Refuse a Bot API root that would send the token in clear beyond this machine."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return value
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return value  # a Bot API server or test server on this machine
    raise PydanticCustomError(
        "bot_api_url",
        "Input should be an https:// URL (http:// only on localhost): the token is in every URL",
    )


def _check_webhook_url(value: str | None) -> str | None:
    """A URL Telegram can post updates to: ``https://`` (``http://`` only on localhost)."""
    if value is None:
        return None
    parts = urlsplit(value)
    secure = parts.scheme == "https" and parts.hostname
    local = parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname)
    if (secure or local) and not parts.fragment:
        return value
    raise PydanticCustomError(
        "webhook_url",
        "Input should be an https:// URL (Telegram posts updates only to https; http:// only on "
        "localhost)",
    )


def _check_webhook_path(value: str | None) -> str | None:
    if value is None or (value.startswith("/") and "?" not in value and "#" not in value):
        return value
    raise PydanticCustomError("webhook_path", "Input should be a URL path starting with /")


class TelegramSection(AdapterSection):
    """The Telegram adapter (``moodmoji telegram``).

    Attributes:
        token_env: Environment variable holding the token from @BotFather.
        base_url: Bot API server root, ending in ``/bot`` (a self-hosted Bot API server, or a
            test server); ``None`` = Telegram's ``https://api.telegram.org/bot``. It must be
            ``https://`` (``http://`` only on localhost), as the token is part of every URL.
        poll_timeout_s: Long-polling timeout of ``getUpdates`` in seconds (0..50).
        available_reactions_ttl_s: How long a chat's allowed reactions (``getChat``) are cached.
        webhook_url: The public ``https://`` URL Telegram posts updates to; set, ``moodmoji
            telegram`` runs PTB's webhook server instead of long polling (``--webhook URL``).
        webhook_listen: Address the webhook server binds (a reverse proxy in front of it
            terminates TLS).
        webhook_port: Port the webhook server binds (1..65535).
        webhook_path: Path the webhook server answers on; ``None`` = the path of
            ``webhook_url``.
        webhook_secret_env: Environment variable holding the webhook's secret token (1-256
            characters of ``A-Z a-z 0-9 _ -``); required in webhook mode. Telegram sends it in
            ``X-Telegram-Bot-Api-Secret-Token`` and requests without it are refused (403).
        webhook_set: Call ``setWebhook`` at start-up. Of several workers behind one proxy, one
            sets the webhook and the others run with ``--no-set-webhook`` (this ``false``).
        webhook_max_connections: Most connections Telegram opens to the webhook at once
            (1..100; passed to ``setWebhook``).

    """

    token_env: EnvName = "MOODMOJI_TELEGRAM_TOKEN"
    base_url: Annotated[str | None, AfterValidator(_check_bot_api_url)] = None
    poll_timeout_s: Number = Field(default=10, ge=0, le=50, allow_inf_nan=False)
    available_reactions_ttl_s: Number = Field(default=600, ge=0, allow_inf_nan=False)
    webhook_url: Annotated[str | None, AfterValidator(_check_webhook_url)] = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: Integer = Field(default=8443, ge=1, le=65535)
    webhook_path: Annotated[str | None, AfterValidator(_check_webhook_path)] = None
    webhook_secret_env: EnvName = "MOODMOJI_TELEGRAM_WEBHOOK_SECRET"
    webhook_set: bool = True
    webhook_max_connections: Integer = Field(default=40, ge=1, le=100)


def _read(path: Path, key: str) -> object:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PlatformDataError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(data, dict) or key not in data:
        raise PlatformDataError(f"{path}: expected a JSON object with {key!r}")
    return data[key]


def load_telegram_reactions(path: Path = TELEGRAM_REACTIONS_FILE) -> tuple[str, ...]:
    """The emoji a Telegram bot may react with, verbatim."""
    emoji = _read(path, "emoji")
    if not isinstance(emoji, list) or not all(isinstance(e, str) and e for e in emoji):
        raise PlatformDataError(f"{path}: 'emoji' should be a list of emoji")
    return tuple(emoji)


def load_telegram_fallbacks(path: Path = TELEGRAM_FALLBACKS_FILE) -> dict[str, str | None]:
    """Vocabulary emoji -> a Telegram emoji that keeps its meaning, or ``None``."""
    fallbacks = _read(path, "fallbacks")
    if not isinstance(fallbacks, dict) or not all(
        isinstance(v, str) or v is None for v in fallbacks.values()
    ):
        raise PlatformDataError(f"{path}: 'fallbacks' should map emoji to an emoji or null")
    return {str(k): v for k, v in fallbacks.items()}


def telegram_rules(config: Config | None = None) -> PlatformRules:
    """Telegram's rules, from the packaged data files (the config changes nothing here)."""
    return PlatformRules(
        Platform.TELEGRAM,
        max_reactions=1,
        allowed=load_telegram_reactions(),
        fallbacks=load_telegram_fallbacks(),
    )


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, help="model bundle directory")
    webhook = parser.add_argument_group(
        "webhook", "receive updates on PTB's webhook server instead of long polling"
    )
    webhook.add_argument(
        "--webhook",
        metavar="URL",
        help="public https:// URL Telegram posts updates to (default: telegram.webhook_url; "
        "unset = long polling); the secret comes from telegram.webhook_secret_env",
    )
    webhook.add_argument(
        "--webhook-listen",
        metavar="HOST",
        help="address the webhook server binds (default: telegram.webhook_listen, 127.0.0.1)",
    )
    webhook.add_argument(
        "--webhook-port",
        metavar="PORT",
        type=int,
        help="port the webhook server binds (default: telegram.webhook_port, 8443)",
    )
    webhook.add_argument(
        "--no-set-webhook",
        dest="set_webhook",
        action="store_false",
        default=None,
        help="do not call setWebhook (another worker behind the same proxy does)",
    )


ADAPTER = AdapterInfo(
    name="telegram",
    summary="run the Telegram bot (needs the telegram extra and a token)",
    section=TelegramSection,
    platform=Platform.TELEGRAM,
    rules=telegram_rules,
    extra="telegram",
    command="telegram",
    runner="moodmoji.adapters.telegram.command",
    arguments=_arguments,
    install="TelegramMoodmoji.from_config(load_config()).install(application)",
)


def telegram_section(config: Config) -> TelegramSection:
    """The telegram section of ``config`` (its defaults when ``config`` was built without it)."""
    # A cast, not isinstance: discord.py's extension reload imports this module afresh, while
    # the config keeps the section it was validated with.
    return cast(TelegramSection, ADAPTER.section_of(config))
