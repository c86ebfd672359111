"""A registered token never reaches a log line, whatever logger or handler writes it."""

from __future__ import annotations

import io
import logging

import pytest

from moodmoji.adapters.common.redaction import REDACTED, protect_secret, redact

TOKEN = "123456789:AAHk-secret-token-for-tests_0123456789"


def test_token_is_redacted_from_messages_args_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    protect_secret(TOKEN)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    log = logging.getLogger("tests.redaction.child")
    log.addHandler(handler)
    try:
        with caplog.at_level(logging.INFO):
            log.info("POST https://api.telegram.org/bot%s/getUpdates", TOKEN)
            log.warning(f"inline {TOKEN} too")
            try:
                raise RuntimeError(f"connection to /bot{TOKEN}/sendMessage failed")
            except RuntimeError:
                log.exception("request failed")
    finally:
        log.removeHandler(handler)
    written = stream.getvalue() + caplog.text
    assert TOKEN not in written
    assert written.count(REDACTED) >= 4
    assert "getUpdates" in written


def test_http_loggers_are_pinned_and_short_secrets_ignored() -> None:
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    protect_secret("short")
    assert logging.getLogger("httpx").level == logging.WARNING
    assert redact("a short word") == "a short word"
