"""Platform faults, end to end: Bot API timeouts, 5xx answers and dropped connections.

The real python-telegram-bot Application polls our Bot API server on 127.0.0.1, which stalls,
fails or hangs up on chosen requests. What the library does (PTB 22.8, read in its source):

* A request that gets no answer within the read timeout raises ``TimedOut`` (PTB's default
  is 5 s; :func:`adapters.telegram.build_application` keeps it). Any answer of 5xx raises
  ``NetworkError``, and so does a connection closed without a (whole) answer. Neither PTB
  nor its ``AIORateLimiter`` (which retries 429s only) repeats such a request, and moodmoji
  does not either (:mod:`adapters.telegram.calls`): one attempt per message and method.
* The update poller (``getUpdates``) retries forever, but after a ``NetworkError`` it waits
  1 s, then 1.5 times longer after each further one (up to 30 s); after a ``TimedOut`` it
  asks again at once (the timed-out request itself took the whole read timeout).

The faulted message gets no reaction (by design); every other message does, and the adapter's
workers keep running. Already covered elsewhere, not repeated here: 429 and 403
(``test_client.py``), a 500 on ``getChat`` (``test_reactions.py``).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from telegram.ext import AIORateLimiter, Application

from moodmoji.adapters.telegram import TelegramMoodmoji
from moodmoji.adapters.telegram.application import protect_token
from tests.adapters.telegram.fake_bot_api import CUT, DROP, STALL, FakeBotAPI, Recorded
from tests.adapters.telegram.harness import (
    GRIEF,
    HAPPY,
    TOKEN,
    WIN,
    limited_application,
    running,
    settle,
)

pytestmark = pytest.mark.reliability

MakeMoodmoji = Callable[..., TelegramMoodmoji]
App = Application[Any, Any, Any, Any, Any, Any]

ALICE, BOB = 811, 812
#: The read timeout of the Applications built here (PTB's default is 5 s).
READ_TIMEOUT_S = 0.5
#: How long a stalled request goes unanswered: well past any read timeout used here.
STALL_S = 8.0
#: The poll timeout ``harness.running`` asks ``getUpdates`` to wait for.
POLL_TIMEOUT_S = 1.0


def quick_application(fake: FakeBotAPI) -> App:
    """What ``build_application`` builds (``AIORateLimiter``, one 429 retry), with a 0.5 s read
    timeout set through PTB's public builder: ``build_application`` takes no timeouts."""
    protect_token(TOKEN)
    return (
        Application.builder()
        .token(TOKEN)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .rate_limiter(AIORateLimiter(max_retries=1))
        .read_timeout(READ_TIMEOUT_S)
        .get_updates_read_timeout(READ_TIMEOUT_S)
        .build()
    )


def for_message(calls: list[Recorded], message_id: int) -> list[Recorded]:
    return [r for r in calls if r.params.get("message_id") == message_id]


def outcomes(calls: list[Recorded]) -> list[str | int]:
    """Each request's outcome: its status, or the network fault it met."""
    return [r.fault or r.status for r in calls]


def gaps(calls: list[Recorded]) -> list[float]:
    return [b.at - a.at for a, b in itertools.pairwise(calls)]


def assert_still_working(moodmoji: TelegramMoodmoji) -> None:
    """After the faults: the workers run, no handler raised, and no chat was set aside."""
    stats = moodmoji.stats
    assert moodmoji.reactor.queue.running
    assert stats.reactions.failed == 0
    assert stats.refusals == 0  # passing trouble is not a refusal


# ---------------------------------------------------------------------------- timeouts


@pytest.mark.parametrize("method", ["setMessageReaction", "getChat"])
async def test_a_stalled_call_times_out_once_and_the_chat_keeps_working(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, method: str
) -> None:
    fake.add_chat(-300)
    fake.stall(method, STALL_S, chat_id=-300)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji, quick_application(fake)) as app:
        stalled = fake.send(-300, ALICE, HAPPY)
        await settle(fake, app, moodmoji)  # the worker gave up on it after the read timeout
        assert moodmoji.reactor.queue.running
        later = fake.send(-300, BOB, HAPPY)
        await settle(fake, app, moodmoji)
        assert_still_working(moodmoji)

    reactions = fake.calls("setMessageReaction", chat_id=-300)
    if method == "setMessageReaction":
        assert outcomes(for_message(reactions, stalled)) == [STALL]  # one attempt, no retry
        assert outcomes(fake.calls("getChat", chat_id=-300)) == [200]  # cached for `later`
        assert moodmoji.stats.reaction_errors == 1
    else:
        assert outcomes(fake.calls("getChat", chat_id=-300)) == [STALL, 200]  # not cached
        assert for_message(reactions, stalled) == []  # no reaction without the chat's list
    assert outcomes(for_message(reactions, later)) == [200]
    assert fake.reactions == {(-300, later): ["❤"]}
    assert moodmoji.stats.reactions.processed == 2


