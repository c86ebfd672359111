"""The inference core as a Ray Serve deployment: ``moodmoji serve-model`` (needs the ray extra).

Serve entry point. Each replica loads the bundle into an :class:`~inference.engine.Engine`; the
texts of concurrent requests are coalesced into shared model runs by Serve's request batching
(``@serve.batch``, sized by ``inference.max_batch_size`` and ``inference.max_wait_ms``). Bots
reach the deployment through :class:`~inference.remote.RemoteEngine` (``inference.url``).

HTTP routes under the route prefix (default ``/moodmoji``), JSON in and out (the wire format
is :mod:`inference.remote`'s):

* ``POST /predict`` ``{"texts": [...], "encoding": "list" | "base64"}``: per head, the
  probabilities (or embedding) of every text and the labels decided on;
* ``POST /embed`` (same body): the sentence embeddings, when the bundle has an embedding head;
* ``GET /info``: the manifest, fingerprint, text clean-up limits and small side files;
* ``GET /healthz``: ``{"status": "ok"}``.

Errors are ``{"error": "..."}`` with 400 (bad body), 404, 405, 413 (too large) or 500 (a model
run failed; worth a retry). Serve itself answers 503 when the replicas' queues are full.

From Python (a cluster already joined with ``ray.init``)::

    from moodmoji.inference.serving import ServeOptions, deploy
    url = deploy(bundle_dir, EngineSettings(), ServeOptions(replicas=2))

or with Serve's own command line: ``serve run moodmoji.inference.serving:app_builder
replicas=2`` (see :func:`app_builder`).

The HTTP side is a small ASGI callable of this module, not a web framework: the inference
package imports no web library. Serve gives each replica a process of its own, so the callable
finds its replica in a module variable set by the replica's constructor. Texts are never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import ray
from ray import serve

from moodmoji.inference.bundle import ModelBundle
from moodmoji.inference.engine import Engine
from moodmoji.inference.errors import InferenceError
from moodmoji.inference.manifest import HeadKind
from moodmoji.inference.remote import (
    SIDE_FILES,
    Encoding,
    ServedModel,
    encode_embeddings,
    encode_predictions,
)
from moodmoji.inference.results import Prediction
from moodmoji.inference.settings import BatchSettings, EngineSettings

__all__ = [
    "DEFAULT_ROUTE",
    "ModelServer",
    "ServeOptions",
    "app_builder",
    "build_app",
    "deploy",
    "serve_forever",
    "start_cluster",
]

logger = logging.getLogger(__name__)

DEFAULT_ROUTE = "/moodmoji"
"""Route prefix of the deployment's HTTP routes."""

