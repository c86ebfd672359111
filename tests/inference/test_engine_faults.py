"""Faults of the model run, injected under the real engine (reliability suite).

The real default model's ONNX Runtime session is wrapped in :class:`FaultySession`, which runs
it normally except on the runs that carry a chosen "poison" text: there it raises ONNX
Runtime's own ``RuntimeException``, stalls until released, or returns a wrong number of rows.
The engine, the micro-batcher and ``MoodBot`` on top are the real ones. The batcher's own unit
tests (``test_batcher.py``) cover the same failure kinds with a fake predict function; these
check that the whole stack keeps its promises with the real model:

- a failing run fails every caller batched into it (``BatchFailed`` / ``DecisionFailed``),
  promptly, and only them; the next batch succeeds with correct results;
- the counters count the failure; no message text reaches the logs;
- callers that give up on a stalled run (timeout, cancel) leave the batcher serving.

Every wait is bounded by ``asyncio.wait_for`` with a generous timeout, so a hang fails the test
instead of blocking the run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import onnxruntime as ort
import pytest
from onnxruntime.capi.onnxruntime_pybind11_state import RuntimeException

from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.core import MoodBot, default_rules
from moodmoji.bot.errors import CoreError, DecisionFailed
from moodmoji.bot.messages import IncomingMessage, Platform
from moodmoji.bot.policy import ReactionPolicy
from moodmoji.bot.suggestions import Suggester
from moodmoji.inference.analyzer import Analysis, Analyzer
from moodmoji.inference.batcher import MicroBatcher
from moodmoji.inference.engine import Engine
from moodmoji.inference.errors import BatchFailed
from moodmoji.inference.hygiene import clean_text
from moodmoji.inference.results import Prediction
from moodmoji.inference.settings import BatchSettings
from tests.conftest import BotFactory

pytestmark = pytest.mark.reliability

NO_HANG_S = 30.0  # generous: a batch of these texts takes well under a second
GIVE_UP_S = 0.3  # how long an impatient caller waits on a stalled run
TOLERANCE = 1e-4
BATCH = BatchSettings(max_batch_size=16, max_wait_ms=50)
POISON = "quokka xylophone 7741 makes the model fall over"
ORT_MESSAGE = (
    "[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code returned while running "
    "MatMulInteger node. Name:'/encoder/layer.2/attention/self/query/MatMul_quant' "
    "Status Message: std::bad_alloc"
)

Fault = Literal["raise", "stall", "extra_row", "no_row", "one_row"]


def texts(tag: str, count: int) -> list[str]:
    """Distinct, recognisable texts (so that a leak into the logs would be found)."""
    moods = ["so happy for you", "this is awful", "meeting at 3pm", "I miss her", "lol 😂"]
    return [f"{moods[i % len(moods)]} ({tag}-lemon-{i})" for i in range(count)]


class FaultySession:
    """The real ORT session, faulty on the runs that carry :data:`POISON`.

    Args:
        real: The session to run.
        poison_ids: The token ids the engine feeds for :data:`POISON`.
        fault: What happens on a poisoned run.

    Attributes:
        faults: Faults injected.
        stalled: Set when a poisoned run starts stalling.
        release: Set to let stalled runs go on (set by the fixture's teardown at the latest).

    """

    def __init__(self, real: ort.InferenceSession, poison_ids: np.ndarray, fault: Fault) -> None:
        self._real = real
        self._poison = poison_ids
        self.fault = fault
        self.faults = 0
        self.stalled = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    def run(self, output_names: list[str], feeds: dict[str, Any], options: Any = None) -> Any:
        if not self._carries_poison(feeds["input_ids"]):
            return self._real.run(output_names, feeds, options)
        with self._lock:
            self.faults += 1
        if self.fault == "raise":
            raise RuntimeException(ORT_MESSAGE)
        if self.fault == "stall":
            self.stalled.set()
            assert self.release.wait(NO_HANG_S), "the test never released a stalled run"
            return self._real.run(output_names, feeds, options)
        outputs = self._real.run(output_names, feeds, options)
        if self.fault == "extra_row":
            return [np.concatenate([o, o[-1:]]) for o in outputs]
        if self.fault == "one_row":  # a graph pooling over the batch axis by mistake
            return [o[:1] for o in outputs]
        return [o[:-1] for o in outputs]  # no_row: one row short

    def _carries_poison(self, ids: np.ndarray) -> bool:
        n = len(self._poison)
        return any(row.shape[0] >= n and np.array_equal(row[:n], self._poison) for row in ids)

    def __getattr__(self, name: str) -> Any:  # get_inputs, get_outputs ...
        return getattr(self._real, name)


@dataclasses.dataclass
class Rig:
    """A faulty stack over the real model, and the clean analyzer to check it against."""

    session: FaultySession
    analyzer: Analyzer
    reference: Analyzer

    @property
    def engine(self) -> Engine:
        return self.analyzer.engine

    def expect(self, text: str) -> Prediction:
        return self.reference.engine.predict([text])[0]


def faulty_engine(engine: Engine, fault: Fault, poison: str = POISON) -> Engine:
    """``engine`` with its session wrapped in a :class:`FaultySession` poisoned by ``poison``."""
    (poison_ids,) = engine.bundle.encoder.encode([clean_text(poison, engine.hygiene)]).arrays[
        "input_ids"
    ]
    session = FaultySession(engine.bundle.session, poison_ids, fault)
    bundle = dataclasses.replace(engine.bundle, session=session)
    return Engine(bundle, engine.hygiene, engine.buckets)


def make_rig(base: Analyzer, fault: Fault) -> Rig:
    engine = faulty_engine(base.engine, fault)
    analyzer = Analyzer(engine, base.moods, base.ranker, base.topics)
    session = engine.bundle.session
    assert isinstance(session, FaultySession)
    return Rig(session, analyzer, base)


@pytest.fixture()
def rig(request: pytest.FixtureRequest, default_analyzer: Analyzer) -> Iterator[Rig]:
    built = make_rig(default_analyzer, request.param)
    try:
        yield built
    finally:
        built.session.release.set()  # never leave a thread blocked in a stalled run


@pytest.fixture()
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def assert_not_logged(caplog: pytest.LogCaptureFixture, sent: Sequence[str]) -> None:
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for text in [*sent, POISON]:
        assert text not in logged
        assert text.split("(")[-1] not in logged  # not even the unique tag


def assert_same_prediction(got: Prediction, want: Prediction) -> None:
    assert got.tokens == want.tokens and got.truncated == want.truncated
    for name, expected in want.heads.items():
        actual = got[name]
        if expected.probabilities is not None:
            assert actual.probabilities is not None
            assert np.allclose(actual.probabilities, expected.probabilities, atol=TOLERANCE)
        else:
            assert actual.embedding is not None and expected.embedding is not None
            assert np.allclose(actual.embedding, expected.embedding, atol=TOLERANCE)


async def gather_bounded(*calls: Any) -> list[Any]:
    """Every call's outcome (result or exception), failing the test if any would hang."""
    return list(await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), NO_HANG_S))


