"""Rate limits and refusals, end to end: what the Bot API server saw after a 429 or a 403."""

from __future__ import annotations

from collections.abc import Callable

from moodmoji.adapters.telegram import TelegramMoodmoji
from tests.adapters.telegram.fake_bot_api import FakeBotAPI
from tests.adapters.telegram.harness import HAPPY, plain_application, running, settle

MakeMoodmoji = Callable[..., TelegramMoodmoji]

ALICE, BOB = 511, 512


async def test_429_then_success_with_the_rate_limiter_of_moodmoji_telegram(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-200)
    fake.fail("setMessageReaction", 429, chat_id=-200, retry_after=1)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji) as app:  # AIORateLimiter, as `moodmoji telegram` runs
        message = fake.send(-200, ALICE, HAPPY)
        await settle(fake, app, moodmoji)
    attempts = fake.calls("setMessageReaction", chat_id=-200)
    assert [(r.params["message_id"], r.status) for r in attempts] == [
        (message, 429),
        (message, 200),
    ]
    assert attempts[1].at - attempts[0].at >= 1.0  # waited retry_after before the one retry
    assert fake.reactions == {(-200, message): ["❤"]}


async def test_429_then_success_in_an_application_without_a_rate_limiter(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-201)
    fake.fail("setMessageReaction", 429, chat_id=-201, retry_after=1)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji, plain_application(fake)) as app:
        message = fake.send(-201, ALICE, HAPPY)
        await settle(fake, app, moodmoji)
    attempts = fake.calls("setMessageReaction", chat_id=-201)
    assert [r.status for r in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0
    assert fake.reactions == {(-201, message): ["❤"]}
    assert moodmoji.stats.retries == 1


async def test_a_429_storm_gets_one_retry_then_gives_up(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-202)
    fake.fail("setMessageReaction", 429, chat_id=-202, retry_after=1, times=100)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji, plain_application(fake)) as app:
        fake.send(-202, ALICE, HAPPY)
        await settle(fake, app, moodmoji)
    assert [r.status for r in fake.calls("setMessageReaction")] == [429, 429]
    assert fake.reactions == {}
    assert moodmoji.stats.reaction_errors == 1
    assert moodmoji.stats.refusals == 0  # a rate limit is not a refusal


async def test_a_long_retry_after_is_not_waited_for(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-203)
    fake.fail("setMessageReaction", 429, chat_id=-203, retry_after=3600)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji, plain_application(fake)) as app:
        fake.send(-203, ALICE, HAPPY)
        await settle(fake, app, moodmoji)
    assert [r.status for r in fake.calls("setMessageReaction")] == [429]
    assert moodmoji.stats.retries == 0


async def test_403_then_no_further_attempts_in_that_chat(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-204)
    fake.add_chat(-205)
    fake.fail("setMessageReaction", 403, chat_id=-204)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji) as app:
        fake.send(-204, ALICE, HAPPY)
        await settle(fake, app, moodmoji)
        assert [r.status for r in fake.calls("setMessageReaction", chat_id=-204)] == [403]
        for _ in range(3):
            fake.send(-204, BOB, HAPPY)
        other = fake.send(-205, BOB, HAPPY)
        await settle(fake, app, moodmoji)
    assert len(fake.calls("setMessageReaction", chat_id=-204)) == 1
    assert len(fake.calls("getChat", chat_id=-204)) == 1
    assert (-205, other) in fake.reactions
    stats = moodmoji.stats
    assert (stats.refusals, stats.skipped_refused, stats.reactions_sent) == (1, 3, 1)


async def test_a_403_on_get_chat_is_a_refusal_too(
    fake: FakeBotAPI, make_moodmoji: MakeMoodmoji
) -> None:
    fake.add_chat(-206)
    fake.fail("getChat", 403, chat_id=-206)
    moodmoji = make_moodmoji()
    async with running(fake, moodmoji) as app:
        fake.send(-206, ALICE, HAPPY)
        await settle(fake, app, moodmoji)
        fake.send(-206, BOB, HAPPY)
        await settle(fake, app, moodmoji)
    assert [r.status for r in fake.calls("getChat")] == [403]
    assert fake.calls("setMessageReaction") == []
