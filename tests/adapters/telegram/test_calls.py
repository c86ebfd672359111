"""The bounded 429 retry and the refusal classification, with the real PTB error types."""

from __future__ import annotations

import datetime

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from moodmoji.adapters.telegram.calls import RetryPolicy, call_api, describe, refusal, retry_after_s


class Script:
    """Answers each call with the next scripted outcome; records the waits."""

    def __init__(self, *outcomes: object) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0
        self.waits: list[float] = []

    async def call(self) -> object:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_a_429_is_waited_out_and_retried_once() -> None:
    script = Script(RetryAfter(3), "ok")
    result = await call_api(script.call, RetryPolicy(retries=1), sleep=script.sleep)
    assert (result, script.calls, script.waits) == ("ok", 2, [3.0])


async def test_retries_are_bounded() -> None:
    script = Script(RetryAfter(1), RetryAfter(1), RetryAfter(1), "never")
    with pytest.raises(RetryAfter):
        await call_api(script.call, RetryPolicy(retries=1), sleep=script.sleep)
    assert (script.calls, script.waits) == (2, [1.0])


async def test_no_wait_past_the_deadline_or_the_cap() -> None:
    late = Script(RetryAfter(30), "never")
    with pytest.raises(RetryAfter):
        await call_api(
            late.call, RetryPolicy(), deadline=110.0, clock=lambda: 100.0, sleep=late.sleep
        )
    capped = Script(RetryAfter(3600), "never")
    with pytest.raises(RetryAfter):
        await call_api(capped.call, RetryPolicy(max_wait_s=30), sleep=capped.sleep)
    assert late.waits == capped.waits == []


async def test_other_errors_are_not_retried() -> None:
    for error in (
        Forbidden("Forbidden: bot was blocked by the user"),
        TimedOut(),
        NetworkError("Bad Gateway"),
    ):
        script = Script(error, "never")
        with pytest.raises(type(error)):
            await call_api(script.call, RetryPolicy(retries=5), sleep=script.sleep)
        assert script.calls == 1


def test_retry_after_in_either_of_ptbs_types(monkeypatch: pytest.MonkeyPatch) -> None:
    assert retry_after_s(RetryAfter(datetime.timedelta(seconds=2.5))) == 2.5
    monkeypatch.delenv("PTB_TIMEDELTA")
    with pytest.warns(Warning):  # PTB's own deprecation warning, when it builds the error
        error = RetryAfter(4)
    assert retry_after_s(error) == 4.0


def test_refusals_are_told_from_passing_trouble() -> None:
    assert refusal(Forbidden("Forbidden: bot was kicked from the group chat")) == "forbidden"
    assert refusal(BadRequest("Bad Request: REACTION_INVALID")) == "reaction_invalid"
    assert refusal(BadRequest("Bad Request: CHAT_ADMIN_REQUIRED")) == "chat_admin_required"
    assert refusal(BadRequest("Bad Request: message to react not found")) is None
    assert refusal(RetryAfter(1)) is None
    assert refusal(TimedOut()) is None
    assert describe(Forbidden("Forbidden: bot was blocked")) == "Forbidden: bot was blocked"
    assert (
        describe(BadRequest("Bad Request: REACTION_INVALID")).lower()
        == "badrequest: reaction_invalid"
    )
