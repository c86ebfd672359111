"""Platform faults, end to end: REST timeouts, 5xx answers and dropped connections on Discord.

The real discord.py bot talks to our fake Discord on 127.0.0.1, which stalls, fails or hangs
up on chosen REST requests. What the libraries do (discord.py 2.7.1 and aiohttp 3.14, read in
their source; the attempt counts asserted below follow from it):

* discord.py sets no request timeout: aiohttp's default (5 minutes in all) applies. The Cog
  gives every call up after ``DiscordSettings.request_timeout_s`` (10 s by default; 2 s here).
* Bot API routes (reactions, message fetches) retry a 500, 502 or 504 after 1, 3, 5, 7 s
  (five tries in all, then ``DiscordServerError`` after a last 9 s wait: 25 s); any other
  5xx (503) raises at once. Interaction callbacks and follow-ups (the webhook routes) retry
  every 5xx on the same schedule.
* aiohttp sends an idempotent request (``PUT``, ``GET``) once more when the connection closed
  before any answer; a ``POST``, or an answer cut off halfway, is not repeated.
* moodmoji adds no retries of its own: a failed call is logged (its status or type) and given
  up. The faulted message gets no reaction (by design); every later one does.

Already covered elsewhere, not repeated here: 429 and 403 on reactions, a dropped gateway
(``test_cog.py``).
"""

from __future__ import annotations

import itertools
import logging
import time

import pytest

from moodmoji.adapters.discord.cog import SUGGEST_MENU
from moodmoji.adapters.discord.settings import DiscordSettings
from moodmoji.adapters.discord.texts import NOT_FOUND
from moodmoji.bot.core import MoodBot
from tests.adapters.discord.conftest import GRIEF, HAPPY, JOB, TOKEN, Running, World, running
from tests.adapters.discord.fake_discord import (
    CALLBACK_ROUTE,
    CUT,
    DROP,
    FOLLOWUP_ROUTE,
    MESSAGE_ROUTE,
    REACTION_ROUTE,
    STALL,
    Interaction,
    Message,
    Request,
)

pytestmark = pytest.mark.reliability

#: The Cog's bound on one call to Discord in these tests (the default is 10 s).
TIMEOUT_S = 2.0
QUICK = DiscordSettings(queue_size=32, workers=4, request_timeout_s=TIMEOUT_S)
#: How long a stalled request goes unanswered: longer than any test waits.
STALL_S = 60.0
PERSISTENT = 1000


def outcomes(requests: list[Request]) -> list[str | int]:
    """Each request's outcome: its status, or the network fault it met."""
    return [r.fault or r.status for r in requests]


def gaps(requests: list[Request]) -> list[float]:
    return [b.at - a.at for a, b in itertools.pairwise(requests)]


def puts_on(world: World, message: Message) -> list[Request]:
    return [r for r in world.fake.reaction_puts() if f"/messages/{message.id}/" in r.path]


def no_escaped_errors(caplog: pytest.LogCaptureFixture) -> bool:
    """No exception reached discord.py's handlers (``Ignoring exception in command ...``)."""
    return not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def still_reacts(world: World, run: Running, handled: int) -> Message:
    """With the faults over, a new message in the same channel gets its reaction."""
    fake = world.fake
    fake.faults.clear()
    later = await fake.post(world.bob, world.general, HAPPY)
    await fake.wait_for(lambda: fake.reactions_on(later))
    await run.settled(handled)
    stats = run.cog.queue.stats
    assert run.cog.queue.running and stats.failed == 0 and stats.processed == handled
    assert run.cog.refusals.refused(str(world.general.id)) is None  # not taken for a refusal
    return later


# ---------------------------------------------------------------------------- reactions


