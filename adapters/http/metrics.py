"""Prometheus metrics of one app, in a registry of its own (several apps never mix counts).

Names (``GET /metrics``, Prometheus text format):

- ``moodmoji_http_requests_total{route,method,status}``: requests answered; ``route`` is the
  route's template (``/v1/users/{platform}/{user_id}``), a mount's path for its files
  (``/static``), or ``unmatched`` for a path that nothing serves;
- ``moodmoji_http_request_duration_seconds{route}``: request latency (histogram);
- ``moodmoji_model_batch_size``: texts per model run (histogram);
- ``moodmoji_model_batch_duration_seconds``: time of a model run (histogram);
- ``moodmoji_queue_depth``: messages waiting for the model now;
- ``moodmoji_reactions_total{emoji}``: reactions returned (Discord custom emoji count as
  ``custom``);
- ``moodmoji_abstentions_total{platform}``: analysed messages that got no reaction;
- ``moodmoji_skipped_total{reason}``: messages not analysed (``opt-out``, ``mode-off``,
  ``ignored``, ``store-unavailable``);
- ``moodmoji_overloaded_total``: messages refused because the queue was full (503).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from moodmoji.bot.core import MoodBot
from moodmoji.bot.decision import Decision
from moodmoji.bot.messages import Platform
from moodmoji.bot.printable import printable

__all__ = ["CONTENT_TYPE", "HttpMetrics", "RequestMetrics"]

logger = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
"""The media type of the Prometheus text format."""

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class HttpMetrics:
    """The metrics of one app.

    Args:
        registry: Where the metrics live; a fresh registry by default.

    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        reg = self.registry
        self.requests = Counter(
            "moodmoji_http_requests",
            "HTTP requests answered, by route template, method and status code.",
            ["route", "method", "status"],
            registry=reg,
        )
        self.latency = Histogram(
            "moodmoji_http_request_duration_seconds",
            "Time from receiving a request to the end of its response, by route template.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self.batch_size = Histogram(
            "moodmoji_model_batch_size",
            "Texts per model run (concurrent requests are batched together).",
            buckets=_SIZE_BUCKETS,
            registry=reg,
        )
        self.batch_seconds = Histogram(
            "moodmoji_model_batch_duration_seconds",
            "Duration of one model run.",
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self.queue_depth = Gauge(
            "moodmoji_queue_depth", "Messages waiting for the model now.", registry=reg
        )
        self.reactions = Counter(
            "moodmoji_reactions",
            "Reactions returned, by emoji (Discord custom emoji count as 'custom').",
            ["emoji"],
            registry=reg,
        )
        self.abstentions = Counter(
            "moodmoji_abstentions",
            "Analysed messages that got no reaction, by platform.",
            ["platform"],
            registry=reg,
        )
        self.skipped = Counter(
            "moodmoji_skipped",
            "Messages not analysed at all (opt-out, mode off, bot author), by reason.",
            ["reason"],
            registry=reg,
        )
        self.overloaded = Counter(
            "moodmoji_overloaded",
            "Messages refused with 503 because the model's queue was full.",
            registry=reg,
        )

    def watch(self, bot: MoodBot) -> None:
        """Follows the bot's model runs and queue depth."""
        bot.add_batch_observer(self.observe_batch)
        self.queue_depth.set_function(lambda: bot.queue_depth)

    def observe_batch(self, size: int, seconds: float) -> None:
        """Counts one model run (called in the model's thread; never raises)."""
        try:
            self.batch_size.observe(size)
            self.batch_seconds.observe(seconds)
        except Exception:  # pragma: no cover - metrics must never break a model run
            logger.exception("could not record a model run")

    def observe_decision(self, platform: Platform, decision: Decision) -> None:
        """Counts the reactions (or the abstention) of one decision."""
        if decision.skipped is not None:
            self.skipped.labels(decision.skipped).inc()
            return
        if not decision.reactions:
            self.abstentions.labels(str(platform)).inc()
        for reaction in decision.reactions:
            emoji = "custom" if reaction.emoji.startswith("<") else reaction.emoji
            self.reactions.labels(emoji).inc()

    def render(self) -> bytes:
        """Every metric in the Prometheus text format."""
        return generate_latest(self.registry)


class RequestMetrics:
    """ASGI middleware counting requests by route template and status, and timing them.

    Args:
        app: The application it measures.
        metrics: Where to count.
        routes: The app's routes and mounts, to name requests that name no route of their own:
            those refused before the router (by an outer check) and the files of a mount.
            Others take the route the router matched.

    """

    def __init__(self, app: ASGIApp, metrics: HttpMetrics, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.metrics = metrics
        self._routes = tuple(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Times the request and counts its status."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        counted = False
        # The router rewrites the scope as it descends into a mount (its root_path grows), so
        # a mount is matched against the request as it arrived.
        arrived = dict(scope)

        def count() -> None:
            nonlocal counted
            if counted:
                return
            counted = True
            route = self._route_of(scope, arrived)
            elapsed = time.perf_counter() - started
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            logger.debug(
                "%s %s %d %.1f ms", printable(scope["method"]), route, status, elapsed * 1000
            )

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                # counted before the last byte leaves: a client that has its answer finds it
                # in /metrics (a file response finishes its own work only after that)
                count()
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            count()  # an answer that never finished, or none (the catch-all then sends a 500)

    def _route_of(self, scope: Scope, arrived: Scope) -> str:
        """The route template (``/v1/users/{platform}/{user_id}``), never the raw path.

        A request the router answered names its route; a file of a mount (``/static``) is
        counted under the mount's path; a request refused before routing (401, 413) takes the
        route it would have reached; anything else is ``unmatched``.
        """
        route = scope.get("route")
        path = getattr(route, "path", None)
        if isinstance(path, str):
            return path or "/"
        for candidate in self._routes:
            match, _ = candidate.matches(arrived)
            if match is not Match.NONE:
                found = getattr(candidate, "path", None)
                return found if isinstance(found, str) and found else "/"
        return "unmatched"
