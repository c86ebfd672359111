"""The web chat page: plain HTML, JavaScript and CSS files shipped in the package.

No build step and no external URL: the page, its script, its style and its icon come from
``adapters/http/static/``, and a Content-Security-Policy keeps the browser from loading
anything from elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["STATIC_DIR", "PageFiles", "page_router"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

#: Everything from this server only; no inline script, no other origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


class PageFiles(StaticFiles):
    """The page's static files, with the page's security headers."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        """The file, with the Content-Security-Policy and no-sniff headers."""
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(PAGE_HEADERS)
        return response


def page_router() -> APIRouter:
    """``GET /``: the chat page (its files are mounted at ``/static``)."""
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    async def index() -> Response:
        return FileResponse(STATIC_DIR / "index.html", headers=PAGE_HEADERS)

    return router
