"""A remote engine: the inference core served elsewhere (Ray Serve), reached over HTTP.

:class:`RemoteEngine` offers what :class:`~inference.analyzer.Analyzer` reads of an
:class:`~inference.engine.Engine` (``predict``, ``manifest``, ``bundle.path``,
``bundle.fingerprint``, ``hygiene``; see :class:`EngineLike`), so the bot runs unchanged on a
model served by ``moodmoji serve-model`` (:mod:`inference.serving`). The bot core picks it when
``inference.url`` is set::

    engine = RemoteEngine.connect(RemoteSettings("http://127.0.0.1:8000/moodmoji"))
    analyzer = Analyzer.from_engine(engine.as_engine())

At start it fetches the served model's manifest, fingerprint and text clean-up limits
(``GET <url>/info``), so labels and heads always come from the model that answers. The bundle
directory the analyzer reads side files from (``topic_gate.json``, shipped embeddings) is the
local copy of the same bundle when its fingerprint matches, else a folder in the user cache
holding the served bundle's side files: results are the local engine's either way.

Every call has a timeout and is retried, with exponential backoff and jitter, on connection
errors, timeouts and answers 500, 502, 503 and 504 (a replica that died or is overloaded).
Prediction is a pure function of the text, so a retried call cannot do harm. A 4xx answer is
not retried. The HTTP client is the standard library's (one keep-alive connection per thread);
the retry loop is this module's own: no dependency beyond the core's.

The wire format is defined here and only here; the serving side imports it. Arrays travel as
nested JSON lists (``"encoding": "list"``, readable with curl) or as base64 float32 bytes
(``"base64"``, what this client asks for); both carry float32 values exactly.

Never logged: texts. Logged: the server's host, paths, counts, statuses and timings.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import logging
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, cast, runtime_checkable
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from moodmoji.inference.embedding_cache import user_cache_dir
from moodmoji.inference.errors import InferenceError
from moodmoji.inference.manifest import MANIFEST_FILE, HeadKind, Manifest
from moodmoji.inference.results import HeadResult, Prediction
from moodmoji.inference.settings import HygieneSettings
from moodmoji.inference.topics import GATE_FILE

if TYPE_CHECKING:
    from moodmoji.inference.engine import Engine

__all__ = [
    "RETRIED_STATUSES",
    "SIDE_FILES",
    "WIRE_VERSION",
    "Encoding",
    "EngineLike",
    "RemoteBundle",
    "RemoteEngine",
    "RemoteError",
    "RemoteRejected",
    "RemoteSettings",
    "RemoteStats",
    "RemoteUnavailable",
    "ServedModel",
    "decode_array",
    "decode_embeddings",
    "decode_predictions",
    "encode_array",
    "encode_embeddings",
    "encode_predictions",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]
Encoding = Literal["list", "base64"]
_T = TypeVar("_T")

WIRE_VERSION = 1
"""Version of the JSON exchanged by :mod:`inference.serving` and this client."""

RETRIED_STATUSES = frozenset({500, 502, 503, 504})
"""HTTP answers worth another try: a replica died, restarts, or is overloaded."""

SIDE_FILES = (GATE_FILE,)
"""Small bundle files, besides the manifest, that the analyzer reads and ``/info`` carries."""

_MAX_RETRY_AFTER_S = 30.0
_SIDE_FILE_LIMIT = 1 << 16


# --------------------------------------------------------------------------------------------
# Errors and settings
# --------------------------------------------------------------------------------------------


class RemoteError(InferenceError):
    """The model server could not be used (base of this module's errors)."""


class RemoteUnavailable(RemoteError):  # noqa: N818 - names the state, like QueueFull
    """Every attempt of a call failed (connection, timeout, or a 5xx answer).

    Attributes:
        attempts: How many attempts were made.
        last: What went wrong the last time (an exception name or ``HTTP <status>``).
    """

    def __init__(self, where: str, attempts: int, last: str) -> None:
        self.attempts = attempts
        self.last = last
        super().__init__(f"model server {where} did not answer after {attempts} attempts ({last})")


class RemoteRejected(RemoteError):  # noqa: N818 - names the state, like QueueFull
    """The model server refused a call (a 4xx answer, or an answer that breaks the format).

    Attributes:
        status: The HTTP status (200 when the answer itself was malformed).
    """

    def __init__(self, where: str, status: int, problem: str) -> None:
        self.status = status
        super().__init__(f"model server {where} refused the call (HTTP {status}: {problem})")


@dataclass(frozen=True)
class RemoteSettings:
    """How the model server is reached.

    Attributes:
        url: The deployment's HTTP route, e.g. ``http://127.0.0.1:8000/moodmoji``.
        timeout_s: Socket timeout of one attempt (connecting, then each read), in seconds.
        retries: Further attempts after a failed one (0 = try once).
        backoff_s: Wait before the first retry; doubled for each further one, with jitter.
        max_backoff_s: Longest wait between two attempts (a ``Retry-After`` is capped too).
        parallel_requests: Requests one call may have in flight at once: a batch is split
            into this many parts (never smaller than ``min_part``), so that one bot keeps
            several replicas busy.
        min_part: Fewest texts in one part of a split batch.
        max_texts: Most texts in one request (the server's limit; larger batches are split).
    """

    url: str
    timeout_s: float = 10.0
    retries: int = 3
    backoff_s: float = 0.05
    max_backoff_s: float = 2.0
    parallel_requests: int = 2
    min_part: int = 8
    max_texts: int = 256

    def __post_init__(self) -> None:
        _split_url(self.url)
        if self.timeout_s <= 0 or self.retries < 0 or self.backoff_s < 0:
            raise ValueError("timeout_s must be positive; retries and backoff_s not negative")
        if self.parallel_requests < 1 or self.min_part < 1 or self.max_texts < 1:
            raise ValueError("parallel_requests, min_part and max_texts must be at least 1")


@dataclass(frozen=True)
class RemoteStats:
    """A snapshot of a remote engine's counters.

    Attributes:
        calls: HTTP calls made (parts of a split batch count one each), answered or not.
        attempts: Attempts made over all calls (retries included).
        retries: Attempts that repeated a failed one.
        failures: Calls that failed for good (after every retry, or refused).
        texts: Texts sent in calls that were answered.
        reconnects: Requests sent again at once on a new connection because the kept-alive
            one had been closed by the server (not counted as attempts).
    """

    calls: int = 0
    attempts: int = 0
    retries: int = 0
    failures: int = 0
    texts: int = 0
    reconnects: int = 0


# --------------------------------------------------------------------------------------------
# Wire format (shared with inference.serving)
# --------------------------------------------------------------------------------------------


def encode_array(values: FloatArray, encoding: Encoding) -> Any:
    """A 2-D float32 array as JSON: nested lists, or ``{"shape", "base64"}`` of its bytes."""
    array = np.ascontiguousarray(values, dtype="<f4")
    if encoding == "list":
        return array.tolist()
    return {
        "shape": list(array.shape),
        "base64": base64.b64encode(array.tobytes()).decode("ascii"),
    }


def decode_array(raw: Any, rows: int, width: int | None = None) -> FloatArray:
    """The inverse of :func:`encode_array`; a read-only ``(rows, width)`` float32 array.

    Raises:
        ValueError: The value is not such an array, or its shape differs.
    """
    if isinstance(raw, dict):
        shape = raw.get("shape")
        try:
            data = base64.b64decode(str(raw.get("base64", "")), validate=True)
        except binascii.Error:
            raise ValueError("array data is not base64") from None
        if not (
            isinstance(shape, list) and len(shape) == 2 and all(isinstance(n, int) for n in shape)
        ):
            raise ValueError("array shape is not two integers")
        if len(data) != 4 * shape[0] * shape[1]:
            raise ValueError("array data does not fit its shape")
        array: FloatArray = np.frombuffer(data, dtype="<f4").reshape(shape).astype(np.float32)
    else:
        if not isinstance(raw, list):
            raise ValueError("array is neither a list nor base64")
        try:
            array = np.asarray(raw, dtype=np.float32) if raw else np.empty((0, 0), np.float32)
        except (TypeError, ValueError):
            raise ValueError("array is not a rectangle of numbers") from None
        if rows == 0:
            array = array.reshape(0, width or 0)
    if array.ndim != 2 or array.shape[0] != rows or (width is not None and array.shape[1] != width):
        raise ValueError(f"array has shape {array.shape}, expected ({rows}, {width or 'n'})")
    array.setflags(write=False)
    return array


def encode_predictions(
    predictions: Sequence[Prediction],
    manifest: Manifest,
    encoding: Encoding,
    fingerprint: str,
    batch_sizes: Sequence[int] = (),
) -> dict[str, Any]:
    """The JSON answer of ``POST /predict``: per head, one array and the decided labels.

    Args:
        predictions: One per text, in order.
        manifest: The served bundle's manifest (heads in its order).
        encoding: How arrays are written.
        fingerprint: The served bundle's fingerprint, so a client notices a model change.
        batch_sizes: Per text, the size of the model run it was part of (for observation).
    """
    heads: dict[str, Any] = {}
    for spec in manifest.heads:
        results = [p[spec.name] for p in predictions]
        if spec.kind is HeadKind.EMBEDDING:
            rows = [r.embedding for r in results]
        else:
            rows = [r.probabilities for r in results]
        matrix = _stack(rows)
        entry: dict[str, Any] = {"values": encode_array(matrix, encoding)}
        if spec.kind is not HeadKind.EMBEDDING:
            entry["predicted"] = [list(r.predicted) for r in results]
        heads[spec.name] = entry
    return {
        "wire": WIRE_VERSION,
        "fingerprint": fingerprint,
        "count": len(predictions),
        "tokens": [p.tokens for p in predictions],
        "truncated": [p.truncated for p in predictions],
        "batch_sizes": list(batch_sizes),
        "heads": heads,
    }


def decode_predictions(payload: Any, manifest: Manifest, count: int) -> list[Prediction]:
    """The predictions of a ``POST /predict`` answer, as the local engine makes them.

    Raises:
        ValueError: The answer does not fit the manifest or the number of texts.
    """
    if not isinstance(payload, dict) or payload.get("count") != count:
        raise ValueError(f"answer does not hold {count} predictions")
    tokens, truncated, heads = payload.get("tokens"), payload.get("truncated"), payload.get("heads")
    if not (_is_list_of(tokens, int, count) and _is_list_of(truncated, bool, count)):
        raise ValueError("tokens or truncated do not hold one entry per text")
    if not isinstance(heads, dict) or set(heads) != {h.name for h in manifest.heads}:
        raise ValueError("heads differ from the manifest's")
    per_head: dict[str, list[HeadResult]] = {}
    for spec in manifest.heads:
        entry = heads[spec.name]
        if not isinstance(entry, dict):
            raise ValueError(f"head {spec.name!r} is not an object")
        width = None if spec.kind is HeadKind.EMBEDDING else len(spec.labels)
        matrix = decode_array(entry.get("values"), count, width)
        if spec.kind is HeadKind.EMBEDDING:
            per_head[spec.name] = [
                HeadResult(head=spec.name, kind=spec.kind, embedding=row) for row in matrix
            ]
            continue
        predicted = entry.get("predicted")
        known = set(spec.labels)
        if not (
            isinstance(predicted, list)
            and len(predicted) == count
            and all(isinstance(p, list) and set(p) <= known for p in predicted)
        ):
            raise ValueError(f"head {spec.name!r}: predicted labels do not fit its labels")
        per_head[spec.name] = [
            HeadResult(
                head=spec.name,
                kind=spec.kind,
                labels=spec.labels,
                probabilities=row,
                predicted=tuple(chosen),
            )
            for row, chosen in zip(matrix, predicted, strict=True)
        ]
    assert tokens is not None and truncated is not None
    return [
        Prediction(
            heads={name: results[i] for name, results in per_head.items()},
            tokens=tokens[i],
            truncated=truncated[i],
        )
        for i in range(count)
    ]


def encode_embeddings(vectors: FloatArray, encoding: Encoding, fingerprint: str) -> dict[str, Any]:
    """The JSON answer of ``POST /embed``."""
    return {
        "wire": WIRE_VERSION,
        "fingerprint": fingerprint,
        "count": int(vectors.shape[0]),
        "embeddings": encode_array(vectors, encoding),
    }


def decode_embeddings(payload: Any, count: int) -> FloatArray:
    """The vectors of a ``POST /embed`` answer (read-only, one row per text).

    Raises:
        ValueError: The answer does not hold ``count`` vectors.
    """
    if not isinstance(payload, dict) or payload.get("count") != count:
        raise ValueError(f"answer does not hold {count} embeddings")
    return decode_array(payload.get("embeddings"), count)


@dataclass(frozen=True)
class ServedModel:
    """What ``GET /info`` says about the served model.

    Attributes:
        manifest: The served bundle's manifest.
        fingerprint: Its fingerprint (see ``ModelBundle.fingerprint``).
        hygiene: The text clean-up limits the server applies.
        side_files: Small bundle files the analyzer reads (:data:`SIDE_FILES`), name -> text.
        replica: The answering replica's name (for observation only).
        max_texts: Most texts the server takes in one request.
    """

    manifest: Manifest
    fingerprint: str
    hygiene: HygieneSettings
    side_files: Mapping[str, str] = field(default_factory=dict)
    replica: str = ""
    max_texts: int = 256

    def to_payload(self) -> dict[str, Any]:
        """The JSON of ``GET /info``."""
        return {
            "wire": WIRE_VERSION,
            "manifest": self.manifest.model_dump(mode="json"),
            "fingerprint": self.fingerprint,
            "hygiene": {
                "max_chars": self.hygiene.max_chars,
                "max_combining_run": self.hygiene.max_combining_run,
            },
            "side_files": dict(self.side_files),
            "replica": self.replica,
            "max_texts": self.max_texts,
        }

    @classmethod
    def from_payload(cls, payload: Any) -> ServedModel:
        """Reads the JSON of ``GET /info``.

        Raises:
            ValueError: The JSON is not an answer of this wire version.
        """
        if not isinstance(payload, dict) or payload.get("wire") != WIRE_VERSION:
            raise ValueError(f"not a wire version {WIRE_VERSION} answer")
        try:
            manifest = Manifest.model_validate(payload.get("manifest"))
        except ValidationError as exc:
            raise ValueError(f"invalid manifest ({exc.error_count()} problems)") from None
        hygiene, side = payload.get("hygiene"), payload.get("side_files", {})
        fingerprint = payload.get("fingerprint")
        max_texts = payload.get("max_texts", 256)
        if not (
            isinstance(hygiene, dict) and isinstance(side, dict) and isinstance(fingerprint, str)
        ):
            raise ValueError("hygiene, side_files or fingerprint missing")
        if not (isinstance(max_texts, int) and max_texts >= 1):
            raise ValueError("max_texts is not a positive integer")
        return cls(
            manifest=manifest,
            fingerprint=fingerprint,
            hygiene=HygieneSettings(
                max_chars=int(hygiene["max_chars"]),
                max_combining_run=int(hygiene["max_combining_run"]),
            ),
            side_files={
                str(k): str(v) for k, v in side.items() if k in SIDE_FILES and isinstance(v, str)
            },
            replica=str(payload.get("replica", "")),
            max_texts=max_texts,
        )


def _stack(rows: Sequence[FloatArray | None]) -> FloatArray:
    if any(row is None for row in rows):
        raise ValueError("a head result has no values")
    if not rows:
        return np.empty((0, 0), dtype=np.float32)
    return np.vstack(cast(Sequence[FloatArray], rows)).astype(np.float32, copy=False)


def _is_list_of(value: Any, kind: type, count: int) -> bool:
    return (
        isinstance(value, list)
        and len(value) == count
        and all(type(v) is kind for v in value)  # bool is an int subclass: exact type
    )


# --------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------


@runtime_checkable
class EngineLike(Protocol):
    """What the analyzer reads of an engine; :class:`~inference.engine.Engine` has it too."""

    @property
    def manifest(self) -> Manifest:
        """The served bundle's manifest."""
        ...

    @property
    def hygiene(self) -> HygieneSettings:
        """Text clean-up limits (part of the saved embeddings' key)."""
        ...

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Predicts every head for every text."""
        ...


@dataclass(frozen=True)
class RemoteBundle:
    """What the analyzer reads of a bundle, for a model that runs elsewhere.

    Attributes:
        path: Where the bundle's side files are read (the local copy, or a cache folder).
        manifest: The served manifest.
        fingerprint: The served bundle's fingerprint.
        local: Whether ``path`` is a local copy of the served bundle.
    """

    path: Path
    manifest: Manifest
    fingerprint: str
    local: bool


_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
"""How a request on a kept-alive connection that the server closed meanwhile fails."""


class _Transport:
    """HTTP/1.1 keep-alive connections to one server, one per thread."""

    def __init__(self, url: str, timeout_s: float) -> None:
        self.scheme, self.host, self.port, self.base = _split_url(url)
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self.reconnects = 0

    def request(
        self, method: str, route: str, body: bytes | None
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One attempt; raises ``OSError`` or ``HTTPException`` when it fails."""
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            factory = (
                http.client.HTTPSConnection
                if self.scheme == "https"
                else http.client.HTTPConnection
            )
            connection = factory(self.host, self.port, timeout=self.timeout_s)
            self._local.connection = connection
            with self._lock:
                self._all.append(connection)
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        reused = connection.sock is not None
        try:
            connection.request(method, self.base + route, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except BaseException as exc:
            connection.close()  # the next attempt reconnects
            if reused and isinstance(exc, _STALE):
                # The server closed the kept-alive connection while it was idle (Serve's proxy
                # does after a few seconds): not a failed attempt; once more, on a new one.
                with self._lock:
                    self.reconnects += 1
                return self.request(method, route, body)
            raise
        if response.will_close:
            connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def close(self) -> None:
        """Closes every thread's connection (a later request on one opens it again)."""
        with self._lock:
            for connection in self._all:
                connection.close()


class _Client:
    """Calls of one server with timeouts, retries and counters; thread-safe."""

    def __init__(self, settings: RemoteSettings, sleep: Callable[[float], None]) -> None:
        self.settings = settings
        self._sleep = sleep
        self._transport = _Transport(settings.url, settings.timeout_s)
        self.where = f"{self._transport.host}:{self._transport.port}"
        self._lock = threading.Lock()
        self._counts = {"calls": 0, "attempts": 0, "retries": 0, "failures": 0, "texts": 0}

    @property
    def stats(self) -> RemoteStats:
        with self._lock:
            return RemoteStats(**self._counts, reconnects=self._transport.reconnects)

    def count(self, **increments: int) -> None:
        with self._lock:
            for key, n in increments.items():
                self._counts[key] += n

    def close(self) -> None:
        self._transport.close()

    def call(self, method: str, route: str, body: Mapping[str, Any] | None) -> Any:
        """One call with its retries; returns the decoded JSON of a 200 answer.

        Raises:
            RemoteUnavailable: Every attempt failed with a connection error, a timeout or a
                retried status.
            RemoteRejected: A 4xx (or other unretried) answer, or a 200 that is not JSON.
        """
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
        attempts = self.settings.retries + 1
        self.count(calls=1)
        last = ""
        for attempt in range(1, attempts + 1):
            self.count(attempts=1)
            started = time.perf_counter()
            retry_after: float | None = None
            try:
                status, headers, raw = self._transport.request(method, route, data)
            except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out
                last = type(exc).__name__
            else:
                if status == 200:
                    try:
                        return json.loads(raw)
                    except (UnicodeDecodeError, json.JSONDecodeError):
                        self.count(failures=1)
                        raise RemoteRejected(self.where, 200, f"{route}: not JSON") from None
                if status not in RETRIED_STATUSES:
                    self.count(failures=1)
                    raise RemoteRejected(self.where, status, _problem(raw))
                last = f"HTTP {status}"
                retry_after = _retry_after(headers.get("retry-after"))
            if attempt == attempts:
                break
            delay = self._backoff(attempt, retry_after)
            logger.warning(
                "model server %s: %s %s attempt %d of %d failed after %.0f ms (%s); "
                "retrying in %.2f s",
                self.where,
                method,
                route,
                attempt,
                attempts,
                (time.perf_counter() - started) * 1000,
                last,
                delay,
            )
            self.count(retries=1)
            self._sleep(delay)
        self.count(failures=1)
        raise RemoteUnavailable(self.where, attempts, last)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        base = min(self.settings.max_backoff_s, self.settings.backoff_s * 2.0 ** (attempt - 1))
        delay: float = base * random.uniform(0.5, 1.0)  # jitter, not security
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.settings.max_backoff_s))
        return delay