async def test_moodmoji_telegram_waits_ptbs_default_5_s_once_for_a_stalled_reaction(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="moodmoji.adapters")
    fake.add_chat(-310)
    fake.stall("setMessageReaction", STALL_S, chat_id=-310)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji, limited_application(fake)) as app:  # build_application
        stalled = fake.send(-310, ALICE, HAPPY)
        await fake.wait_for(lambda: bool(fake.faulted("setMessageReaction")), what="the stall")
        asked = time.monotonic()
        await fake.wait_for(lambda: moodmoji.stats.reaction_errors == 1, what="the give-up")
        waited = time.monotonic() - asked
        later = fake.send(-310, BOB, HAPPY)
        await settle(fake, app, moodmoji)
        assert_still_working(moodmoji)

    assert waited >= 4.5  # PTB's default read timeout (5 s), not a shorter one of ours
    assert "TimedOut" in caplog.text  # the client's timeout ended it, not the server hanging up
    reactions = fake.calls("setMessageReaction", chat_id=-310)
    assert outcomes(for_message(reactions, stalled)) == [STALL]
    assert outcomes(for_message(reactions, later)) == [200]
    assert fake.reactions == {(-310, later): ["❤"]}


async def test_a_stalled_get_updates_is_asked_again_once_after_its_timeout(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-320)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji, quick_application(fake)) as app:
        first = fake.send(-320, ALICE, HAPPY)
        await fake.wait_for(lambda: (-320, first) in fake.reactions, what="the first reaction")
        fake.stall("getUpdates", STALL_S)
        await fake.wait_for(lambda: bool(fake.faulted("getUpdates")), what="the stall")
        during = fake.send(-320, BOB, WIN)  # waits on the server while the poller is stuck
        await fake.wait_for(lambda: (-320, during) in fake.reactions, what="the next reaction")
        await settle(fake, app, moodmoji)
        assert_still_working(moodmoji)

    polls = fake.calls("getUpdates")
    (stalled,) = fake.faulted("getUpdates")
    after = [r for r in polls if r.at > stalled.at]
    # One new request per timeout, not a storm: getUpdates' read timeout is the poll timeout
    # plus READ_TIMEOUT_S; PTB asks again at once after it.
    assert after and after[0].at - stalled.at >= POLL_TIMEOUT_S + READ_TIMEOUT_S - 0.1
    assert after[0].status == 200
    assert set(fake.reactions) == {(-320, first), (-320, during)}


# ---------------------------------------------------------------------------- 5xx answers


@pytest.mark.parametrize(
    ("method", "status", "html"),
    [
        ("setMessageReaction", 500, False),
        ("setMessageReaction", 502, False),
        ("setMessageReaction", 502, True),
        ("setMessageReaction", 503, False),
        ("setMessageReaction", 504, False),
        ("setMessageReaction", 504, True),
        ("getChat", 502, True),  # a 500 on getChat: test_reactions.py
        ("getChat", 503, False),
        ("getChat", 504, False),
    ],
)
async def test_a_5xx_outage_costs_one_attempt_per_message_and_then_it_reacts_again(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, method: str, status: int, html: bool
) -> None:
    fake.add_chat(-330)
    fake.fail(method, status, chat_id=-330, times=3, html=html)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji, quick_application(fake)) as app:
        during = []
        for text in (HAPPY, WIN, HAPPY):  # one at a time: concurrent ones share one getChat
            during.append(fake.send(-330, ALICE, text))
            await settle(fake, app, moodmoji)
        after = fake.send(-330, BOB, HAPPY)
        await settle(fake, app, moodmoji)
        assert_still_working(moodmoji)

    reactions = fake.calls("setMessageReaction", chat_id=-330)
    chats = fake.calls("getChat", chat_id=-330)
    if method == "setMessageReaction":
        for message in during:  # exactly one attempt each: neither PTB nor moodmoji retried
            assert outcomes(for_message(reactions, message)) == [status]
        assert outcomes(chats) == [200]
        assert moodmoji.stats.reaction_errors == 3
    else:
        assert outcomes(chats) == [status] * 3 + [200]  # a failure is not cached
        assert all(for_message(reactions, message) == [] for message in during)
    assert outcomes(for_message(reactions, after)) == [200]
    assert fake.reactions == {(-330, after): ["❤"]}
    assert moodmoji.stats.reactions.processed == 4


