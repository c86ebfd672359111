"""The token and message text stay out of the logs; the Application points at any Bot API."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from moodmoji.adapters.common.redaction import REDACTED
from moodmoji.adapters.telegram import TelegramMoodmoji
from moodmoji.adapters.telegram.application import file_url_for
from tests.adapters.telegram.fake_bot_api import FakeBotAPI
from tests.adapters.telegram.harness import (
    GRIEF,
    HAPPY,
    TOKEN,
    WIN,
    limited_application,
    running,
    settle,
)

MakeMoodmoji = Callable[..., TelegramMoodmoji]

SECRET = "the launch code is 0000 and my secret plan is pineapple"


async def test_neither_the_token_nor_message_text_reaches_the_logs(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for chat in (-900, -901, -902, -903):
        fake.add_chat(chat)
    fake.fail("setMessageReaction", 403, chat_id=-901)
    fake.fail("setMessageReaction", 429, chat_id=-902, retry_after=1)
    fake.fail("getChat", 500, chat_id=-903)
    texts = [HAPPY, WIN, GRIEF, SECRET]
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji) as app:
        for chat in (-900, -901, -902, -903):
            for i, text in enumerate(texts):
                fake.send(chat, 10 + i, text)
        news = fake.send(-900, 20, WIN)
        fake.send(-900, 21, "/suggest", reply_to=news)
        fake.send(-900, 21, "/why", reply_to=news)
        await settle(fake, app, moodmoji)
        await fake.wait_for(lambda: len(fake.sent_messages(-900)) == 2, what="replies")
    log = caplog.text
    assert "refused setMessageReaction" in log and "getChat failed" in log  # it did log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    for text in [*texts, "pineapple"]:
        assert text not in log
    assert all(TOKEN not in str(r.args) for r in caplog.records if r.args)


async def test_the_token_is_redacted_even_from_chatty_debug_loggers(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, caplog: pytest.LogCaptureFixture
) -> None:
    app = limited_application(fake)  # registers the token for redaction
    for name in ("telegram", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji, app) as running_app:
        fake.send(-904, 1, HAPPY)
        await settle(fake, running_app, moodmoji)
    assert f"/bot{REDACTED}/getUpdates" in caplog.text  # httpx logged each URL, redacted
    assert TOKEN not in caplog.text


def test_a_bot_api_root_gets_its_file_root() -> None:
    assert file_url_for("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"
    assert file_url_for("https://api.telegram.org/bot/") == "https://api.telegram.org/file/bot"