class RemoteEngine:
    """An engine whose model runs on a server (``moodmoji serve-model``), reached over HTTP.

    Build one with :meth:`connect`; the constructor takes the ready parts. Thread-safe.

    Args:
        settings: Where the server is and how calls are retried.
        served: What the server said about its model (``GET /info``).
        bundle: Where the analyzer reads the bundle's side files.
        sleep: How to wait between attempts (tests pass a recorder).

    Attributes:
        settings: As given.
        served: As given.
        bundle: As given.
    """

    def __init__(
        self,
        settings: RemoteSettings,
        served: ServedModel,
        bundle: RemoteBundle,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.served = served
        self.bundle = bundle
        self._client = _Client(settings, sleep)
        self._lock = threading.Lock()
        self._runs = 0
        self._pool: ThreadPoolExecutor | None = None
        self._max_texts = max(1, min(settings.max_texts, served.max_texts))

    @classmethod
    def connect(
        cls,
        settings: RemoteSettings,
        bundle_dir: Path | str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> RemoteEngine:
        """Asks the server for its model and readies the analyzer's bundle folder.

        Args:
            settings: Where the server is and how calls are retried.
            bundle_dir: A local copy of the served bundle, if there is one (the embedded
                default model, or ``model.path``). It is used only when its fingerprint is the
                served one; otherwise the served side files are kept in the user cache.
            sleep: How to wait between attempts.

        Raises:
            RemoteUnavailable: The server did not answer, even after the retries.
            RemoteRejected: It answered something that is not a moodmoji model server.
        """
        client = _Client(settings, sleep)
        try:
            served = ServedModel.from_payload(client.call("GET", "/info", None))
        except ValueError as exc:
            raise RemoteRejected(client.where, 200, f"/info: {exc}") from None
        finally:
            client.close()
        bundle = _bundle_folder(served, Path(bundle_dir) if bundle_dir is not None else None)
        logger.info(
            "remote model %s (%s) at %s, heads: %s; side files from %s",
            served.manifest.name,
            served.fingerprint[:12],
            client.where,
            ", ".join(h.name for h in served.manifest.heads),
            "the local bundle" if bundle.local else "the server",
        )
        return cls(settings, served, bundle, sleep)

    # ------------------------------------------------------------------ the engine interface

    @property
    def manifest(self) -> Manifest:
        """The served model's manifest."""
        return self.served.manifest

    @property
    def hygiene(self) -> HygieneSettings:
        """The text clean-up limits the server applies."""
        return self.served.hygiene

    @property
    def runs(self) -> int:
        """How many ``predict`` calls were answered."""
        with self._lock:
            return self._runs

    @property
    def stats(self) -> RemoteStats:
        """A snapshot of the call counters."""
        return self._client.stats

    def as_engine(self) -> Engine:
        """This engine, typed as the local one for :meth:`Analyzer.from_engine`.

        The analyzer and topic matcher are annotated with :class:`~inference.engine.Engine`
        but read only what :class:`EngineLike` and :class:`RemoteBundle` hold.
        """
        return cast("Engine", self)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Predicts every head for every text on the server.

        A large batch is sent as several requests at once (see
        :attr:`RemoteSettings.parallel_requests`); results come back in order.

        Raises:
            RemoteUnavailable: A part got no answer after every retry.
            RemoteRejected: The server refused a part, or answered for another model.
        """
        if not texts:
            return []
        started = time.perf_counter()
        chunks = [list(texts[a:b]) for a, b in self._parts(len(texts))]
        results = list(self._map(self._predict_part, chunks))
        with self._lock:
            self._runs += 1
        logger.debug(
            "remote prediction of %d texts in %d requests in %.1f ms",
            len(texts),
            len(chunks),
            (time.perf_counter() - started) * 1000,
        )
        return [p for part in results for p in part]

    def predict_one(self, text: str) -> Prediction:
        """Predicts every head for one text."""
        return self.predict([text])[0]

    def embed(self, texts: Sequence[str]) -> FloatArray:
        """Sentence embeddings of ``texts`` from the server's ``/embed`` route.

        Raises:
            RemoteUnavailable, RemoteRejected: As :meth:`predict` (a bundle without an
                embedding head is refused).
        """
        if not texts:
            return np.empty((0, 0), dtype=np.float32)
        chunks = [list(texts[a:b]) for a, b in self._parts(len(texts))]
        return np.vstack(list(self._map(self._embed_part, chunks)))

    def close(self) -> None:
        """Closes the connections and the request pool (later calls reconnect)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        self._client.close()

    def __enter__(self) -> RemoteEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ calls

    def _parts(self, count: int) -> list[tuple[int, int]]:
        """Splits ``count`` texts into at most ``parallel_requests`` parts (more when large)."""
        wanted = min(self.settings.parallel_requests, max(1, count // self.settings.min_part))
        size = min(-(-count // wanted), self._max_texts)
        return [(a, min(a + size, count)) for a in range(0, count, size)]

    def _map(self, fn: Callable[[list[str]], _T], chunks: list[list[str]]) -> Iterator[_T]:
        if len(chunks) == 1 or self.settings.parallel_requests == 1:
            return map(fn, chunks)
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    self.settings.parallel_requests, thread_name_prefix="moodmoji-remote"
                )
            pool = self._pool
        return pool.map(fn, chunks)

    def _predict_part(self, texts: list[str]) -> list[Prediction]:
        payload = self._client.call("POST", "/predict", {"texts": texts, "encoding": "base64"})
        self._check_model(payload)
        try:
            predictions = decode_predictions(payload, self.manifest, len(texts))
        except ValueError as exc:
            self._client.count(failures=1)
            raise RemoteRejected(self._client.where, 200, f"/predict: {exc}") from None
        self._client.count(texts=len(texts))
        return predictions

    def _embed_part(self, texts: list[str]) -> FloatArray:
        payload = self._client.call("POST", "/embed", {"texts": texts, "encoding": "base64"})
        self._check_model(payload)
        try:
            vectors = decode_embeddings(payload, len(texts))
        except ValueError as exc:
            self._client.count(failures=1)
            raise RemoteRejected(self._client.where, 200, f"/embed: {exc}") from None
        self._client.count(texts=len(texts))
        return vectors

    def _check_model(self, payload: Any) -> None:
        fingerprint = payload.get("fingerprint") if isinstance(payload, dict) else None
        if fingerprint != self.served.fingerprint:
            self._client.count(failures=1)
            raise RemoteRejected(
                self._client.where,
                200,
                "the answer came from another model than the one served at start "
                f"({str(fingerprint)[:12]} instead of {self.served.fingerprint[:12]}); restart "
                "the bot after changing the served model",
            )


def _split_url(url: str) -> tuple[str, str, int, str]:
    """``(scheme, host, port, path prefix)`` of a deployment URL.

    Raises:
        ValueError: Not an http(s) URL with a host, or it carries credentials, a query or a
            fragment.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL with a host: {url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("the model server URL takes no credentials, query or fragment")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValueError(f"the model server URL has an invalid port: {url!r}") from None
    return parts.scheme, parts.hostname, port, parts.path.rstrip("/")


def _problem(raw: bytes) -> str:
    """The server's one-line problem from an error answer (never a text of ours)."""
    try:
        value = json.loads(raw)
        message = value.get("error") if isinstance(value, dict) else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        message = None
    if not isinstance(message, str):
        message = raw[:200].decode("utf-8", "replace")
    return " ".join(message.split())[:300] or "no details"


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER_S)


def _bundle_folder(served: ServedModel, local: Path | None) -> RemoteBundle:
    """The folder the analyzer reads side files from: the local copy, or a cache folder."""
    if local is not None and (local / MANIFEST_FILE).is_file():
        from moodmoji.inference.bundle import fingerprint

        if fingerprint(local) == served.fingerprint:
            return RemoteBundle(local, served.manifest, served.fingerprint, local=True)
        logger.info(
            "the local bundle %s is not the served model; using the served side files", local
        )
    folder = _side_file_folder(served.fingerprint)
    for name, text in served.side_files.items():
        if len(text) <= _SIDE_FILE_LIMIT:
            _write_text(folder / name, text)
    return RemoteBundle(folder, served.manifest, served.fingerprint, local=False)


def _side_file_folder(fingerprint: str) -> Path:
    folder = user_cache_dir() / "remote" / fingerprint[:24]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    except OSError:
        return Path(tempfile.mkdtemp(prefix="moodmoji-remote-"))


def _write_text(path: Path, text: str) -> None:
    try:
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            return
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        logger.warning("could not keep the served %s in %s (%s)", path.name, path.parent, exc)
