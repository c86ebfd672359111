"""The JSON routes: analysis, chat settings, opt-outs, deleting data, probes and metrics."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Path, Query, Response, params
from fastapi.responses import JSONResponse

from moodmoji.adapters.http.errors import ApiError, Problem
from moodmoji.adapters.http.metrics import CONTENT_TYPE
from moodmoji.adapters.http.schemas import (
    AnalyzeRequest,
    BatchRequest,
    BatchResponse,
    DecisionOut,
    DeletionOut,
    HealthOut,
    KnownPlatform,
    MoodCountsOut,
    OptOutOut,
    ReadyOut,
    SettingsChange,
    SettingsOut,
)
from moodmoji.adapters.http.service import Service
from moodmoji.bot.chat_settings import check_override
from moodmoji.bot.chats import Chats, ChatsUnavailable, ChatView, DeletionReport
from moodmoji.bot.decision import Decision
from moodmoji.bot.messages import ChatContext, IncomingMessage, Platform

__all__ = ["analysis_router", "data_router", "probe_router"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing or wrong bearer token."},
    413: {"model": Problem, "description": "The body is larger than http.max_body_bytes."},
    421: {
        "model": Problem,
        "description": "A server without a token: the Host is not localhost or a loopback address.",
    },
    422: {"model": Problem, "description": "An invalid body, path or value."},
    500: {"model": Problem, "description": "The model or the store failed."},
}
#: Changes (POST, PUT, DELETE) only.
_CHANGE: dict[int | str, dict[str, Any]] = {
    403: {
        "model": Problem,
        "description": "A server without a token: a change from a page of another host (Origin).",
    }
}
_BUSY: dict[int | str, dict[str, Any]] = {
    503: {
        "model": Problem,
        "description": "The model's queue is full (or the server is stopping); retry after "
        "the seconds in Retry-After.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    }
}
_NO_STORE: dict[int | str, dict[str, Any]] = {
    501: {"model": Problem, "description": "This server keeps no settings store."},
    503: {
        "model": Problem,
        "description": "Another process holds the settings store (nothing was changed); retry "
        "after the seconds in Retry-After.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}

PlatformPath = Annotated[
    KnownPlatform, Path(description="generic, or a platform an installed adapter registered")
]
IdPath = Annotated[str, Path(min_length=1, max_length=128)]


def decision_json(decision: Decision) -> dict[str, Any]:
    """A decision as the API answers it: ``Decision.as_dict()`` and the leading mood."""
    return {"mood": decision.mood, **decision.as_dict()}


def _message(
    request: AnalyzeRequest, service: Service, where: str
) -> tuple[IncomingMessage, ChatContext, bool]:
    """The core's message and context for one request item, after the limits."""
    limit = service.settings.max_text_chars
    if len(request.text) > limit:
        raise ApiError(
            422,
            "text_too_long",
            f"{where}text: {len(request.text)} characters, more than the limit of {limit}",
        )
    if not request.explicit and request.chat_id is None:
        raise ApiError(422, "chat_id_needed", f"{where}chat_id: needed when explicit is false")
    if request.custom_emoji is not None:
        try:
            check_override("custom_emoji", request.custom_emoji)
        except ValueError as exc:
            raise ApiError(422, "invalid_custom_emoji", f"{where}{exc}") from None
    message = IncomingMessage(
        request.platform,
        chat_id=request.chat_id or "http",
        message_id=request.message_id or "http",
        author_id=request.author_id or "anonymous",
        text=request.text,
        author_is_bot=request.author_is_bot,
    )
    context = ChatContext(
        available_reactions=(
            frozenset(request.available_reactions)
            if request.available_reactions is not None
            else None
        ),
        custom_emoji=dict(request.custom_emoji) if request.custom_emoji else None,
    )
    return message, context, request.explicit


def analysis_router(service: Service) -> APIRouter:
    """``POST /v1/analyze`` and ``POST /v1/analyze/batch``."""
    router = APIRouter(tags=["analysis"], responses=_ERRORS | _CHANGE | _BUSY)

    @router.post("/v1/analyze", response_model=DecisionOut, summary="Analyse one message")
    async def analyze(request: AnalyzeRequest) -> Response:
        """Reactions, moods, fine emotions, reply suggestions and why, for one message."""
        (decision,) = await service.decide([_message(request, service, "")])
        # Decisions are built by the core in this shape; a JSONResponse skips re-validating
        # them against the response model (which documents them).
        return JSONResponse(decision_json(decision))

    @router.post(
        "/v1/analyze/batch", response_model=BatchResponse, summary="Analyse several messages"
    )
    async def analyze_batch(request: BatchRequest) -> Response:
        """One decision per message, in order (at most ``http.max_batch`` messages)."""
        limit = service.settings.max_batch
        if len(request.messages) > limit:
            raise ApiError(
                422,
                "batch_too_large",
                f"messages: {len(request.messages)} messages, more than the limit of {limit}",
            )
        items = [
            _message(item, service, f"messages.{index}.")
            for index, item in enumerate(request.messages)
        ]
        decisions = await service.decide(items) if items else []
        return JSONResponse({"results": [decision_json(d) for d in decisions]})

    return router


