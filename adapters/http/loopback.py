"""DNS-rebinding protection for a server without a token, which is allowed on loopback only.

A web page the operator opens may point its own domain at 127.0.0.1 ("DNS rebinding") and then
call the API as a same-origin page of that domain: the browser sends ``Host: attacker.example``.
Without a token nothing else stands in the way, so such a server answers only requests whose
``Host`` names this machine (``localhost``, ``127.0.0.0/8``, ``::1``), and refuses
state-changing requests (anything but GET, HEAD and OPTIONS) that carry an ``Origin`` of another
host, which a browser sends on every cross-site POST, PUT and DELETE.

Starlette's ``TrustedHostMiddleware`` matches host names by pattern: it cannot say "any
loopback address" (``127.0.0.2``, ``[::1]:8080``) and answers in plain text, outside the API's
error format, so this small check is written here.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from moodmoji.adapters.http.errors import send_error
from moodmoji.adapters.http.settings import is_loopback
from moodmoji.bot.printable import printable

__all__ = ["LoopbackOnly", "host_name"]

logger = logging.getLogger(__name__)

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def host_name(value: str) -> str:
    """The host of a ``Host`` header value, without its port (``[::1]:8080`` -> ``::1``)."""
    value = value.strip()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class LoopbackOnly:
    """ASGI middleware: 421 for a non-loopback ``Host``, 403 for a foreign ``Origin`` on writes.

    Args:
        app: The application it guards.

    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Checks the host and origin of an HTTP request, then hands it on."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = host_name(headers.get("host", ""))
        if not is_loopback(host):
            logger.info("refused a request for host %s (loopback only)", printable(host, 80))
            await send_error(
                scope,
                send,
                421,
                "host_not_allowed",
                "this server has no token and answers only for localhost and loopback addresses",
            )
            return
        origin = headers.get("origin")
        if origin is not None and scope["method"] not in _SAFE_METHODS:
            origin_host = urlsplit(origin).hostname or ""
            if not is_loopback(origin_host):
                logger.info(
                    "refused a cross-site %s from %s", scope["method"], printable(origin, 80)
                )
                await send_error(
                    scope,
                    send,
                    403,
                    "cross_origin",
                    "changes are accepted only from pages on this machine (Origin is not local)",
                )
                return
        await self.app(scope, receive, send)
