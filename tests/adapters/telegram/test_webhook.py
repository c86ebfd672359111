"""Webhooks: PTB's webhook server with the secret token, setWebhook, and one decision per update.

Real PTB workers (their own webhook servers on 127.0.0.1) against the fake Bot API, which posts
updates to them as Telegram does. Two workers share one SQLite file, in one process (two
Applications, two stores on the same file) and as two ``moodmoji telegram`` processes.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from moodmoji.adapters.telegram import TelegramMoodmoji
from moodmoji.adapters.telegram.info import TelegramSection
from moodmoji.adapters.telegram.webhook import (
    WebhookError,
    WebhookUsageError,
    start_webhook,
    webhook_options,
)
from moodmoji.bot.store import SettingsStore
from tests.adapters.telegram.fake_bot_api import FakeBotAPI
from tests.adapters.telegram.harness import (
    HAPPY,
    TOKEN,
    WEBHOOK_SECRET,
    WIN,
    free_port,
    webhook_application,
    webhook_running,
)
from tests.adapters.telegram.harness import webhook_options as worker_options

pytest.importorskip("tornado", reason="PTB's webhook server needs python-telegram-bot[webhooks]")

MakeMoodmoji = Callable[..., TelegramMoodmoji]

SECRET_ENV = "MOODMOJI_TEST_WEBHOOK_SECRET"
TOKEN_ENV = "MOODMOJI_TEST_TELEGRAM_TOKEN"


async def test_a_worker_sets_the_webhook_with_its_secret_and_reacts_to_a_delivery(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-700)
    options = worker_options()
    moodmoji = make_moodmoji()
    async with webhook_running(fake, moodmoji, options):
        assert fake.webhook == {
            "url": options.url,
            "secret_token": WEBHOOK_SECRET,
            "allowed_updates": ["message", "callback_query"],
            "max_connections": 40,
        }
        assert len(fake.calls("setWebhook")) == 1
        message = fake.send(-700, 1, HAPPY)
        assert await fake.deliver(max(fake.history)) == 200
        await fake.wait_for(lambda: (-700, message) in fake.reactions, what="reaction")
    assert fake.reactions[(-700, message)] == ["❤"]
    assert moodmoji.claims.counters.claimed == 1
    assert not fake.calls("getUpdates")  # no polling in webhook mode


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_decided(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-701)
    moodmoji = make_moodmoji()
    async with webhook_running(fake, moodmoji, worker_options()):
        forged = fake.send(-701, 1, HAPPY)
        update = max(fake.history)
        assert await fake.deliver(update, secret="not-the-secret-at-all-0000") == 403
        assert await fake.deliver(update, secret=None) == 403
        assert await fake.deliver(update, secret=WEBHOOK_SECRET[:-1]) == 403
        assert await fake.deliver(update, content_type="text/plain") == 403
        await asyncio.sleep(0.3)
        assert moodmoji.stats.reactions.offered == 0
        assert moodmoji.claims.counters.claimed == 0  # never claimed: a retry may still be
        assert not fake.calls("getChat") and not fake.reactions
        real = fake.send(-701, 2, WIN)  # the worker is fine: an authentic delivery works
        assert await fake.deliver(max(fake.history)) == 200
        await fake.wait_for(lambda: (-701, real) in fake.reactions, what="reaction")
    assert (-701, forged) not in fake.reactions


async def test_an_update_delivered_twice_to_one_worker_is_decided_once(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-702)
    moodmoji = make_moodmoji()
    async with webhook_running(fake, moodmoji, worker_options()) as app:
        message = fake.send(-702, 1, HAPPY)
        update = max(fake.history)
        assert await fake.deliver(update) == 200
        assert await fake.deliver(update) == 200  # Telegram's retry after a slow answer
        await fake.wait_for(lambda: (-702, message) in fake.reactions, what="reaction")
        await app.update_queue.join()
        await moodmoji.join()
    assert fake.reactions[(-702, message)] == ["❤"]
    assert len(fake.calls("setMessageReaction")) == 1
    assert moodmoji.stats.duplicate_updates == 1
    assert moodmoji.stats.reactions.offered == 1


async def test_two_workers_sharing_one_store_file_decide_an_update_once(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, store: SettingsStore, tmp_path: Path
) -> None:
    """Two Applications in one event loop, each with its own core and its own connection to
    the same SQLite file (the two-process version is below)."""
    second_store = SettingsStore.open(tmp_path / "s.sqlite3")  # the fixture's file
    fake.add_chat(-703)
    first = make_moodmoji()
    second = make_moodmoji(on=second_store)
    one, two = worker_options(), worker_options(set_webhook=False)
    async with (
        webhook_running(fake, first, one) as app_one,
        webhook_running(fake, second, two) as app_two,
    ):
        assert len(fake.calls("setWebhook")) == 1 and fake.webhook is not None
        assert fake.webhook["url"] == one.url
        messages = []
        for i, text in enumerate([HAPPY, WIN, HAPPY, WIN]):
            messages.append(fake.send(-703, 10 + i, text))
            update = max(fake.history)
            statuses = await asyncio.gather(
                fake.deliver(update, url=one.url), fake.deliver(update, url=two.url)
            )
            assert statuses == [200, 200]
        for app in (app_one, app_two):
            await app.update_queue.join()
        await first.join()
        await second.join()
        await fake.wait_for(
            lambda: all((-703, m) in fake.reactions for m in messages), what="reactions"
        )
    assert all(len(fake.reactions[(-703, m)]) == 1 for m in messages)
    assert len(fake.calls("setMessageReaction")) == len(messages)
    decided = first.stats.reactions.offered + second.stats.reactions.offered
    dropped = first.stats.duplicate_updates + second.stats.duplicate_updates
    assert (decided, dropped) == (len(messages), len(messages))


@pytest.mark.parametrize(
    ("status", "calls", "words"),
    [
        (429, 2, "rate-limited setWebhook (retry after 1 s); not retrying further"),
        (403, 1, "Telegram refused setWebhook (Forbidden: "),
        (400, 1, "Telegram rejected the webhook (BadRequest: "),
    ],
)
async def test_a_refused_set_webhook_fails_once_with_a_clear_message(
    fake: FakeBotAPI, status: int, calls: int, words: str
) -> None:
    fake.fail("setWebhook", status, times=100, retry_after=1)
    app = webhook_application(fake)
    async with app:
        await app.start()
        try:
            with pytest.raises(WebhookError) as caught:
                await start_webhook(app, worker_options())
        finally:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            await app.stop()
    assert words in str(caught.value)
    assert WEBHOOK_SECRET not in str(caught.value)
    # the rate limiter waits retry_after once and retries once; nothing else retries
    assert len(fake.calls("setWebhook")) == calls


async def test_a_worker_without_set_webhook_never_calls_it(fake: FakeBotAPI) -> None:
    app = webhook_application(fake)
    async with app:
        await app.start()
        try:
            await start_webhook(app, worker_options(set_webhook=False))
        finally:
            assert app.updater is not None
            await app.updater.stop()
            await app.stop()
    assert not fake.calls("setWebhook") and not fake.calls("deleteWebhook")
    assert fake.webhook is None


async def test_a_port_in_use_is_named(fake: FakeBotAPI) -> None:
    busy = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = busy.sockets[0].getsockname()[1]
    app = webhook_application(fake)
    try:
        async with app:
            await app.start()
            with pytest.raises(WebhookError, match=re.escape(f"cannot listen on 127.0.0.1:{port}")):
                await start_webhook(app, worker_options(port=port))
            await app.stop()
    finally:
        busy.close()
        await busy.wait_closed()
    assert not fake.calls("setWebhook")


# --------------------------------------------------------------------------- options


def test_the_options_come_from_the_section_and_the_command_line() -> None:
    env = {SECRET_ENV: WEBHOOK_SECRET}
    section = TelegramSection(webhook_secret_env=SECRET_ENV)
    assert webhook_options(section, environ=env) is None  # no URL: long polling
    options = webhook_options(
        section, url="https://bot.example.org/tg/hook", port=9001, set_webhook=False, environ=env
    )
    assert options is not None
    assert (options.path, options.port, options.listen) == ("/tg/hook", 9001, "127.0.0.1")
    assert options.secret == WEBHOOK_SECRET and not options.set_webhook
    assert WEBHOOK_SECRET not in repr(options)
    fixed = TelegramSection(
        webhook_url="https://bot.example.org/", webhook_path="/in", webhook_secret_env=SECRET_ENV
    )
    chosen = webhook_options(fixed, environ=env)
    assert chosen is not None and chosen.path == "/in" and chosen.set_webhook


@pytest.mark.parametrize(
    ("url", "secret", "words"),
    [
        ("https://bot.example.org/tg", None, f"environment variable {SECRET_ENV} is not set"),
        ("https://bot.example.org/tg", "  ", f"environment variable {SECRET_ENV} is not set"),
        ("https://bot.example.org/tg", "short", "16 to 256 characters of A-Z a-z 0-9 _ -"),
        ("https://bot.example.org/tg", "x" * 20 + "!", "16 to 256 characters"),
        ("http://bot.example.org/tg", WEBHOOK_SECRET, "telegram.webhook_url: "),
        ("bot.example.org", WEBHOOK_SECRET, "telegram.webhook_url: "),
    ],
)
def test_bad_webhook_settings_are_usage_errors(url: str, secret: str | None, words: str) -> None:
    env = {} if secret is None else {SECRET_ENV: secret}
    section = TelegramSection(webhook_secret_env=SECRET_ENV)
    with pytest.raises(WebhookUsageError) as caught:
        webhook_options(section, url=url, environ=env)
    assert words in str(caught.value)
    if secret and secret.strip():
        assert secret not in str(caught.value)


def test_webhook_arguments_without_a_url_are_a_usage_error() -> None:
    with pytest.raises(WebhookUsageError, match="need a webhook URL"):
        webhook_options(TelegramSection(), set_webhook=False, environ={})


def test_a_port_out_of_range_is_a_usage_error() -> None:
    section = TelegramSection(webhook_url="https://bot.example.org/tg")
    with pytest.raises(WebhookUsageError, match=r"telegram\.webhook_port"):
        webhook_options(section, port=70000, environ={})


# --------------------------------------------------------------------------- two processes


def _config(tmp_path: Path, fake: FakeBotAPI) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        "store:\n"
        "  path: shared.sqlite3\n"
        "telegram:\n"
        f"  token_env: {TOKEN_ENV}\n"
        f"  base_url: {fake.base_url}\n"
        f"  webhook_secret_env: {SECRET_ENV}\n",
        encoding="utf-8",
    )
    return config


async def _worker(config: Path, *args: str) -> asyncio.subprocess.Process:
    env = {**os.environ, TOKEN_ENV: TOKEN, SECRET_ENV: WEBHOOK_SECRET}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "moodmoji.tools.cli",
        "--config",
        str(config),
        "telegram",
        *args,
        env=env,
        cwd=config.parent,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def _listening(fake: FakeBotAPI, url: str, update: int) -> bool:
    """Whether a worker's webhook server answers (403: up, and it wants the secret)."""
    try:
        return await fake.deliver(update, url=url, secret=None) == 403
    except OSError:
        return False


