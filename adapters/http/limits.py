"""The request-body limit, enforced while the body is read (not only from Content-Length).

:class:`BodyLimit` reads the whole body before the application sees the request, counting bytes
as they arrive; past the limit it stops reading and answers 413. A body declared too large in
``Content-Length`` is refused before any of it is read. The application then gets the buffered
body, so a request it handles is never larger than the limit.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from moodmoji.adapters.http.errors import send_error
from moodmoji.bot.printable import printable

__all__ = ["BodyLimit"]

logger = logging.getLogger(__name__)


class BodyLimit:
    """ASGI middleware answering 413 to request bodies over ``max_bytes``.

    Args:
        app: The application it guards.
        max_bytes: Largest body accepted.

    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Buffers the body of an HTTP request within the limit, then hands it on."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, send, declared)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, send, size)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, send: Send, size: int) -> None:
        logger.info(
            "refused a %s body of %s or more bytes (limit %d)",
            printable(scope["path"]),
            size,
            self.max_bytes,
        )
        await send_error(
            scope,
            send,
            413,
            "body_too_large",
            f"the request body is larger than {self.max_bytes} bytes",
            {"Connection": "close"},
        )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands over the buffered body once, then waits as the original does."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