def _settings_out(platform: Platform, chat_id: str, view: ChatView) -> dict[str, Any]:
    return {
        "platform": platform,
        "chat_id": chat_id,
        "settings": view.effective.as_dict(),
        "overrides": dict(view.overrides),
    }


def _deletion(report: DeletionReport) -> dict[str, int]:
    return {
        "chats": report.chats,
        "opt_outs": report.opt_outs,
        "mood_rows": report.mood_rows,
        "total": report.total,
    }


#: Seconds a client is asked to wait after a busy store (Retry-After).
STORE_RETRY_AFTER_S = 2


async def _chat_op(service: Service, operation: Callable[[Chats], Awaitable[T]]) -> T:
    """Runs one chat operation of the core and answers its failures.

    No store: 501; a busy or unreachable store: 503 with Retry-After; a failed store: 500; a
    bad value: 422.
    """
    chats = service.bot.chats
    if not chats.keeps_state:
        raise ApiError(
            501, "no_store", "this server keeps no settings store (store.path is not set)"
        )
    try:
        return await operation(chats)
    except ChatsUnavailable as exc:
        if exc.busy:
            logger.warning("the settings store is busy: %s", exc)
            raise ApiError(
                503,
                "store_busy",
                "another process holds the settings store; nothing was changed, try again",
                headers={"Retry-After": str(STORE_RETRY_AFTER_S)},
            ) from None
        if exc.unavailable:
            logger.warning("the settings store's server is unreachable: %s", exc)
            raise ApiError(
                503,
                "store_unavailable",
                "the settings store's database server cannot be reached; nothing was changed, "
                "try again",
                headers={"Retry-After": str(STORE_RETRY_AFTER_S)},
            ) from None
        logger.error("the settings store failed: %s", exc)
        raise ApiError(
            500, "store_failed", "the settings store could not be read or written"
        ) from None
    except ValueError as exc:
        raise ApiError(422, "invalid_setting", str(exc)) from None