async def test_two_worker_processes_behind_one_url_react_once(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    fake.add_chat(-710)
    config = _config(tmp_path, fake)
    ports = free_port(), free_port()
    urls = [f"http://127.0.0.1:{port}/telegram" for port in ports]
    setter = await _worker(config, "--webhook", urls[0], "--webhook-port", str(ports[0]))
    other = await _worker(
        config, "--webhook", urls[0], "--webhook-port", str(ports[1]), "--no-set-webhook"
    )
    workers = (setter, other)
    logs = [asyncio.create_task(w.stderr.read()) for w in workers if w.stderr is not None]
    probe = fake.push({})  # an empty update, only ever posted without the secret
    statuses: list[int] = []
    message = 0
    try:
        for url in urls:  # loading the model takes a while
            for _ in range(900):
                if await _listening(fake, url, probe):
                    break
                assert all(w.returncode is None for w in workers), "a worker exited"
                await asyncio.sleep(0.2)
            else:
                raise AssertionError(f"{url} never listened")
        await fake.wait_for(lambda: fake.webhook is not None, what="setWebhook")
        message = fake.send(-710, 1, HAPPY)
        update = max(fake.history)
        statuses = list(await asyncio.gather(*(fake.deliver(update, url=u) for u in urls)))
        await fake.wait_for(lambda: (-710, message) in fake.reactions, timeout=60, what="reaction")
        await asyncio.sleep(1.0)  # time for a second reaction, were there one
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.send_signal(signal.SIGTERM)
        codes = [await asyncio.wait_for(w.wait(), 60) for w in workers]
        text = [(await log).decode("utf-8", "replace") for log in logs]
        print(text[0][-2000:], text[1][-2000:])  # shown by pytest when the test fails
    assert codes == [0, 0], text
    assert statuses == [200, 200]
    assert fake.reactions[(-710, message)] == ["❤"]
    assert len(fake.calls("setMessageReaction")) == 1
    menus = [c for c in fake.calls("setMyCommands") if "language_code" not in c.params]
    assert len(fake.calls("setWebhook")) == 1 and len(menus) == 1
    assert fake.webhook is not None and fake.webhook["secret_token"] == WEBHOOK_SECRET
    assert "already claimed" in text[0] + text[1]
    assert "not calling setWebhook" in text[1] and "webhook set" in text[0]
    for log in text:
        assert TOKEN not in log and TOKEN.split(":")[1] not in log
        assert WEBHOOK_SECRET not in log and HAPPY not in log


async def test_the_command_without_a_secret_exits_2_naming_the_variable(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    config = _config(tmp_path, fake)
    env: dict[str, Any] = {k: v for k, v in os.environ.items() if k != SECRET_ENV}
    env[TOKEN_ENV] = TOKEN
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "moodmoji.tools.cli",
        "--config",
        str(config),
        "telegram",
        "--webhook",
        "https://bot.example.org/telegram",
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)
    lines = err.decode().strip().splitlines()
    assert process.returncode == 2
    assert len(lines) == 1 and SECRET_ENV in lines[0]
    assert not fake.requests  # nothing was asked of Telegram
