"""The application factory: :func:`create_app` builds the API and page around a ready bot.

Requests pass, outermost first: the catch-all (an unexpected exception becomes a JSON 500),
metrics (route, status, latency), the bearer-token check (before any body is read), the body
limit (413), then FastAPI's routing and validation. Every error is an RFC 9457 problem details
object (:mod:`moodmoji.adapters.http.errors`).

The OpenAPI document is at ``/openapi.json`` and states the limits this server enforces; Swagger
UI (``/docs``) and ReDoc (``/redoc``) show it from files this server serves
(:mod:`moodmoji.adapters.http.docs`), never from a CDN.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import FastAPI, Security
from fastapi.openapi.utils import get_openapi
from fastapi.params import Depends
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from moodmoji.adapters.http.api import analysis_router, data_router, probe_router
from moodmoji.adapters.http.auth import BearerAuth, bearer_scheme
from moodmoji.adapters.http.docs import ASSETS_PATH, docs_files, docs_router
from moodmoji.adapters.http.errors import CatchAll, document_problems, install_error_handlers
from moodmoji.adapters.http.limits import BodyLimit
from moodmoji.adapters.http.loopback import LoopbackOnly
from moodmoji.adapters.http.metrics import HttpMetrics, RequestMetrics
from moodmoji.adapters.http.page import STATIC_DIR, PageFiles, page_router
from moodmoji.adapters.http.service import Service
from moodmoji.adapters.http.settings import HttpSettings
from moodmoji.bot.core import MoodBot

__all__ = ["MoodmojiApi", "create_app"]

logger = logging.getLogger(__name__)

DESCRIPTION = """\
Emoji reactions, mood tags and reply suggestions for chat messages, from a model that runs on
this machine. Message texts are never stored or logged.

Authentication: when the server has a token (environment variable named by `http.token_env`),
every path except `/healthz`, `/readyz`, the web page and these docs pages (`/docs`, `/redoc`)
needs `Authorization: Bearer <token>`.

Errors are RFC 9457 problem details (`application/problem+json`): `type` (`/problems/<code>`),
`title`, `status`, `detail`, `instance` (the request's path), and the extension `code`, the
problem's short stable name (`text_too_long`, `overloaded`, `store_busy` ...); validation errors
list `errors` (where and what).
"""


def _version() -> str:
    try:
        return version("moodmoji")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


class MoodmojiApi(FastAPI):
    """The FastAPI app of one bot; :attr:`service` holds the bot, settings and metrics."""

    service: Service

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI document, with this server's limits written into the schemas."""
        if self.openapi_schema is None:
            schema = get_openapi(
                title=self.title,
                version=self.version,
                description=self.description,
                routes=self.routes,
                tags=[
                    {"name": "analysis", "description": "Reactions, moods and suggestions."},
                    {"name": "settings", "description": "Per-chat settings and mood stats."},
                    {"name": "privacy", "description": "Opt-outs and deleting data."},
                    {"name": "operations", "description": "Probes and metrics."},
                ],
            )
            _document_limits(schema, self.service.settings)
            document_problems(schema)
            self.openapi_schema = schema
        return self.openapi_schema


def _document_limits(schema: dict[str, Any], settings: HttpSettings) -> None:
    schemas = schema.get("components", {}).get("schemas", {})
    text = schemas.get("AnalyzeRequest", {}).get("properties", {}).get("text")
    if text is not None:
        text["maxLength"] = settings.max_text_chars
    messages = schemas.get("BatchRequest", {}).get("properties", {}).get("messages")
    if messages is not None:
        messages["maxItems"] = settings.max_batch
    schema["info"]["description"] += (
        f"\nLimits: bodies up to {settings.max_body_bytes} bytes (413 beyond), texts up to "
        f"{settings.max_text_chars} characters and batches up to {settings.max_batch} "
        "messages (422 beyond); a full queue answers 503 with Retry-After.\n"
    )


def create_app(
    bot: MoodBot,
    settings: HttpSettings,
    *,
    metrics: HttpMetrics | None = None,
    close_bot: bool = True,
) -> MoodmojiApi:
    """Builds the HTTP API and web page around a bot.

    Args:
        bot: The core; it must be used from the server's event loop only.
        settings: Token and limits (host and port are the server's business).
        metrics: Where to count; a fresh registry by default.
        close_bot: Close the bot (``await bot.aclose()``) when the app shuts down.

    Returns:
        The ASGI app. It warms the model up at start-up and reports ready after that.

    """
    service = Service(bot, settings, metrics if metrics is not None else HttpMetrics())
    service.metrics.watch(bot)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.warm_up()
        logger.info("ready (token %s)", "required" if settings.token else "not required")
        try:
            yield
        finally:
            service.ready = False
            if close_bot:
                await bot.aclose()
            logger.info("stopped")

    app = MoodmojiApi(
        title="moodmoji",
        version=_version(),
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.service = service
    protected: list[Depends] = [Security(bearer_scheme)] if settings.token else []

    open_routers = [page_router(), docs_router(), probe_router(service, protected)]
    guarded_routers = [analysis_router(service), data_router(service)]
    for router in open_routers:
        app.include_router(router)
    for router in guarded_routers:
        app.include_router(router, dependencies=protected)
    app.mount("/static", PageFiles(directory=STATIC_DIR), name="static")
    app.mount(ASSETS_PATH, docs_files(), name="docs-assets")

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    # Every route with its template, to name requests refused before routing (401, 413), and
    # the mounts, to name their files.
    templates: list[BaseRoute] = [
        route for router in (*open_routers, *guarded_routers) for route in router.routes
    ]
    templates += [r for r in app.router.routes if isinstance(getattr(r, "path", None), str)]

    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.token:
        app.add_middleware(BearerAuth, token=settings.token)
    else:  # loopback only (HttpSettings.check): refuse DNS-rebound and cross-site requests
        app.add_middleware(LoopbackOnly)
    app.add_middleware(RequestMetrics, metrics=service.metrics, routes=templates)
    app.add_middleware(CatchAll)
    return app