async def wait_stalled(rig: Rig) -> None:
    """Until a poisoned run is stuck in ORT (bounded)."""
    assert await asyncio.to_thread(rig.session.stalled.wait, NO_HANG_S), "no run stalled"


async def wait_until(condition: Callable[[], bool]) -> None:
    """Polls ``condition`` on the loop until it holds (bounded)."""
    async with asyncio.timeout(NO_HANG_S):
        while not condition():
            await asyncio.sleep(0.005)


# ---------------------------------------------------------------------------- the batcher


@pytest.mark.parametrize("rig", ["raise"], indirect=True)
async def test_an_ort_error_mid_batch_fails_that_batch_only(
    rig: Rig, logs: pytest.LogCaptureFixture
) -> None:
    first = texts("a", 6)
    first[3] = POISON  # mid-batch (the int8 model runs row by row: rows 0-2 have run by then)
    sent = list(first)
    async with MicroBatcher(rig.engine.predict, BATCH) as batcher:
        outcomes = await gather_bounded(*(batcher.submit(t) for t in first))
        for outcome in outcomes:
            assert isinstance(outcome, BatchFailed), outcome
            assert outcome.batch_size == 6
            assert isinstance(outcome.__cause__, RuntimeException)
            assert "RuntimeException" in str(outcome)
            assert all(t not in str(outcome) for t in first)
        assert len({id(o) for o in outcomes}) == 6  # each caller its own error
        assert batcher.stats.failures == 1 and batcher.stats.runs == 1

        # The callers retry without the poison, with new company: every result is right.
        retry = [t for t in first if t != POISON] + texts("b", 5)
        sent += retry
        results = await gather_bounded(*(batcher.submit(t) for t in retry))
        for text, result in zip(retry, results, strict=True):
            assert isinstance(result, Prediction), result
            assert_same_prediction(result, rig.expect(text))

        # The fault comes back: it fails again, and again only its own batch.
        again = [POISON, *texts("c", 3)]
        sent += again
        outcomes = await gather_bounded(*(batcher.submit(t) for t in again))
        assert all(isinstance(o, BatchFailed) for o in outcomes)
        after = texts("d", 4)
        sent += after
        for text, result in zip(
            after, await gather_bounded(*map(batcher.submit, after)), strict=True
        ):
            assert isinstance(result, Prediction), result
            assert_same_prediction(result, rig.expect(text))
        stats = batcher.stats
    assert rig.session.faults == 2
    assert (stats.failures, stats.runs, stats.queue_depth) == (2, 4, 0)
    assert stats.items == len(sent)
    assert_not_logged(logs, sent)