MAX_BODY_BYTES = 4 << 20
"""Largest request body taken (413 beyond)."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True)
class ServeOptions:
    """How the deployment is laid out.

    Attributes:
        replicas: Replicas of the model (each a process with its own engine).
        cpus_per_replica: CPUs Ray reserves for one replica (fractions allowed). With
            ``parallel_runs`` 0 a replica runs that many model runs at once (at least one).
        host: Where Serve's HTTP proxy listens (``0.0.0.0`` for other machines).
        port: Its port.
        route_prefix: The deployment's route prefix.
        app_name: The Serve application's name.
        max_texts: Most texts in one request (413 beyond).
        max_ongoing_requests: Requests one replica works on at once; ``0`` = twice the batch
            size, so that single-text requests can fill a batch.
        max_queued_requests: Requests waiting for a replica before Serve answers 503; ``-1``
            waits without bound.
    """

    replicas: int = 1
    cpus_per_replica: float = 1.0
    host: str = "127.0.0.1"
    port: int = 8000
    route_prefix: str = DEFAULT_ROUTE
    app_name: str = "moodmoji"
    max_texts: int = 256
    max_ongoing_requests: int = 0
    max_queued_requests: int = 1024

    def __post_init__(self) -> None:
        if self.replicas < 1 or self.cpus_per_replica <= 0 or self.max_texts < 1:
            raise ValueError("replicas, cpus_per_replica and max_texts must be positive")
        if not self.route_prefix.startswith("/"):
            raise ValueError("route_prefix must start with '/'")

    def url(self, host: str | None = None) -> str:
        """The deployment's URL, as ``inference.url`` takes it."""
        shown = host or ("127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host)
        if ":" in shown:
            shown = f"[{shown}]"
        return f"http://{shown}:{self.port}{self.route_prefix.rstrip('/')}"


@dataclass(frozen=True)
class _ReplicaStats:
    """A replica's counters, reported by ``GET /info``."""

    runs: int = 0
    texts: int = 0
    largest_batch: int = 0


class _Problem(Exception):  # noqa: N818 - internal, becomes an error answer
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


class ModelServer:
    """One replica: an engine behind Serve's request batching.

    Args:
        bundle_dir: The bundle directory (readable on every node).
        settings: Engine settings; ``settings.batch`` sizes Serve's batching.
        max_texts: Most texts in one request.
    """

    def __init__(self, bundle_dir: str, settings: EngineSettings, max_texts: int = 256) -> None:
        global _REPLICA
        self.engine = Engine.from_path(bundle_dir, settings)
        self.max_texts = max_texts
        self.stats = _ReplicaStats()
        try:
            name = ray.get_runtime_context().get_actor_name() or ""
        except Exception:  # outside an actor (tests building a server directly)
            name = ""
        bundle = self.engine.bundle
        side_files = {}
        for file in SIDE_FILES:
            path = bundle.path / file
            if path.is_file():
                side_files[file] = path.read_text(encoding="utf-8")
        self.served = ServedModel(
            manifest=bundle.manifest,
            fingerprint=bundle.fingerprint,
            hygiene=self.engine.hygiene,
            side_files=side_files,
            replica=name,
            max_texts=max_texts,
        )
        self._embedding = next(
            (h.name for h in bundle.manifest.heads if h.kind is HeadKind.EMBEDDING), None
        )
        batched = cast(Any, self.predict_batch)
        batched.set_max_batch_size(settings.batch.max_batch_size)
        batched.set_batch_wait_timeout_s(settings.batch.max_wait_ms / 1000.0)
        _REPLICA = self
        logger.info(
            "replica %s ready: model %s, batches of up to %d texts, waiting up to %.1f ms",
            name or "-",
            bundle.manifest.name,
            settings.batch.max_batch_size,
            settings.batch.max_wait_ms,
        )

    @serve.batch(max_batch_size=32, batch_wait_timeout_s=0.005)
    async def predict_batch(self, texts: list[str]) -> list[tuple[Prediction, int]]:
        """Runs the texts of concurrent requests together (Serve calls it with the batch)."""
        started = time.perf_counter()
        predictions = await asyncio.to_thread(self.engine.predict, texts)
        self.stats = _ReplicaStats(
            runs=self.stats.runs + 1,
            texts=self.stats.texts + len(texts),
            largest_batch=max(self.stats.largest_batch, len(texts)),
        )
        logger.debug(
            "batch of %d texts in %.1f ms", len(texts), (time.perf_counter() - started) * 1000
        )
        return [(p, len(texts)) for p in predictions]

    async def predict(self, texts: Sequence[str]) -> tuple[list[Prediction], list[int]]:
        """Predictions of ``texts``, each sent through the batch queue; and their run sizes."""
        call = cast(Callable[[str], Awaitable[tuple[Prediction, int]]], self.predict_batch)
        done = await asyncio.gather(*(call(text) for text in texts))
        return [p for p, _ in done], [n for _, n in done]

    async def handle(self, method: str, route: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """Answers one HTTP request: ``(status, JSON object)``."""
        try:
            if route in ("", "/", "/info"):
                _allow(method, "GET")
                info = self.served.to_payload()
                info["replica_stats"] = {
                    "runs": self.stats.runs,
                    "texts": self.stats.texts,
                    "largest_batch": self.stats.largest_batch,
                }
                return 200, info
            if route == "/healthz":
                _allow(method, "GET")
                return 200, {"status": "ok"}
            if route in ("/predict", "/embed"):
                _allow(method, "POST")
                texts, encoding = self._read(body)
                if route == "/embed" and self._embedding is None:
                    raise _Problem(400, "the served model has no embedding head")
                predictions, sizes = await self.predict(texts)
                if route == "/predict":
                    manifest, fingerprint = self.served.manifest, self.served.fingerprint
                    return 200, encode_predictions(
                        predictions, manifest, encoding, fingerprint, sizes
                    )
                assert self._embedding is not None
                rows = [p[self._embedding].embedding for p in predictions]
                vectors = np.vstack([r for r in rows if r is not None]).astype(np.float32)
                return 200, encode_embeddings(vectors, encoding, self.served.fingerprint)
            raise _Problem(404, "no such route; see /info, /predict, /embed, /healthz")
        except _Problem as problem:
            return problem.status, {"error": str(problem)}
        except InferenceError as exc:
            logger.error("model run failed (%s)", type(exc).__name__)
            return 500, {"error": f"model run failed ({type(exc).__name__})"}

    def _read(self, body: bytes) -> tuple[list[str], Encoding]:
        if len(body) > MAX_BODY_BYTES:
            raise _Problem(413, f"body larger than {MAX_BODY_BYTES} bytes")
        try:
            value = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _Problem(400, "body is not JSON") from None
        texts = value.get("texts") if isinstance(value, dict) else None
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise _Problem(400, 'body needs "texts": a list of strings')
        if not texts:
            raise _Problem(400, '"texts" is empty')
        if len(texts) > self.max_texts:
            raise _Problem(413, f"{len(texts)} texts; at most {self.max_texts} per request")
        encoding = value.get("encoding", "list")
        if encoding not in ("list", "base64"):
            raise _Problem(400, '"encoding" is "list" or "base64"')
        return texts, cast(Encoding, encoding)


_REPLICA: ModelServer | None = None


def _allow(method: str, wanted: str) -> None:
    if method != wanted:
        raise _Problem(405, f"use {wanted}")


class _Routes:
    """The ASGI callable of every replica: routes requests to this process's replica."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= MAX_BODY_BYTES + 1:
                chunks.append(chunk)
            more = bool(message.get("more_body", False))
        path = str(scope.get("path", ""))
        root = str(scope.get("root_path", ""))
        route = path[len(root) :] if root and path.startswith(root) else path
        replica = _REPLICA
        if replica is None:
            status, answer = 503, {"error": "replica not ready"}
        else:
            status, answer = await replica.handle(
                str(scope.get("method", "GET")), route.rstrip("/") or "/", b"".join(chunks)
            )
        data = json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode("ascii")),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})


ModelDeployment = serve.deployment(name="ModelServer")(serve.ingress(_Routes())(ModelServer))
"""The Serve deployment of :class:`ModelServer` (options are set by :func:`build_app`)."""


def build_app(
    bundle_dir: Path | str, settings: EngineSettings, options: ServeOptions | None = None
) -> Any:
    """The Serve application of a bundle (``serve.run`` it, or use :func:`deploy`).

    Args:
        bundle_dir: The bundle directory, readable at the same path on every node.
        settings: Engine settings; ``parallel_runs`` 0 becomes the replica's CPUs (at least
            one), not the node's.
        options: Replicas, CPUs and limits.
    """
    options = options or ServeOptions()
    if settings.parallel_runs == 0:
        settings = replace(settings, parallel_runs=max(1, int(options.cpus_per_replica)))
    ongoing = options.max_ongoing_requests or 2 * settings.batch.max_batch_size
    return ModelDeployment.options(
        num_replicas=options.replicas,
        ray_actor_options={"num_cpus": options.cpus_per_replica},
        max_ongoing_requests=ongoing,
        max_queued_requests=options.max_queued_requests,
    ).bind(str(Path(bundle_dir).resolve()), settings, options.max_texts)


def start_cluster(address: str | None, options: ServeOptions, num_cpus: int | None = None) -> None:
    """Joins the Ray cluster at ``address`` (or starts a local one) and starts Serve's proxy.

    Args:
        address: A cluster address (``auto``, ``host:6379``, ``ray://host:10001``); ``None``
            starts a local cluster in this process.
        options: Where the HTTP proxy listens.
        num_cpus: CPUs of a local cluster (default: the machine's).
    """
    if not ray.is_initialized():
        if address is None:
            ray.init(num_cpus=num_cpus, include_dashboard=False, configure_logging=False)
        else:
            ray.init(address=address, configure_logging=False)
    serve.start(http_options={"host": options.host, "port": options.port})


def deploy(
    bundle_dir: Path | str, settings: EngineSettings, options: ServeOptions | None = None
) -> str:
    """Deploys (or updates) the model on the joined cluster and returns its URL.

    Blocks until every replica is up. Call :func:`start_cluster` (or ``ray.init`` and
    ``serve.start``) first.
    """
    options = options or ServeOptions()
    started = time.perf_counter()
    serve.run(
        build_app(bundle_dir, settings, options),
        name=options.app_name,
        route_prefix=options.route_prefix,
    )
    logger.info(
        "deployed %d replica(s) of %s in %.1f s",
        options.replicas,
        Path(bundle_dir).name,
        time.perf_counter() - started,
    )
    return options.url()


def serve_forever(
    bundle_dir: Path | str,
    settings: EngineSettings,
    options: ServeOptions,
    *,
    address: str | None = None,
    detach: bool = False,
    ready: Callable[[str], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> None:
    """``moodmoji serve-model``: deploy, announce the URL, and serve until stopped.

    Args:
        bundle_dir: The bundle directory.
        settings: Engine settings.
        options: Layout of the deployment.
        address: The cluster to join; ``None`` starts a local one (it ends with this call).
        detach: Return once deployed, leaving the application running (needs ``address``).
        ready: Called with the URL once every replica is up.
        stop: Polled every half second; serving ends when it returns ``True`` (Ctrl-C, too).

    Raises:
        BundleError: The bundle is missing or invalid (checked here before any replica starts).
    """
    if detach and address is None:
        raise ValueError("--detach needs --address: a local cluster ends with the command")
    ModelBundle.load(bundle_dir, settings.session)  # a bad bundle fails here, in one line
    start_cluster(address, options)
    try:
        url = deploy(bundle_dir, settings, options)
        if ready is not None:
            ready(url)
        if detach:
            return
        try:
            while not (stop is not None and stop()):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        serve.delete(options.app_name)
    finally:
        if address is None:
            serve.shutdown()  # type: ignore[no-untyped-call]
            ray.shutdown()


def app_builder(args: dict[str, str]) -> Any:
    """Serve's application builder: ``serve run moodmoji.inference.serving:app_builder``.

    Arguments (all optional, as ``key=value`` after the import path): ``model`` (a bundle
    directory; the embedded default when absent), ``replicas``, ``cpus_per_replica``,
    ``max_batch_size`` and ``max_wait_ms``. Other settings are the defaults; the
    ``moodmoji serve-model`` command reads them from the config file instead.
    """
    from moodmoji.inference.default_model import resolve_model_dir

    batch = BatchSettings(
        max_batch_size=int(args.get("max_batch_size", BatchSettings.max_batch_size)),
        max_wait_ms=float(args.get("max_wait_ms", BatchSettings.max_wait_ms)),
    )
    options = ServeOptions(
        replicas=int(args.get("replicas", 1)),
        cpus_per_replica=float(args.get("cpus_per_replica", 1.0)),
    )
    return build_app(resolve_model_dir(args.get("model")), EngineSettings(batch=batch), options)