def data_router(service: Service) -> APIRouter:
    """Chat settings, opt-outs, mood stats and deleting a user's or chat's data."""
    router = APIRouter(responses=_ERRORS | _NO_STORE)
    chats = "/v1/chats/{platform}/{chat_id}"
    users = "/v1/users/{platform}/{user_id}"

    @router.get(
        chats + "/settings", response_model=SettingsOut, tags=["settings"], summary="Chat settings"
    )
    async def get_settings(platform: PlatformPath, chat_id: IdPath) -> dict[str, Any]:
        """The chat's effective settings and what it changed from the defaults."""
        view = await _chat_op(service, lambda chats: chats.view(platform, chat_id))
        return _settings_out(platform, chat_id, view)

    @router.put(
        chats + "/settings",
        response_model=SettingsOut,
        tags=["settings"],
        summary="Change chat settings",
        responses=_CHANGE,
    )
    async def put_settings(
        platform: PlatformPath, chat_id: IdPath, change: SettingsChange
    ) -> dict[str, Any]:
        """Changes the settings given; one set to null goes back to the default."""
        changes = change.model_dump(exclude_unset=True, mode="json")
        await _chat_op(service, lambda chats: chats.update(platform, chat_id, **changes))
        view = await _chat_op(service, lambda chats: chats.view(platform, chat_id))
        return _settings_out(platform, chat_id, view)

    @router.delete(
        chats + "/settings",
        response_model=SettingsOut,
        tags=["settings"],
        summary="Reset chat settings",
        responses=_CHANGE,
    )
    async def delete_settings(platform: PlatformPath, chat_id: IdPath) -> dict[str, Any]:
        """Drops every change of the chat: it follows the defaults again."""
        await _chat_op(service, lambda chats: chats.reset(platform, chat_id))
        view = await _chat_op(service, lambda chats: chats.view(platform, chat_id))
        return _settings_out(platform, chat_id, view)

    @router.get(
        chats + "/moods", response_model=MoodCountsOut, tags=["settings"], summary="Mood stats"
    )
    async def get_moods(
        platform: PlatformPath,
        chat_id: IdPath,
        since: Annotated[
            datetime.date | None, Query(description="First UTC day (YYYY-MM-DD)")
        ] = None,
    ) -> dict[str, Any]:
        """How many messages of each leading mood the chat had per UTC day (no text)."""
        days = await _chat_op(service, lambda chats: chats.mood_counts(platform, chat_id, since))
        return {"platform": platform, "chat_id": chat_id, "days": days}

    async def opt_out_state(platform: Platform, kind: str, subject: str) -> dict[str, Any]:
        chat, user = (subject, None) if kind == "chat" else (None, subject)
        found = await _chat_op(service, lambda chats: chats.opted_out(platform, chat, user))
        return {
            "platform": platform,
            "kind": kind,
            "id": subject,
            "opted_out": found is not None,
            "since": found.since if found is not None else None,
        }

    async def set_opt_out(
        platform: Platform, kind: str, subject: str, opted_out: bool
    ) -> dict[str, Any]:
        who: Literal["user", "chat"] = "chat" if kind == "chat" else "user"
        if opted_out:
            await _chat_op(service, lambda chats: chats.opt_out(platform, who, subject))
        else:
            await _chat_op(service, lambda chats: chats.opt_in(platform, who, subject))
        return await opt_out_state(platform, kind, subject)

    @router.get(chats + "/opt-out", response_model=OptOutOut, tags=["privacy"])
    async def get_chat_opt_out(platform: PlatformPath, chat_id: IdPath) -> dict[str, Any]:
        """Whether the chat opted out (its messages are then never analysed)."""
        return await opt_out_state(platform, "chat", chat_id)

    @router.put(chats + "/opt-out", response_model=OptOutOut, tags=["privacy"], responses=_CHANGE)
    async def put_chat_opt_out(platform: PlatformPath, chat_id: IdPath) -> dict[str, Any]:
        """Opts the chat out: its messages are skipped before any analysis."""
        return await set_opt_out(platform, "chat", chat_id, True)

    @router.delete(
        chats + "/opt-out", response_model=OptOutOut, tags=["privacy"], responses=_CHANGE
    )
    async def delete_chat_opt_out(platform: PlatformPath, chat_id: IdPath) -> dict[str, Any]:
        """Opts the chat back in."""
        return await set_opt_out(platform, "chat", chat_id, False)

    @router.get(users + "/opt-out", response_model=OptOutOut, tags=["privacy"])
    async def get_user_opt_out(platform: PlatformPath, user_id: IdPath) -> dict[str, Any]:
        """Whether the user opted out (everywhere on the platform)."""
        return await opt_out_state(platform, "user", user_id)

    @router.put(users + "/opt-out", response_model=OptOutOut, tags=["privacy"], responses=_CHANGE)
    async def put_user_opt_out(platform: PlatformPath, user_id: IdPath) -> dict[str, Any]:
        """Opts the user out: their messages are skipped before any analysis."""
        return await set_opt_out(platform, "user", user_id, True)

    @router.delete(
        users + "/opt-out", response_model=OptOutOut, tags=["privacy"], responses=_CHANGE
    )
    async def delete_user_opt_out(platform: PlatformPath, user_id: IdPath) -> dict[str, Any]:
        """Opts the user back in."""
        return await set_opt_out(platform, "user", user_id, False)

    @router.delete(
        users,
        response_model=DeletionOut,
        tags=["privacy"],
        summary="Delete a user's data",
        responses=_CHANGE,
    )
    async def delete_user(platform: PlatformPath, user_id: IdPath) -> dict[str, int]:
        """Deletes everything stored about the user; answers how many rows went."""
        report = await _chat_op(service, lambda chats: chats.forget_user(platform, user_id))
        return _deletion(report)

    @router.delete(
        chats,
        response_model=DeletionOut,
        tags=["privacy"],
        summary="Delete a chat's data",
        responses=_CHANGE,
    )
    async def delete_chat(platform: PlatformPath, chat_id: IdPath) -> dict[str, int]:
        """Deletes the chat's settings, opt-out and mood stats; answers how many rows went."""
        report = await _chat_op(service, lambda chats: chats.forget_chat(platform, chat_id))
        return _deletion(report)

    return router


def probe_router(service: Service, protected: Sequence[params.Depends] = ()) -> APIRouter:
    """``/healthz``, ``/readyz`` (no token needed) and ``/metrics`` (behind ``protected``)."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", response_model=HealthOut, summary="Liveness")
    async def healthz() -> dict[str, str]:
        """The process answers (no token needed)."""
        return {"status": "ok"}

    @router.get(
        "/readyz",
        response_model=ReadyOut,
        summary="Readiness",
        responses={503: {"model": ReadyOut, "description": "Not ready (yet, or any more)."}},
    )
    async def readyz() -> Response:
        """Ready once the model is loaded and takes work, and the store takes writes.

        No token needed. While another process holds the settings store, ``store`` says so
        and the answer is 503; analyses still work (reads never wait on writes).
        """
        problem = service.bot.chats.health()
        ready = service.ready and problem is None
        body = {"ready": ready, "queue_depth": service.bot.queue_depth, "store": problem}
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        dependencies=list(protected),
        response_class=Response,
        responses={
            200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
            401: _ERRORS[401],
            421: _ERRORS[421],
        },
    )
    async def metrics() -> Response:
        """Every metric in the Prometheus text format."""
        return Response(service.metrics.render(), media_type=CONTENT_TYPE)

    return router