@pytest.mark.parametrize("rig", ["no_row", "extra_row"], indirect=True)
async def test_a_run_returning_the_wrong_number_of_rows_fails_that_batch_only(
    rig: Rig, logs: pytest.LogCaptureFixture
) -> None:
    batch = [*texts("a", 2), POISON, *texts("b", 2)]
    async with MicroBatcher(rig.engine.predict, BATCH) as batcher:
        outcomes = await gather_bounded(*(batcher.submit(t) for t in batch))
        assert isinstance(outcomes[2], BatchFailed)  # the poisoned run cannot have succeeded
        for text, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BatchFailed):
                assert outcome.batch_size == len(batch)
            else:  # a text may only ever get its own result
                assert isinstance(outcome, Prediction), outcome
                assert_same_prediction(outcome, rig.expect(text))
        after = texts("c", 4)
        results = await gather_bounded(*(batcher.submit(t) for t in after))
        for text, result in zip(after, results, strict=True):
            assert isinstance(result, Prediction), result
            assert_same_prediction(result, rig.expect(text))
        assert batcher.stats.failures == 1
    assert rig.session.faults == 1
    assert_not_logged(logs, batch + after)


# Texts of one token length, so that the bucketing engine runs them together on the tiny model.
TINY_POISON = "funeral lonely tears cry"
TINY_TEXTS = ["so happy today yay", "i am so angry", TINY_POISON, "my dog is scared"]


async def test_a_run_returning_one_row_for_many_never_gives_a_text_another_texts_result(
    tiny_bundle: Path,
) -> None:
    reference = Engine.from_path(tiny_bundle)
    assert not reference.bundle.row_wise  # fp32: texts of one length share a run
    engine = faulty_engine(reference, "one_row", TINY_POISON)
    async with MicroBatcher(engine.predict, BATCH) as batcher:
        outcomes = await gather_bounded(*(batcher.submit(t) for t in TINY_TEXTS))
    for text, outcome in zip(TINY_TEXTS, outcomes, strict=True):
        if not isinstance(outcome, BatchFailed):  # refusing the run is a correct answer
            assert isinstance(outcome, Prediction), outcome
            assert_same_prediction(outcome, reference.predict([text])[0])


@pytest.mark.parametrize("rig", ["stall"], indirect=True)
async def test_callers_giving_up_on_a_stalled_run_leave_the_batcher_serving(
    rig: Rig, logs: pytest.LogCaptureFixture
) -> None:
    stuck = [POISON, *texts("a", 2)]
    queued = texts("b", 3)
    async with MicroBatcher(rig.engine.predict, BATCH) as batcher:
        running = [asyncio.create_task(batcher.submit(t)) for t in stuck]
        await wait_stalled(rig)
        # The callers of the stuck run give up (time out) while it is stuck in ORT.
        outcomes = await gather_bounded(*(asyncio.wait_for(t, GIVE_UP_S) for t in running))
        assert all(isinstance(o, TimeoutError) for o in outcomes), outcomes

        # Three more callers queue behind the stuck run: two give up, one waits.
        waiting = [asyncio.create_task(batcher.submit(t)) for t in queued]
        await wait_until(lambda: batcher.stats.queue_depth == 3)
        gave_up = await gather_bounded(*(asyncio.wait_for(t, GIVE_UP_S) for t in waiting[1:]))
        assert all(isinstance(o, TimeoutError) for o in gave_up)
        assert batcher.stats.queue_depth == 1
        patient = waiting[0]

        rig.session.release.set()
        result = await asyncio.wait_for(patient, NO_HANG_S)
        assert_same_prediction(result, rig.expect(queued[0]))

        after = texts("c", 5)
        results = await gather_bounded(*(batcher.submit(t) for t in after))
        for text, got in zip(after, results, strict=True):
            assert isinstance(got, Prediction), got
            assert_same_prediction(got, rig.expect(text))
        stats = batcher.stats
    # The stuck run finished for nobody; the two that gave up in the queue never ran.
    assert (stats.failures, stats.queue_depth) == (0, 0)
    assert stats.items == len(stuck) + 1 + len(after)
    assert rig.session.faults == 1
    assert not [r for r in logs.records if r.levelno >= logging.WARNING]
    assert_not_logged(logs, stuck + queued + after)


# ---------------------------------------------------------------------------- the bot


def bot_on(analyzer: Analyzer, suggester: Suggester) -> MoodBot:
    return MoodBot(
        analyzer,
        suggester,
        ReactionPolicy(analyzer.ranker.vocabulary),
        default_rules(),
        ChatSettings(),
        batch=BATCH,
    )


