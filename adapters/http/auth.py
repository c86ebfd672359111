"""Bearer-token authentication, checked before a request body is read.

Every path needs ``Authorization: Bearer <token>`` when a token is configured, except the
probes (``/healthz``, ``/readyz``), the web page's files (``/`` and ``/static/...``) and the API
docs pages with their files (``/docs``, ``/redoc``, ``/docs/assets/...``): a browser cannot send
a token with a page load, so these pages load without one, then ask for it when the API (or
``/openapi.json``) answers 401, and keep it in the tab's ``sessionStorage``.
"""

from __future__ import annotations

import hmac
import logging

from fastapi.security import HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from moodmoji.adapters.http.docs import ASSETS_PATH, DOCS_PATHS
from moodmoji.adapters.http.errors import send_error
from moodmoji.bot.printable import printable

__all__ = ["OPEN_PATHS", "BearerAuth", "bearer_scheme", "is_open_path"]

logger = logging.getLogger(__name__)

#: Paths answered without a token.
OPEN_PATHS = frozenset({"/", "/healthz", "/readyz"}) | DOCS_PATHS
_OPEN_PREFIXES = ("/static/", f"{ASSETS_PATH}/")

#: Declares the scheme in the OpenAPI document; :class:`BearerAuth` does the checking.
bearer_scheme = HTTPBearer(
    auto_error=False,
    description="Set the token in the environment variable named by http.token_env.",
)


def is_open_path(path: str) -> bool:
    """Whether ``path`` is answered without a token."""
    return path in OPEN_PATHS or path.startswith(_OPEN_PREFIXES)


class BearerAuth:
    """ASGI middleware answering 401 to requests without the right bearer token.

    Args:
        app: The application it guards.
        token: The token clients must send.

    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Checks the token of an HTTP request, then hands it on."""
        if scope["type"] != "http" or is_open_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        given = _bearer(scope)
        if given is None:
            await send_error(
                scope,
                send,
                401,
                "unauthorized",
                "this API needs 'Authorization: Bearer <token>'",
                {"WWW-Authenticate": 'Bearer realm="moodmoji"'},
            )
            return
        if not hmac.compare_digest(given, self._token):
            logger.info("refused a request to %s: wrong token", printable(scope["path"]))
            await send_error(
                scope,
                send,
                401,
                "unauthorized",
                "the bearer token is not right",
                {"WWW-Authenticate": 'Bearer realm="moodmoji", error="invalid_token"'},
            )
            return
        await self.app(scope, receive, send)


def _bearer(scope: Scope) -> bytes | None:
    """The token of the request's ``Authorization: Bearer`` header, if it has one."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, credentials = bytes(value).partition(b" ")
            if scheme.lower() == b"bearer" and credentials.strip():
                return credentials.strip()
            return None
    return None