@pytest.mark.parametrize(
    ("status", "html", "times", "expected"),
    [
        (500, False, 1, [500, 204]),  # retried by discord.py after 1 s
        (502, True, 1, [502, 204]),
        (504, False, 1, [504, 204]),
        (503, False, 1, [503]),  # not among the statuses discord.py retries
        (500, False, PERSISTENT, [500, 500]),  # the retry at 3 s comes after our 2 s
        (502, True, PERSISTENT, [502, 502]),
        (504, False, PERSISTENT, [504, 504]),
    ],
)
async def test_a_5xx_on_a_reaction_gets_discord_pys_retries_and_no_more(
    world: World,
    moodbot: MoodBot,
    caplog: pytest.LogCaptureFixture,
    status: int,
    html: bool,
    times: int,
    expected: list[int],
) -> None:
    fake = world.fake
    fake.fail(
        "PUT", REACTION_ROUTE.format(channel=world.general.id), status, times=times, html=html
    )
    async with running(moodbot, settings=QUICK) as run:
        faulted = await fake.post(world.alice, world.general, HAPPY)
        await run.settled(1)
        later = await still_reacts(world, run, 2)

    attempts = puts_on(world, faulted)  # counted at the end: no late retry either
    assert outcomes(attempts) == expected
    assert all(gap >= 0.9 for gap in gaps(attempts))  # discord.py's first wait is 1 s
    assert bool(fake.reactions_on(faulted)) == (expected[-1] == 204)
    assert outcomes(puts_on(world, later)) == [204]
    assert no_escaped_errors(caplog)


async def test_a_persistent_502_under_the_default_settings_costs_four_attempts_in_10_s(
    world: World, moodbot: MoodBot
) -> None:
    fake = world.fake
    fake.fail("PUT", REACTION_ROUTE.format(channel=world.general.id), 502, times=PERSISTENT)
    settings = DiscordSettings(queue_size=32, workers=4)
    assert settings.request_timeout_s == 10.0
    with pytest.raises(ValueError, match="request_timeout_s"):
        DiscordSettings(request_timeout_s=0)
    async with running(moodbot, settings=settings) as run:
        faulted = await fake.post(world.alice, world.general, HAPPY)
        await run.settled(1, timeout=30)
        await still_reacts(world, run, 2)

    attempts = puts_on(world, faulted)
    # discord.py's tries at 0, 1, 4 and 9 s; its fifth (at 16 s) is never made.
    assert outcomes(attempts) == [502] * 4
    first, second, third = gaps(attempts)
    assert first >= 0.9 and second >= 2.9 and third >= 4.9
    assert fake.reactions_on(faulted) == {}


async def test_a_stalled_reaction_is_given_up_and_its_channel_keeps_working(
    world: World, moodbot: MoodBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="moodmoji.adapters")
    fake = world.fake
    fake.stall("PUT", REACTION_ROUTE.format(channel=world.general.id), STALL_S)
    async with running(moodbot, settings=QUICK) as run:
        # What the Cog's bound replaces: discord.py leaves aiohttp's 300 s in place.
        assert run.bot.http._HTTPClient__session.timeout.total == 300  # type: ignore[attr-defined]
        faulted = await fake.post(world.alice, world.general, HAPPY)
        await fake.wait_for(lambda: puts_on(world, faulted))
        stalled_at = time.monotonic()
        await run.settled(1)  # within 20 s: long before the stall (60 s) would end
        waited = time.monotonic() - stalled_at
        later = await still_reacts(world, run, 2)  # the channel's rate-limit bucket was freed

    assert outcomes(puts_on(world, faulted)) == [STALL]  # one attempt, not repeated
    assert waited >= TIMEOUT_S - 0.2
    assert fake.reactions_on(faulted) == {} and fake.reactions_on(later)
    assert f"reaction on message {faulted.id} failed (TimeoutError)" in caplog.text
    assert no_escaped_errors(caplog)