def message(text: str, n: int) -> IncomingMessage:
    return IncomingMessage(Platform.GENERIC, "chat-1", f"m{n}", f"u{n % 3}", text)


class DroppingAnalyzer(Analyzer):
    """Returns one analysis too few for a batch holding :data:`POISON` (a broken model)."""

    def analyze(self, texts: Sequence[str]) -> list[Analysis]:
        analyses = super().analyze(texts)
        return analyses[:-1] if POISON in texts else analyses


@pytest.mark.parametrize("rig", ["raise"], indirect=True)
async def test_bot_callers_of_a_failed_run_get_decision_failed_then_the_bot_recovers(
    rig: Rig,
    default_suggester: Suggester,
    make_bot: BotFactory,
    logs: pytest.LogCaptureFixture,
) -> None:
    bot = bot_on(rig.analyzer, default_suggester)
    runs: list[int] = []
    bot.add_batch_observer(lambda size, seconds: runs.append(size))
    first = [message(t, i) for i, t in enumerate([*texts("a", 2), POISON, *texts("b", 2)])]
    try:
        outcomes = await gather_bounded(*(bot.adecide(m, explicit=True) for m in first))
        for outcome in outcomes:
            assert isinstance(outcome, DecisionFailed) and isinstance(outcome, CoreError)
            assert outcome.batch_size == len(first)
        assert bot.queue_depth == 0 and runs == []  # observers see only finished runs

        retry = [m for m in first if m.text != POISON]
        decisions = await gather_bounded(*(bot.adecide(m, explicit=True) for m in retry))
        reference = make_bot()
        for m, decision in zip(retry, decisions, strict=True):
            assert decision.as_dict() == reference.decide(m, explicit=True).as_dict()
        assert sum(runs) == len(retry)
    finally:
        await bot.aclose()
    assert rig.session.faults == 1
    assert_not_logged(logs, [m.text for m in first])


async def test_bot_with_a_predict_returning_too_few_results(
    default_analyzer: Analyzer, default_suggester: Suggester, make_bot: BotFactory
) -> None:
    base = default_analyzer
    dropping = DroppingAnalyzer(base.engine, base.moods, base.ranker, base.topics)
    bot = bot_on(dropping, default_suggester)
    batch = [message(t, i) for i, t in enumerate([*texts("a", 3), POISON])]
    try:
        outcomes = await gather_bounded(*(bot.adecide(m, explicit=True) for m in batch))
        for outcome in outcomes:
            assert isinstance(outcome, DecisionFailed), outcome
            assert "3 results for a batch of 4" in str(outcome)
        after = [message(t, 10 + i) for i, t in enumerate(texts("c", 3))]
        decisions = await gather_bounded(*(bot.adecide(m, explicit=True) for m in after))
        reference = make_bot()
        for m, decision in zip(after, decisions, strict=True):
            assert decision.as_dict() == reference.decide(m, explicit=True).as_dict()
    finally:
        await bot.aclose()


@pytest.mark.parametrize("rig", ["stall"], indirect=True)
async def test_bot_callers_timing_out_on_a_stalled_run_do_not_wedge_it(
    rig: Rig, default_suggester: Suggester, make_bot: BotFactory, logs: pytest.LogCaptureFixture
) -> None:
    bot = bot_on(rig.analyzer, default_suggester)
    stuck = [message(POISON, 0), message(texts("a", 1)[0], 1)]
    try:
        running = [asyncio.create_task(bot.adecide(m)) for m in stuck]
        await wait_stalled(rig)
        outcomes = await gather_bounded(*(asyncio.wait_for(t, GIVE_UP_S) for t in running))
        assert all(isinstance(o, TimeoutError) for o in outcomes), outcomes
        behind = [
            asyncio.create_task(bot.adecide(message(t, 5 + i))) for i, t in enumerate(texts("b", 3))
        ]
        await wait_until(lambda: bot.queue_depth == 3)
        behind[0].cancel()  # a caller (say, a closing adapter) cancels while queued
        rig.session.release.set()
        done = await gather_bounded(*behind)
        assert isinstance(done[0], asyncio.CancelledError)
        reference = make_bot()
        for i, decision in enumerate(done[1:], start=1):
            want = reference.decide(message(texts("b", 3)[i], 5 + i))
            assert decision.moods == want.moods and decision.emotions == want.emotions
        assert bot.queue_depth == 0
        later = message(texts("c", 1)[0], 9)
        decision = await asyncio.wait_for(bot.adecide(later, explicit=True), NO_HANG_S)
        assert decision.as_dict() == reference.decide(later, explicit=True).as_dict()
    finally:
        await asyncio.wait_for(bot.aclose(), NO_HANG_S)
    assert_not_logged(logs, [*texts("a", 1), *texts("b", 3), *texts("c", 1)])
