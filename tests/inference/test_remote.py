"""The remote engine against a model server of our own on 127.0.0.1 (no Ray needed).

The server here speaks the wire format of :mod:`inference.remote` around a real local engine
and can be told to misbehave (5xx, slow answers, dropped connections, another model), so that
timeouts, retries and the refusal of a foreign answer are tested over real sockets. The Ray
Serve deployment itself is tested in ``test_serving.py``.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from moodmoji.bot.config import Config, ConfigError, load_config
from moodmoji.bot.core import MoodBot
from moodmoji.bot.messages import IncomingMessage, Platform
from moodmoji.inference.analyzer import Analyzer
from moodmoji.inference.engine import Engine
from moodmoji.inference.remote import (
    EngineLike,
    RemoteEngine,
    RemoteRejected,
    RemoteSettings,
    RemoteUnavailable,
    ServedModel,
    decode_array,
    decode_predictions,
    encode_array,
    encode_embeddings,
    encode_predictions,
)
from moodmoji.inference.results import Prediction
from moodmoji.inference.topics import GATE_FILE, TopicGate

TEXTS = [
    "I am so happy today, yay we won!",
    "my dog died and I cry",
    "so scared and worried",
    "thanks, great party",
    "the meeting is at 3pm",
    "",
    "🎉🎉 Привет мир",
    "x" * 500,
]
SECRET = "hush-hush secret words"


@dataclass
class Fault:
    """What the server does instead of answering one request."""

    status: int = 0
    retry_after: str | None = None
    delay_s: float = 0.0
    drop: bool = False
    fingerprint: str | None = None


class FakeModelServer:
    """A threaded HTTP server answering like ``moodmoji serve-model`` under ``/m``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.faults: deque[Fault] = deque()
        self.requests: list[tuple[str, int]] = []  # (path, texts)
        self._lock = threading.Lock()
        self.served = ServedModel(
            manifest=engine.manifest,
            fingerprint=engine.bundle.fingerprint,
            hygiene=engine.hygiene,
            side_files={GATE_FILE: (engine.bundle.path / GATE_FILE).read_text(encoding="utf-8")}
            if (engine.bundle.path / GATE_FILE).is_file()
            else {},
            max_texts=64,
        )
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.answer(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                server.answer(self, json.loads(self.rfile.read(length)))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/m"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, handler: BaseHTTPRequestHandler, body: Any) -> None:
        texts = body.get("texts", []) if isinstance(body, dict) else []
        with self._lock:
            self.requests.append((handler.path, len(texts)))
            fault = self.faults.popleft() if self.faults else Fault()
        if fault.delay_s:
            time.sleep(fault.delay_s)
        if fault.drop:
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault.status:
            self.send(handler, fault.status, {"error": "injected"}, fault.retry_after)
            return
        fingerprint = fault.fingerprint or self.served.fingerprint
        encoding = body.get("encoding", "list") if isinstance(body, dict) else "list"
        if handler.path == "/m/info":
            self.send(handler, 200, self.served.to_payload())
        elif handler.path == "/m/predict":
            predictions = self.engine.predict(texts)
            self.send(
                handler,
                200,
                encode_predictions(predictions, self.engine.manifest, encoding, fingerprint),
            )
        elif handler.path == "/m/embed":
            vectors = np.vstack(
                [p["embedding"].embedding for p in self.engine.predict(texts)]  # type: ignore[misc]
            )
            self.send(handler, 200, encode_embeddings(vectors, encoding, fingerprint))
        else:
            self.send(handler, 404, {"error": "no such route"})

    @staticmethod
    def send(
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: dict[str, Any],
        retry_after: str | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            if retry_after is not None:
                handler.send_header("Retry-After", retry_after)
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:  # the client gave up (a timeout test)
            pass


@pytest.fixture(scope="module")
def engine(tiny_bundle: Path) -> Engine:
    return Engine.from_path(tiny_bundle)


@pytest.fixture()
def server(engine: Engine) -> Iterator[FakeModelServer]:
    fake = FakeModelServer(engine)
    yield fake
    fake.close()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def connect(
    server: FakeModelServer, bundle: Path | None, sleeps: Sleeps | None = None, **kw: Any
) -> RemoteEngine:
    settings = RemoteSettings(server.url, **{"timeout_s": 2.0, "retries": 3, **kw})
    return RemoteEngine.connect(settings, bundle, sleep=sleeps if sleeps is not None else Sleeps())


def assert_same(remote: list[Prediction], local: list[Prediction]) -> None:
    assert len(remote) == len(local)
    for r, lo in zip(remote, local, strict=True):
        assert r == lo  # heads (names, kinds, labels, decisions), tokens, truncation
        for name, result in lo.heads.items():
            for mine, theirs in (
                (r[name].probabilities, result.probabilities),
                (r[name].embedding, result.embedding),
            ):
                if theirs is None:
                    assert mine is None
                else:
                    assert mine is not None and not mine.flags.writeable
                    np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-6)


# --- parity ----------------------------------------------------------------------------------


def test_remote_predictions_equal_the_local_engine(
    server: FakeModelServer, engine: Engine, tiny_bundle: Path
) -> None:
    with connect(server, tiny_bundle) as remote:
        assert isinstance(remote, EngineLike)
        assert remote.manifest == engine.manifest
        assert remote.hygiene == engine.hygiene
        assert remote.bundle.fingerprint == engine.bundle.fingerprint
        assert remote.bundle.local and remote.bundle.path == tiny_bundle
        assert_same(remote.predict(TEXTS), engine.predict(TEXTS))
        assert_same([remote.predict_one(TEXTS[1])], engine.predict([TEXTS[1]]))
        assert remote.predict([]) == []
        np.testing.assert_allclose(
            remote.embed(TEXTS),
            np.vstack([p["embedding"].embedding for p in engine.predict(TEXTS)]),  # type: ignore[misc]
            atol=1e-6,
        )
        assert remote.runs == 2
        assert remote.stats.failures == 0 and remote.stats.retries == 0


@pytest.mark.parametrize("encoding", ["list", "base64"])
def test_the_wire_format_carries_float32_exactly(engine: Engine, encoding: str) -> None:
    predictions = engine.predict(TEXTS)
    payload = json.loads(
        json.dumps(encode_predictions(predictions, engine.manifest, encoding, "fp"))  # type: ignore[arg-type]
    )
    back = decode_predictions(payload, engine.manifest, len(TEXTS))
    assert back == predictions
    for mine, theirs in zip(back, predictions, strict=True):
        assert np.array_equal(mine["emotion"].probabilities, theirs["emotion"].probabilities)  # type: ignore[arg-type]
        assert np.array_equal(mine["embedding"].embedding, theirs["embedding"].embedding)  # type: ignore[arg-type]


def test_malformed_arrays_and_answers_are_refused(engine: Engine) -> None:
    good = np.ones((2, 3), dtype=np.float32)
    with pytest.raises(ValueError):
        decode_array(encode_array(good, "base64"), rows=3)
    with pytest.raises(ValueError):
        decode_array([[1.0, 2.0], [3.0]], rows=2)
    with pytest.raises(ValueError):
        decode_array({"shape": [2, 3], "base64": "!!"}, rows=2)
    payload = encode_predictions(engine.predict(TEXTS[:2]), engine.manifest, "list", "fp")
    payload["heads"]["emotion"]["predicted"][0] = ["no-such-label"]
    with pytest.raises(ValueError, match="predicted labels"):
        decode_predictions(payload, engine.manifest, 2)
    with pytest.raises(ValueError, match="3 predictions"):
        decode_predictions(payload, engine.manifest, 3)


def test_the_analyzer_on_a_remote_engine_analyses_like_the_local_one(
    server: FakeModelServer, engine: Engine, tmp_path: Path, tiny_bundle: Path
) -> None:
    # A bundle with a fitted topic gate, served; the bot machine has no copy of it.
    bundle = shutil.copytree(tiny_bundle, tmp_path / "served")
    TopicGate(bias=-3.0, cosine_weight=5.0, margin_weight=1.0).write(bundle)
    local_engine = Engine.from_path(bundle)
    fake = FakeModelServer(local_engine)
    try:
        with connect(fake, None) as remote:
            assert not remote.bundle.local
            assert (remote.bundle.path / GATE_FILE).read_text(encoding="utf-8") == (
                bundle / GATE_FILE
            ).read_text(encoding="utf-8")
            local = Analyzer.from_engine(local_engine)
            far = Analyzer.from_engine(remote.as_engine())
            assert far.topics is not None and local.topics is not None
            assert far.topics.gate == local.topics.gate != TopicGate()
            for mine, theirs in zip(far.analyze(TEXTS), local.analyze(TEXTS), strict=True):
                assert mine.moods == theirs.moods
                assert mine.emotions == theirs.emotions
                assert mine.reactions == theirs.reactions
                assert mine.topics == theirs.topics
    finally:
        fake.close()


def test_a_local_bundle_of_another_model_is_not_used(
    server: FakeModelServer, tmp_path: Path, tiny_bundle: Path
) -> None:
    other = shutil.copytree(tiny_bundle, tmp_path / "other")
    manifest = json.loads((other / "manifest.json").read_text(encoding="utf-8"))
    manifest["name"] = "another-model"
    (other / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with connect(server, other) as remote:
        assert not remote.bundle.local
        assert remote.manifest.name == "tiny-lexicon"


# --- timeouts and retries --------------------------------------------------------------------


def test_5xx_answers_are_retried_with_growing_backoff(
    server: FakeModelServer, engine: Engine, tiny_bundle: Path
) -> None:
    sleeps = Sleeps()
    with connect(server, tiny_bundle, sleeps, backoff_s=0.1, max_backoff_s=5.0) as remote:
        server.faults.extend([Fault(status=503), Fault(status=500), Fault(status=502)])
        assert_same(remote.predict(TEXTS[:3]), engine.predict(TEXTS[:3]))
        stats = remote.stats
    assert (stats.attempts, stats.retries, stats.failures) == (4, 3, 0)
    assert len(sleeps) == 3
    for n, slept in enumerate(sleeps):  # 0.1 * 2**n with jitter in [0.5, 1]
        assert 0.05 * 2**n <= slept <= 0.1 * 2**n


def test_retry_after_is_honoured_up_to_the_cap(server: FakeModelServer, tiny_bundle: Path) -> None:
    sleeps = Sleeps()
    with connect(server, tiny_bundle, sleeps, max_backoff_s=1.5) as remote:
        server.faults.extend([Fault(status=503, retry_after="1"), Fault(503, "3600")])
        remote.predict(TEXTS[:1])
    assert sleeps[0] == pytest.approx(1.0) and sleeps[1] == pytest.approx(1.5)


def test_a_call_fails_after_the_bounded_retries(server: FakeModelServer, tiny_bundle: Path) -> None:
    sleeps = Sleeps()
    with connect(server, tiny_bundle, sleeps, retries=2) as remote:
        server.faults.extend([Fault(status=503)] * 5)
        with pytest.raises(RemoteUnavailable, match=r"after 3 attempts \(HTTP 503\)") as info:
            remote.predict(TEXTS[:2])
        assert info.value.attempts == 3
        assert remote.stats.failures == 1
        assert len(server.faults) == 2  # no fourth attempt
    assert len(sleeps) == 2


def test_a_slow_answer_times_out_and_is_retried(
    server: FakeModelServer, engine: Engine, tiny_bundle: Path
) -> None:
    with connect(server, tiny_bundle, timeout_s=0.3) as remote:
        server.faults.append(Fault(delay_s=1.0))
        started = time.perf_counter()
        assert_same(remote.predict(TEXTS[:2]), engine.predict(TEXTS[:2]))
        assert time.perf_counter() - started < 1.0
        assert remote.stats.retries == 1


def test_a_server_closing_an_idle_connection_costs_no_attempt(
    server: FakeModelServer, engine: Engine, tiny_bundle: Path
) -> None:
    with connect(server, tiny_bundle) as remote:
        remote.predict(TEXTS[:1])  # a kept-alive connection, which the server then drops
        server.faults.append(Fault(drop=True))
        assert_same(remote.predict(TEXTS[:2]), engine.predict(TEXTS[:2]))
        stats = remote.stats
        assert (stats.attempts, stats.retries, stats.reconnects) == (2, 0, 1)


def test_a_dropped_connection_is_retried(
    server: FakeModelServer, engine: Engine, tiny_bundle: Path
) -> None:
    with connect(server, tiny_bundle) as remote:
        remote.predict(TEXTS[:1])
        server.faults.extend([Fault(drop=True), Fault(drop=True)])  # the new connection too
        assert_same(remote.predict(TEXTS[:2]), engine.predict(TEXTS[:2]))
        assert remote.stats.retries == 1 and remote.stats.failures == 0


def test_no_server_at_all_fails_after_the_retries() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    settings = RemoteSettings(f"http://127.0.0.1:{port}/m", timeout_s=1.0, retries=1)
    with pytest.raises(RemoteUnavailable, match="ConnectionRefusedError"):
        RemoteEngine.connect(settings, None, sleep=sleeps)
    assert len(sleeps) == 1


def test_a_4xx_answer_is_not_retried(server: FakeModelServer, tiny_bundle: Path) -> None:
    with connect(server, tiny_bundle) as remote:
        server.faults.append(Fault(status=413))
        with pytest.raises(RemoteRejected, match="HTTP 413: injected") as info:
            remote.predict(TEXTS[:2])
        assert info.value.status == 413
        assert remote.stats.attempts == 1


def test_an_answer_from_another_model_is_refused(
    server: FakeModelServer, tiny_bundle: Path
) -> None:
    with connect(server, tiny_bundle) as remote:
        server.faults.append(Fault(fingerprint="0" * 64))
        with pytest.raises(RemoteRejected, match="another model"):
            remote.predict(TEXTS[:2])


def test_not_a_model_server_is_refused(server: FakeModelServer) -> None:
    settings = RemoteSettings(server.url.replace("/m", "/nothing"), retries=0)
    with pytest.raises(RemoteRejected, match="HTTP 404"):
        RemoteEngine.connect(settings)


def test_retries_log_the_server_never_the_text(
    server: FakeModelServer, tiny_bundle: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="moodmoji.inference.remote")
    with connect(server, tiny_bundle) as remote:
        server.faults.extend([Fault(status=503), Fault(drop=True)])
        remote.predict([SECRET])
    assert "attempt 1 of 4 failed" in caplog.text
    assert SECRET not in caplog.text


# --- batches, settings, the bot -------------------------------------------------------------


def test_a_large_batch_is_split_into_parallel_requests_in_order(
    server: FakeModelServer, engine: Engine, tiny_bundle: Path
) -> None:
    texts = [TEXTS[i % len(TEXTS)] + f" {i}" for i in range(150)]
    with connect(server, tiny_bundle, parallel_requests=3, min_part=8) as remote:
        assert_same(remote.predict(texts), engine.predict(texts))
        assert remote.predict(texts[:12])  # too few to split
    sizes = [n for path, n in server.requests if path == "/m/predict"]
    assert sorted(sizes[:3]) == [50, 50, 50] and sizes[3:] == [12]
    assert max(sizes) <= server.served.max_texts


@pytest.mark.parametrize(
    "url",
    ["ftp://host/m", "http://", "http://user:pw@host/m", "http://host/m?x=1", "host:8000"],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        RemoteSettings(url)


def test_the_config_takes_the_remote_settings(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "inference:\n  url: http://10.0.0.5:8000/moodmoji\n  timeout_s: 2.5\n  retries: 0\n",
        encoding="utf-8",
    )
    inference = load_config(path, environ={}).inference
    assert (inference.url, inference.timeout_s, inference.retries) == (
        "http://10.0.0.5:8000/moodmoji",
        2.5,
        0,
    )
    assert Config().inference.url is None
    env = {"MOODMOJI_INFERENCE__URL": ""}
    assert load_config(path, environ=env).inference.url is None
    for bad in ("url: ftp://x/m", "url: http://u:p@x/m", "retries: 11", "timeout_s: 0"):
        path.write_text(f"inference:\n  {bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"inference\.(url|retries|timeout_s)"):
            load_config(path, environ={})


def test_the_bot_core_picks_the_remote_engine_by_config(
    server: FakeModelServer, tiny_bundle: Path
) -> None:
    local_config = Config.model_validate({"model": {"path": str(tiny_bundle)}})
    remote_config = Config.model_validate(
        {"model": {"path": str(tiny_bundle)}, "inference": {"url": server.url}}
    )
    local = MoodBot.from_config(local_config, keep_state=False)
    remote = MoodBot.from_config(remote_config, keep_state=False)
    assert isinstance(local.analyzer.engine, Engine)
    assert isinstance(remote.analyzer.engine, RemoteEngine)
    messages = [
        IncomingMessage(Platform.GENERIC, chat_id="c", message_id=str(i), author_id="u", text=text)
        for i, text in enumerate(TEXTS)
    ]
    assert remote.decide_many(messages, explicit=True) == local.decide_many(messages, explicit=True)
    assert any(path == "/m/predict" for path, _ in server.requests)