@pytest.mark.parametrize(
    ("times", "midway", "expected"),
    [
        (1, False, [DROP, 204]),  # aiohttp sends the PUT once more, on a new connection
        (2, False, [DROP, DROP]),  # ... but only once
        (1, True, [CUT]),  # an answer cut off halfway is not repeated
    ],
)
async def test_a_dropped_connection_on_a_reaction_is_tried_again_once_at_most(
    world: World,
    moodbot: MoodBot,
    caplog: pytest.LogCaptureFixture,
    times: int,
    midway: bool,
    expected: list[str | int],
) -> None:
    fake = world.fake
    route = REACTION_ROUTE.format(channel=world.general.id)
    fake.hang_up("PUT", route, times=times, midway=midway)
    async with running(moodbot, settings=QUICK) as run:
        faulted = await fake.post(world.alice, world.general, HAPPY)
        await run.settled(1)
        await still_reacts(world, run, 2)

    assert outcomes(puts_on(world, faulted)) == expected
    assert bool(fake.reactions_on(faulted)) == (expected[-1] == 204)
    assert no_escaped_errors(caplog)


# ---------------------------------------------------------------------------- interactions


async def suggest(world: World, target: Message) -> Interaction:
    return await world.fake.use_message_command(world.bob, world.general, SUGGEST_MENU, target)


def answered(interaction: Interaction) -> bool:
    return bool(interaction.followups) and interaction.followups[0]["content"].startswith(
        "Suggested replies:"
    )


async def still_answers(world: World, target: Message) -> None:
    """With the faults over, the menu answers again."""
    world.fake.faults.clear()
    again = await suggest(world, target)
    await world.fake.wait_for(lambda: answered(again))


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ((503, 1), [503, 200]),  # the webhook routes retry every 5xx after 1 s
        ((500, PERSISTENT), [500, 500]),  # given up at 2 s, before the retry at 4 s
        (STALL, [STALL]),
        (DROP, [DROP]),  # a POST is not sent again
    ],
)
async def test_a_fault_on_the_interaction_callback_is_bounded_and_never_escapes(
    world: World,
    moodbot: MoodBot,
    caplog: pytest.LogCaptureFixture,
    fault: object,
    expected: list[str | int],
) -> None:
    caplog.set_level(logging.INFO, logger="moodmoji.adapters")
    fake = world.fake
    inject(world, "POST", CALLBACK_ROUTE, fault)
    target = fake.store_message(world.alice, world.general, HAPPY)
    async with running(moodbot, settings=QUICK):
        menu = await suggest(world, target)
        if expected[-1] == 200:
            await fake.wait_for(lambda: answered(menu))
        else:
            await fake.wait_for(lambda: "could not acknowledge" in caplog.text)
        await still_answers(world, target)

    callbacks = [r for r in fake.requests_to("POST", CALLBACK_ROUTE) if str(menu.id) in r.path]
    assert outcomes(callbacks) == expected
    assert all(gap >= 0.9 for gap in gaps(callbacks))
    assert answered(menu) == (expected[-1] == 200)
    if expected[-1] != 200:
        assert menu.followups == []  # no follow-up without an acknowledgement
    assert no_escaped_errors(caplog)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ((502, 1), [502, 200]),
        ((504, PERSISTENT), [504, 504]),
        (STALL, [STALL]),
        (DROP, [DROP]),
        (CUT, [CUT]),
    ],
)
async def test_a_fault_on_the_follow_up_is_bounded_and_never_escapes(
    world: World,
    moodbot: MoodBot,
    caplog: pytest.LogCaptureFixture,
    fault: object,
    expected: list[str | int],
) -> None:
    caplog.set_level(logging.INFO, logger="moodmoji.adapters")
    fake = world.fake
    inject(world, "POST", FOLLOWUP_ROUTE, fault)
    target = fake.store_message(world.alice, world.general, HAPPY)
    async with running(moodbot, settings=QUICK):
        menu = await suggest(world, target)
        if expected[-1] == 200:
            await fake.wait_for(lambda: answered(menu))
        else:
            await fake.wait_for(lambda: "follow-up failed" in caplog.text)
        await still_answers(world, target)

    followups = [r for r in fake.requests_to("POST", FOLLOWUP_ROUTE) if menu.token in r.path]
    assert menu.response is not None  # acknowledged in time
    assert outcomes(followups) == expected
    assert all(gap >= 0.9 for gap in gaps(followups))
    assert answered(menu) == (expected[-1] == 200)
    assert no_escaped_errors(caplog)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ((500, 1), [500, 200]),
        ((503, 1), [503]),
        (STALL, [STALL]),
        ((DROP, 2), [DROP, DROP]),  # a GET is sent once more after a drop, not twice
    ],
)
async def test_why_answers_even_when_fetching_the_message_fails(
    world: World,
    moodbot: MoodBot,
    caplog: pytest.LogCaptureFixture,
    fault: object,
    expected: list[str | int],
) -> None:
    fake = world.fake
    inject(world, "GET", MESSAGE_ROUTE.format(channel=world.general.id), fault)
    old = fake.store_message(world.alice, world.general, JOB)  # not remembered: fetched
    async with running(moodbot, settings=QUICK):
        why = await fake.use_slash_command(
            world.bob, world.general, "why", {"message": str(old.id)}
        )
        await fake.wait_for(lambda: why.followups)

    fetches = fake.requests_to("GET", MESSAGE_ROUTE.format(channel=world.general.id))
    assert outcomes(fetches) == expected
    text = why.followups[0]["content"]
    if expected[-1] == 200:
        assert text.startswith("Looking at this message now:")
    else:
        assert text == NOT_FOUND  # an answer, not an endless "thinking ..."
    assert no_escaped_errors(caplog)


