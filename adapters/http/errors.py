"""JSON errors: one shape for every failure, never a traceback, never the request's text.

Every error body is ``{"error": {"status": 422, "code": "text_too_long", "message": "..."}}``
(validation errors add ``details``: where and what, without the offending input).
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.printable import Verbatim, printable

__all__ = [
    "ApiError",
    "CatchAll",
    "ErrorBody",
    "ErrorDetail",
    "error_body",
    "install_error_handlers",
    "send_error",
]

logger = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    500: "internal_error",
    501: "not_available",
    503: "unavailable",
}


class ErrorDetail(BaseModel):
    """One error."""

    status: int
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


class ApiError(Exception):
    """An error answered as JSON with its status code.

    Args:
        status: HTTP status code.
        code: A short stable name (``text_too_long``, ``overloaded`` ...).
        message: One sentence for people; never message text or a token.
        headers: Extra response headers (``Retry-After``, ``WWW-Authenticate``).

    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def error_body(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The JSON-ready body of an error."""
    detail: dict[str, Any] = {"status": status, "code": code, "message": message}
    if details is not None:
        detail["details"] = details
    return {"error": detail}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    details: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    """An error as a response."""
    return JSONResponse(
        error_body(status, code, message, details), status_code=status, headers=dict(headers or {})
    )


async def send_error(
    send: Send, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> None:
    """Sends an error response straight from ASGI middleware."""
    body = json.dumps(error_body(status, code, message)).encode()
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Where and what, without the input (which may be a long message text)."""
    details = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            details.append({"loc": ["body"], "msg": "not valid JSON"})
        else:
            loc = [str(part) for part in error.get("loc", ())]
            details.append({"loc": loc, "msg": str(error.get("msg", ""))})
    return details


def install_error_handlers(app: FastAPI) -> None:
    """Makes every error of ``app`` answer in the JSON error shape."""

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.code, exc.message, headers=exc.headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = _CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, message, headers=exc.headers)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        details = _validation_details(exc)
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(part for part in first["loc"] if part != "body") or "body"
        return error_response(422, "invalid_request", f"{where}: {first['msg']}", details=details)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)


class CatchAll:
    """ASGI middleware turning an unexpected exception into a JSON 500.

    The client gets one line, never a traceback, and its connection stays usable. The server
    log gets the exception's type and stack (without its message, which could quote a text).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Runs the request; answers 500 if it raises before its response started."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def noting_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, noting_send)
        except Exception as exc:
            stack = "".join(traceback.format_tb(exc.__traceback__))
            logger.error(
                "%s %s failed with %s:\n%s",
                printable(scope["method"]),
                printable(scope["path"]),
                type(exc).__name__,
                Verbatim(stack),
            )
            if started:
                raise
            await send_error(send, 500, "internal_error", "the server failed to answer this")
