"""The adapter as a whole: a burst, a restart mid-stream, and ``install`` under ``run_polling``."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from moodmoji.adapters.telegram import TelegramMoodmoji
from moodmoji.adapters.telegram.settings import TelegramSettings
from moodmoji.bot.store import SettingsStore, StoreError
from tests.adapters.telegram.burst import run_burst
from tests.adapters.telegram.fake_bot_api import FakeBotAPI
from tests.adapters.telegram.harness import HAPPY, WIN, plain_application, running, settle

MakeMoodmoji = Callable[..., TelegramMoodmoji]

#: Messages that get a reaction with pacing relaxed (checked by the first assertions below).
REACTING = (
    HAPPY,
    WIN,
    "Happy birthday to my best friend!",
    "That's hilarious 😂",
    "This pizza is absolutely incredible",
)


async def test_a_burst_of_1000_updates_stays_bounded_and_drops_stale_ones(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, capsys: pytest.CaptureFixture[str]
) -> None:
    moodmoji = make_moodmoji(defaults=None)  # the config's defaults, pacing included
    figures = await run_burst(fake, moodmoji, updates=1000, stale=100, chats=20)
    with capsys.disabled():
        print(f"\n{figures.line()}")
    assert figures.peak_queue <= figures.queue_size == 1024
    assert figures.stale_sent == figures.dropped_stale == 100
    assert figures.processed == 900 and figures.dropped_full == 0
    assert figures.failed == 0
    assert figures.reactions > 0
    assert figures.stale_reacted == 0 and figures.reacted_twice == 0
    assert moodmoji.stats.reactions.offered == 1000


async def test_a_burst_beyond_the_queue_drops_the_overflow_and_stays_bounded(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, capsys: pytest.CaptureFixture[str]
) -> None:
    moodmoji = make_moodmoji(defaults=None, settings=TelegramSettings(queue_size=100))
    figures = await run_burst(fake, moodmoji, updates=1000, stale=100, chats=20)
    with capsys.disabled():
        print(f"\n{figures.line()}")
    assert figures.peak_queue <= figures.queue_size == 100
    assert figures.dropped_full > 0
    assert figures.stale_sent == figures.dropped_stale == 100
    assert figures.processed + figures.dropped_stale + figures.dropped_full == 1000
    assert figures.failed == 0
    assert figures.stale_reacted == 0 and figures.reacted_twice == 0


async def test_a_restart_neither_loses_nor_duplicates_reactions(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, store: SettingsStore
) -> None:
    chats = [-700 - i for i in range(6)]
    for chat in chats:
        fake.add_chat(chat)
    fake.max_batch = 2
    fake.delay_s = 0.25  # fetching all 60 takes about 7.5 s: the stop comes mid-stream
    sent = [fake.send(chats[i % 6], 900 + i, REACTING[i % len(REACTING)]) for i in range(60)]
    keys = {(chats[i % 6], m) for i, m in enumerate(sent)}

    first = make_moodmoji()
    async with running(fake, first):
        await fake.wait_for(lambda: len(fake.reactions) >= 6, what="first reactions")
    confirmed = {fake.message_key(u) for u in fake.confirmed}
    reacted_first = set(fake.reactions)
    assert fake.pending > 0, "the first run should stop before fetching everything"
    assert confirmed <= reacted_first  # nothing Telegram was told is handled went unhandled

    again = SettingsStore.open(store.path)  # the first run closed its store
    second = make_moodmoji(on=again)
    fake.delay_s = 0.0
    async with running(fake, second) as app:
        await settle(fake, app, second)
    assert set(fake.reactions) == keys  # none lost
    assert all(len(emoji) == 1 for emoji in fake.reactions.values())  # none twice
    assert len(fake.calls("setMessageReaction", ok=True)) == 60
    assert reacted_first and set(fake.reactions) - reacted_first  # both runs did part


async def test_install_under_run_polling_keeps_your_hooks_and_drains_at_stop(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, store: SettingsStore
) -> None:
    fake.add_chat(-710)
    app = plain_application(fake)
    calls: list[str] = []
    loops: list[asyncio.AbstractEventLoop] = []

    async def post_init(_: Any) -> None:
        calls.append("post_init")
        loops.append(asyncio.get_running_loop())

    async def post_stop(_: Any) -> None:
        calls.append("post_stop")

    app.post_init = post_init
    app.post_stop = post_stop
    moodmoji = make_moodmoji()
    moodmoji.install(app)

    def poll() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        app.run_polling(poll_interval=0.0, timeout=1, stop_signals=None)

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        message = fake.send(-710, 1, HAPPY)
        await fake.wait_for(lambda: (-710, message) in fake.reactions, what="a reaction")
    finally:
        await fake.wait_for(lambda: bool(loops), what="post_init")
        loops[0].call_soon_threadsafe(app.stop_running)
        await asyncio.to_thread(thread.join, 30)
    assert not thread.is_alive()
    assert calls == ["post_init", "post_stop"]
    assert not moodmoji.reactor.queue.running  # moodmoji's post_stop ran after yours
    with pytest.raises(StoreError):  # and closed the core it owned (with its store)
        store.opt_out("telegram", -710, 1)