async def test_get_updates_5xx_backs_off_and_recovers_without_losing_updates(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-340)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji, quick_application(fake)) as app:
        before = fake.send(-340, ALICE, HAPPY)
        await fake.wait_for(lambda: (-340, before) in fake.reactions, what="the first reaction")
        for status, html in ((500, False), (502, True), (503, False), (504, False)):
            fake.fail("getUpdates", status, html=html)
        await fake.wait_for(lambda: bool(fake.calls("getUpdates", ok=False)), what="the outage")
        during = fake.send(-340, BOB, WIN)
        await fake.wait_for(lambda: (-340, during) in fake.reactions, what="the recovery")
        await settle(fake, app, moodmoji)
        assert_still_working(moodmoji)

    polls = fake.calls("getUpdates")
    failed = fake.calls("getUpdates", ok=False)
    assert outcomes(failed) == [500, 502, 503, 504]
    # PTB waits 1 s after the first failure, then 1.5 times longer each time: no spinning.
    waits = gaps(failed)
    assert waits[0] >= 0.9 and waits[1] >= 1.35 and waits[2] >= 2.0
    first_window = [r for r in polls if failed[0].at <= r.at < failed[0].at + 2.0]
    assert len(first_window) <= 2  # at most two requests in the outage's first 2 s
    recovered = polls[polls.index(failed[-1]) + 1]
    assert recovered.status == 200 and recovered.at - failed[-1].at >= 3.0
    assert set(fake.reactions) == {(-340, before), (-340, during)}  # nothing lost


# ---------------------------------------------------------------------------- dropped connections


@pytest.mark.parametrize("fault", [DROP, CUT])
@pytest.mark.parametrize("method", ["setMessageReaction", "getChat"])
async def test_a_connection_dropped_without_an_answer_is_not_retried(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, method: str, fault: str
) -> None:
    fake.add_chat(-350)
    fake.drop(method, chat_id=-350, midway=fault == CUT)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji, quick_application(fake)) as app:
        dropped = fake.send(-350, ALICE, HAPPY)
        await settle(fake, app, moodmoji)
        later = fake.send(-350, BOB, HAPPY)
        await settle(fake, app, moodmoji)
        assert_still_working(moodmoji)

    reactions = fake.calls("setMessageReaction", chat_id=-350)
    if method == "setMessageReaction":
        assert outcomes(for_message(reactions, dropped)) == [fault]
        assert moodmoji.stats.reaction_errors == 1
    else:
        assert outcomes(fake.calls("getChat", chat_id=-350)) == [fault, 200]
        assert for_message(reactions, dropped) == []
    assert outcomes(for_message(reactions, later)) == [200]
    assert fake.reactions == {(-350, later): ["❤"]}


async def test_a_dropped_get_updates_is_asked_again_after_a_second(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-360)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji, quick_application(fake)) as app:
        fake.drop("getUpdates")
        await fake.wait_for(lambda: bool(fake.faulted("getUpdates")), what="the drop")
        during = fake.send(-360, ALICE, HAPPY)
        await fake.wait_for(lambda: (-360, during) in fake.reactions, what="the recovery")
        await settle(fake, app, moodmoji)
        assert_still_working(moodmoji)

    polls = fake.calls("getUpdates")
    (dropped,) = fake.faulted("getUpdates")
    retry = polls[polls.index(dropped) + 1]
    assert retry.status == 200 and retry.at - dropped.at >= 0.9  # PTB's first back-off
    assert fake.reactions == {(-360, during): ["❤"]}


# ---------------------------------------------------------------------------- logs


async def test_faults_leave_neither_the_token_nor_message_text_in_the_logs(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "Quixotry at the lighthouse means my secret plan worked"
    chats = {-370: "stall", -371: "503", -372: "502 page", -373: "drop", -374: "cut"}
    for chat in chats:
        fake.add_chat(chat)
    fake.stall("setMessageReaction", STALL_S, chat_id=-370)
    fake.fail("getChat", 503, chat_id=-371)
    fake.fail("setMessageReaction", 502, chat_id=-372, html=True)
    fake.drop("setMessageReaction", chat_id=-373)
    fake.drop("getChat", chat_id=-374, midway=True)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji, quick_application(fake)) as app:
        fake.fail("getUpdates", 500)
        fake.drop("getUpdates")
        await fake.wait_for(lambda: len(fake.calls("getUpdates", ok=False)) == 2, what="outage")
        sent = {chat: fake.send(chat, ALICE, f"{secret} {GRIEF} {HAPPY}") for chat in chats}
        await settle(fake, app, moodmoji)
        after = fake.send(-370, BOB, HAPPY)
        await settle(fake, app, moodmoji)
        assert_still_working(moodmoji)

    faulted = [r for r in fake.requests if r.status != 200]
    assert len(faulted) == 7  # every fault happened ...
    assert moodmoji.stats.reaction_errors == 3 and fake.reactions == {(-370, after): ["❤"]}
    assert all((chat, message) not in fake.reactions for chat, message in sent.items())
    log = caplog.text
    assert "setMessageReaction failed" in log and "getChat failed" in log  # ... and was logged
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    for text in (secret, "Quixotry", "lighthouse", GRIEF, HAPPY):
        assert text not in log
    assert all(TOKEN not in str(r.args) for r in caplog.records if r.args)
