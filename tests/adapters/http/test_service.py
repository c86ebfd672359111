"""Back-pressure and failures of the core, over real sockets: 503 with Retry-After, JSON 500s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest

from moodmoji.bot.core import MoodBot
from moodmoji.bot.errors import CoreClosed
from moodmoji.bot.messages import IncomingMessage, Platform
from moodmoji.bot.store import SettingsStore
from moodmoji.inference.settings import BatchSettings
from tests.adapters.http.conftest import Serve
from tests.adapters.http.engines import FailingAnalyzer, GatedAnalyzer


async def until(check: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


async def test_a_full_queue_answers_503_with_retry_after(
    serve: Serve, make_bot: Callable[..., MoodBot]
) -> None:
    bot = make_bot(max_queue=2, batch=BatchSettings(max_batch_size=1, max_wait_ms=0))
    gate = GatedAnalyzer(bot.analyzer)
    bot.analyzer = gate  # type: ignore[assignment]
    running = serve(bot)
    gate.hold()  # the engine is now as slow as we like
    async with httpx.AsyncClient(base_url=running.url, timeout=60) as client:
        first = asyncio.ensure_future(client.post("/v1/analyze", json={"text": "We won!!"}))
        await until(gate.entered.is_set)  # its model run has started and hangs
        queued = [
            asyncio.ensure_future(client.post("/v1/analyze", json={"text": f"waiting {i}"}))
            for i in range(2)
        ]
        depth = 0

        async def queue_full() -> bool:
            nonlocal depth
            depth = (await client.get("/readyz")).json()["queue_depth"]
            return depth == 2

        deadline = time.monotonic() + 30
        while not await queue_full():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)

        refused = await client.post("/v1/analyze", json={"text": "one too many"})
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "overloaded"
        assert refused.json()["title"] == "Model queue full"
        refused_batch = await client.post(
            "/v1/analyze/batch", json={"messages": [{"text": "a"}, {"text": "b"}]}
        )
        assert refused_batch.status_code == 503
        assert refused_batch.headers["retry-after"] == "1"

        gate.release()
        answers = await asyncio.gather(first, *queued)
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert answers[0].json()["mood"] == "joy"
        metrics = (await client.get("/metrics")).text
    assert "moodmoji_overloaded_total 3.0" in metrics  # one single + a batch of two
    assert 'route="/v1/analyze",status="503"' in metrics
    # nothing piled up: the refused messages never reached the model
    assert running.client.post("/v1/analyze", json={"text": "after"}).status_code == 200


def test_a_failed_model_run_answers_500_json(
    serve: Serve, make_bot: Callable[..., MoodBot]
) -> None:
    bot = make_bot()
    bot.analyzer = FailingAnalyzer(bot.analyzer, trigger="💥")  # type: ignore[assignment]
    running = serve(bot)
    response = running.client.post("/v1/analyze", json={"text": "💥 boom"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "/problems/decision_failed",
        "title": "Model run failed",
        "status": 500,
        "detail": "the model run for this message failed",
        "instance": "/v1/analyze",
        "code": "decision_failed",
    }
    assert "Traceback" not in response.text and "RuntimeError" not in response.text
    batch = running.client.post(
        "/v1/analyze/batch", json={"messages": [{"text": "fine"}, {"text": "💥"}]}
    )
    assert batch.status_code == 500
    later = running.client.post("/v1/analyze", json={"text": "We won the final!!"})
    assert later.status_code == 200  # later runs are unaffected


def test_an_unexpected_error_is_a_json_500_without_traceback(
    serve: Serve, make_bot: Callable[..., MoodBot], store: SettingsStore
) -> None:
    bot = make_bot(store=store)
    running = serve(bot)

    async def broken(*args: object, **kwargs: object) -> object:
        raise KeyError("a bug")

    bot.chats.view = broken  # type: ignore[method-assign]
    response = running.client.get("/v1/chats/generic/1/settings")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text and "KeyError" not in response.text
    assert running.client.get("/healthz").status_code == 200  # the server lives on


def test_readiness_and_shutdown(serve: Serve, make_bot: Callable[..., MoodBot]) -> None:
    bot = make_bot()
    running = serve(bot)
    ready = running.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "queue_depth": 0, "store": None}
    running.server.stop()
    assert running.app.service.ready is False
    message = IncomingMessage(Platform.GENERIC, "c", "1", "u", "hi")
    with pytest.raises(CoreClosed):  # the app closed the bot on shutdown
        asyncio.run(bot.adecide(message))


def test_not_ready_when_the_model_fails_its_warm_up(
    serve: Serve, make_bot: Callable[..., MoodBot]
) -> None:
    bot = make_bot()
    bot.analyzer = FailingAnalyzer(bot.analyzer, trigger="")  # every run fails
    running = serve(bot)
    assert running.client.get("/healthz").status_code == 200
    not_ready = running.client.get("/readyz")
    assert not_ready.status_code == 503 and not_ready.json()["ready"] is False
