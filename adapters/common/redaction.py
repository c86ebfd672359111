"""Keeps secrets (bot tokens) out of every log line.

Telegram's Bot API puts the token in every URL (``/bot<token>/getUpdates``), and httpx logs each
request URL at INFO. :func:`protect_secret` does two things:

- pins the chatty HTTP loggers (``httpx``, ``httpcore``) to WARNING, so request lines are not
  written at all;
- installs a log-record factory that replaces every registered secret in a record's formatted
  message and traceback with ``[redacted]``, whichever logger or handler the record goes to.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from moodmoji.bot.printable import escape_args

__all__ = ["REDACTED", "protect_secret", "redact"]

REDACTED = "[redacted]"
QUIET_LOGGERS = ("httpx", "httpcore", "hpack")

_lock = threading.Lock()
_secrets: set[str] = set()
_installed = False


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``[redacted]``."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def protect_secret(secret: str, *, quiet: Iterable[str] = QUIET_LOGGERS) -> None:
    """Registers a secret to be redacted from all log records from now on.

    Args:
        secret: The token (ignored when shorter than 8 characters, to avoid redacting
            ordinary words).
        quiet: Loggers pinned to WARNING because they log request URLs.

    """
    global _installed
    for name in quiet:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
    if len(secret) < 8:
        return
    with _lock:
        _secrets.add(secret)
        if _installed:
            return
        base = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = base(*args, **kwargs)
            _scrub(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def _scrub(record: logging.LogRecord) -> None:
    """Formats the record's message now and redacts it (and its traceback)."""
    if not _secrets:
        return
    if isinstance(record.args, tuple | Mapping) and record.args:
        record.args = escape_args(record.args)  # the message is formatted here, once
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep the record as logging would report it
        return
    record.msg = redact(message)
    record.args = None
    if record.exc_info and record.exc_info[1] is not None:
        formatted = logging.Formatter().formatException(record.exc_info)
        record.exc_text = redact(formatted)
