"""The API's documentation pages, offline: Swagger UI at ``/docs`` and ReDoc at ``/redoc``.

Swagger UI's and ReDoc's files are those the ``fastapi-offline`` package ships (a dependency of
the ``http`` extra: Swagger UI's bundle and style, ReDoc's standalone bundle); this server
serves them at ``/docs/assets/``, so the pages load nothing from elsewhere and work offline.

The pages themselves are static and hold no script: ``/static/docs.js`` fetches
``/openapi.json`` (with the bearer token when the server asks for one; like the chat page, it
asks the user and keeps the token in the tab's ``sessionStorage``) and hands the document to the
viewer. With a token configured the pages and their files are open, the document is not.

Both pages answer with the chat page's Content-Security-Policy. ReDoc writes its styles into
``<style>`` elements at run time, so the ReDoc page also lets in style elements that carry a
nonce made for that one response (ReDoc's ``nonce`` option), and nothing else.
"""

from __future__ import annotations

import secrets
from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response

from moodmoji.adapters.http.page import CONTENT_SECURITY_POLICY, PAGE_HEADERS, PageFiles

__all__ = [
    "ASSETS_PATH",
    "DOCS_PATHS",
    "REDOC_PATH",
    "SWAGGER_UI_PAGE",
    "SWAGGER_UI_PATH",
    "assets_dir",
    "docs_files",
    "docs_router",
    "redoc_page",
    "with_source",
]

#: Where the viewers' files are mounted.
ASSETS_PATH = "/docs/assets"
SWAGGER_UI_PATH = "/docs"
REDOC_PATH = "/redoc"
#: The pages (they need no token: a browser cannot send one with a page load).
DOCS_PATHS = frozenset({SWAGGER_UI_PATH, REDOC_PATH})

_HEAD = """\
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>moodmoji API · {viewer}</title>
  <link rel="icon" href="data:,">
"""
_NOSCRIPT = (
    "  <noscript>These API docs need JavaScript; the OpenAPI document is at "
    "/openapi.json.</noscript>\n"
)

SWAGGER_UI_PAGE = (
    _HEAD.format(viewer="Swagger UI")
    + f"""\
  <link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
  <link rel="stylesheet" href="/static/docs.css">
</head>
<body>
{_NOSCRIPT}  <div id="swagger-ui" data-openapi-url="/openapi.json"></div>
  <script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
  <script src="/static/docs.js"></script>
</body>
</html>
"""
)

_REDOC_PAGE = (
    _HEAD.format(viewer="ReDoc")
    + f"""\
  <link rel="stylesheet" href="/static/docs.css">
</head>
<body>
{_NOSCRIPT}  <div id="redoc" data-openapi-url="/openapi.json"></div>
  <script src="{ASSETS_PATH}/redoc.standalone.js"></script>
  <script src="/static/docs.js" nonce="{{nonce}}"></script>
</body>
</html>
"""
)


def assets_dir() -> Path:
    """The folder of Swagger UI's and ReDoc's files in the installed ``fastapi-offline``."""
    return Path(str(resources.files("fastapi_offline") / "static"))


def redoc_page(nonce: str) -> str:
    """The ReDoc page, whose script hands ``nonce`` to ReDoc for its style elements."""
    return _REDOC_PAGE.format(nonce=nonce)


def with_source(policy: str, directive: str, source: str) -> str:
    """``policy`` with ``source`` added to one of its directives.

    Raises:
        ValueError: The policy has no such directive.

    """
    directives = [part.strip() for part in policy.split(";") if part.strip()]
    for index, part in enumerate(directives):
        if part.split()[0] == directive:
            directives[index] = f"{part} {source}"
            return "; ".join(directives)
    raise ValueError(f"the policy has no {directive}")


def docs_router() -> APIRouter:
    """``GET /docs`` (Swagger UI) and ``GET /redoc`` (ReDoc); their files: :func:`docs_files`."""
    router = APIRouter(include_in_schema=False)

    @router.get(SWAGGER_UI_PATH)
    async def swagger_ui() -> Response:
        return HTMLResponse(SWAGGER_UI_PAGE, headers=PAGE_HEADERS)

    @router.get(REDOC_PATH)
    async def redoc() -> Response:
        nonce = secrets.token_urlsafe(18)
        policy = with_source(CONTENT_SECURITY_POLICY, "style-src", f"'nonce-{nonce}'")
        headers = PAGE_HEADERS | {"Content-Security-Policy": policy}
        return HTMLResponse(redoc_page(nonce), headers=headers)

    return router


def docs_files() -> PageFiles:
    """Swagger UI's and ReDoc's files, with the page's security headers (mount at ASSETS_PATH)."""
    return PageFiles(directory=assets_dir())