def inject(world: World, method: str, route: str, fault: object) -> None:
    """``fault``: ``(status, times)``, ``STALL``, ``DROP``, ``CUT`` or ``(DROP, times)``."""
    fake = world.fake
    if fault == STALL:
        fake.stall(method, route, STALL_S)
    elif fault in (DROP, CUT):
        fake.hang_up(method, route, midway=fault == CUT)
    elif isinstance(fault, tuple) and fault[0] == DROP:
        fake.hang_up(method, route, times=fault[1])
    elif isinstance(fault, tuple):
        fake.fail(method, route, fault[0], times=fault[1])
    else:
        raise AssertionError(f"unknown fault {fault!r}")


# ---------------------------------------------------------------------------- logs


async def test_faults_leave_neither_tokens_nor_message_text_in_the_logs(
    world: World, moodbot: MoodBot, caplog: pytest.LogCaptureFixture
) -> None:
    # As `moodmoji discord` runs it: discord.py at INFO (its DEBUG prints whole payloads).
    caplog.set_level(logging.INFO, logger="discord")
    caplog.set_level(logging.DEBUG)
    fake = world.fake
    secret = f"{HAPPY} Quixotry at the lighthouse, my secret plan worked"
    fake.stall("PUT", REACTION_ROUTE.format(channel=world.general.id), STALL_S)
    fake.fail("PUT", REACTION_ROUTE.format(channel=world.random.id), 503)
    fake.hang_up("PUT", REACTION_ROUTE.format(channel=world.custom.id), times=2)
    fake.fail("POST", CALLBACK_ROUTE, 502, html=True)
    fake.hang_up("POST", FOLLOWUP_ROUTE)
    async with running(moodbot, settings=QUICK) as run:
        posted = [
            await fake.post(world.alice, channel, secret)
            for channel in (world.general, world.random, world.custom)
        ]
        target = fake.store_message(world.alice, world.general, GRIEF)
        menu = await suggest(world, target)
        await run.settled(3)
        await fake.wait_for(lambda: "follow-up failed" in caplog.text)

    faulted = [r for r in fake.requests if r.fault or r.status >= 500]
    assert len(faulted) == 6  # stall, 503, two drops, 502, drop: every fault happened ...
    assert all(fake.reactions_on(message) == {} for message in posted)
    log = caplog.text
    assert "failed (TimeoutError)" in log and "follow-up failed" in log  # ... and was logged
    assert TOKEN not in log and menu.token not in log
    for text in (secret, "Quixotry", "lighthouse", GRIEF, HAPPY):
        assert text not in log
    assert no_escaped_errors(caplog)
