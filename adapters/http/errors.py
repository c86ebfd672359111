"""Errors as RFC 9457 problem details: one shape for every failure, never a traceback.

Every error answers ``Content-Type: application/problem+json`` with a body such as::

    {"type": "/problems/text_too_long", "title": "Message text too long", "status": 422,
     "detail": "text: 5000 characters, more than the limit of 4000",
     "instance": "/v1/analyze", "code": "text_too_long"}

- ``type`` names the problem type: ``/problems/<code>``, a URI reference that identifies it
  within this API (an identifier; nothing is served there);
- ``title`` is the same for every occurrence of the type; ``detail`` says what went wrong this
  time, for people (never a message text or a token);
- ``instance`` is the path of the request that failed;
- ``code`` (an extension member) is the type's short stable name, for clients that switch on it;
- ``errors`` (an extension member of ``invalid_request``) lists every validation problem:
  where and what, without the offending input.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from moodmoji.bot.printable import Verbatim, printable

__all__ = [
    "PROBLEM_JSON",
    "ApiError",
    "CatchAll",
    "Problem",
    "ProblemResponse",
    "ValidationIssue",
    "document_problems",
    "install_error_handlers",
    "problem_body",
    "send_error",
]

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
"""The media type of every error (RFC 9457)."""

#: The code of an HTTP error raised by the framework (routing, static files), by status.
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

#: The title of each problem type whose title is not its status's reason phrase.
_TITLES = {
    "invalid_request": "Invalid request",
    "text_too_long": "Message text too long",
    "batch_too_large": "Too many messages in one batch",
    "invalid_setting": "Invalid chat setting",
    "chat_id_needed": "chat_id needed",
    "invalid_custom_emoji": "Invalid custom emoji",
    "cross_origin": "Change from another site refused",
    "host_not_allowed": "Host not allowed",
    "body_too_large": "Request body too large",
    "decision_failed": "Model run failed",
    "core_failed": "Analysis failed",
    "store_failed": "Settings store failed",
    "no_store": "No settings store",
    "overloaded": "Model queue full",
    "shutting_down": "Server shutting down",
    "store_busy": "Settings store busy",
}


class ValidationIssue(BaseModel):
    """One reason a request is invalid."""

    loc: list[str] = Field(description="Where: body, path or query, then the field's path.")
    msg: str = Field(description="What is wrong (the input itself is never quoted).")


class Problem(BaseModel):
    """An RFC 9457 problem details object: the body of every error (application/problem+json)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description="The problem type, /problems/<code>: a URI reference that identifies it "
        "within this API (nothing is served there).",
        examples=["/problems/text_too_long"],
    )
    title: str = Field(
        description="A short summary of the problem type; the same for every occurrence.",
        examples=["Message text too long"],
    )
    status: int = Field(description="The HTTP status code of the response.", examples=[422])
    detail: str = Field(
        description="What went wrong this time, for people; never a message text or a token.",
        examples=["text: 5000 characters, more than the limit of 4000"],
    )
    instance: str = Field(
        description="The path of the request that failed.", examples=["/v1/analyze"]
    )
    code: str = Field(
        description="Extension: the problem type's short stable name (text_too_long, "
        "overloaded, store_busy ...), the last segment of type.",
        examples=["text_too_long"],
    )
    errors: list[ValidationIssue] | None = Field(
        default=None,
        description="Extension of invalid_request: every validation problem, where and what.",
    )


class ProblemResponse(JSONResponse):
    """A JSON response of the problem details media type."""

    media_type = PROBLEM_JSON


class ApiError(Exception):
    """An error answered as a problem details object with its status code.

    Args:
        status: HTTP status code.
        code: A short stable name of the problem type (``text_too_long``, ``overloaded`` ...).
        message: One sentence for people (the ``detail``); never message text or a token.
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


def _title(status: int, code: str) -> str:
    title = _TITLES.get(code)
    if title is not None:
        return title
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _instance(scope: Scope) -> str:
    """The request's path as a URI reference (percent-encoded again where it needs to be)."""
    path = str(scope.get("path", ""))
    return quote(path, safe="/!$&'()*+,;=:@-._~", errors="replace") or "/"


def problem_body(
    scope: Scope,
    status: int,
    code: str,
    message: str,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The JSON-ready problem details of an error of the request in ``scope``.

    Args:
        scope: The request's ASGI scope (its path becomes ``instance``).
        status: HTTP status code.
        code: The problem type's short stable name.
        message: What went wrong, for people (``detail``).
        errors: Validation problems, for ``invalid_request``.

    Returns:
        The body, members in the order of RFC 9457, then the extensions.

    """
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": _title(status, code),
        "status": status,
        "detail": message,
        "instance": _instance(scope),
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def _problem_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> ProblemResponse:
    return ProblemResponse(
        problem_body(request.scope, status, code, message, errors),
        status_code=status,
        headers=dict(headers or {}),
    )


async def send_error(
    scope: Scope,
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Sends a problem details response straight from ASGI middleware.

    Args:
        scope: The request's ASGI scope.
        send: The ASGI send channel.
        status: HTTP status code.
        code: The problem type's short stable name.
        message: What went wrong, for people.
        headers: Extra response headers.

    """
    body = json.dumps(problem_body(scope, status, code, message)).encode()
    raw_headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Where and what, without the input (which may be a long message text)."""
    errors = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            errors.append({"loc": ["body"], "msg": "not valid JSON"})
        else:
            loc = [str(part) for part in error.get("loc", ())]
            errors.append({"loc": loc, "msg": str(error.get("msg", ""))})
    return errors


def install_error_handlers(app: FastAPI) -> None:
    """Makes every error of ``app`` answer as problem details."""

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return _problem_response(request, exc.status, exc.code, exc.message, headers=exc.headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = _CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return _problem_response(request, exc.status_code, code, message, headers=exc.headers)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = _validation_errors(exc)
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(part for part in first["loc"] if part != "body") or "body"
        message = f"{where}: {first['msg']}"
        return _problem_response(request, 422, "invalid_request", message, errors=errors)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)


def document_problems(schema: dict[str, Any]) -> None:
    """Declares the error responses of an OpenAPI document as ``application/problem+json``.

    FastAPI documents a response model as ``application/json``; every response whose schema is
    :class:`Problem` moves to the problem details media type. FastAPI's own validation-error
    schemas, which this app never answers with, are dropped.
    """
    ref = "#/components/schemas/Problem"
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                plain = content.get("application/json")
                if plain is not None and plain.get("schema", {}).get("$ref") == ref:
                    content[PROBLEM_JSON] = content.pop("application/json")
    schemas = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


class CatchAll:
    """ASGI middleware turning an unexpected exception into a problem details 500.

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
            await send_error(scope, send, 500, "internal_error", "the server failed to answer this")
