"""The HTTP API and web chat page of moodmoji (``moodmoji serve``), for self-hosted assistants.

Needs the ``http`` extra (FastAPI, uvicorn, prometheus-client, and fastapi-offline for the API
docs pages' files): ``pip install 'moodmoji[http]'``.
Build the app around a ready :class:`bot.core.MoodBot` with :func:`adapters.http.app.create_app`;
``moodmoji serve`` (:mod:`adapters.http.command`) does it from the config file. The registry
entry (:mod:`adapters.http.info`) imports without the extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from moodmoji.adapters.common.extras import lazy_exports
from moodmoji.adapters.http.info import ADAPTER

if TYPE_CHECKING:
    from moodmoji.adapters.http.app import create_app

__all__ = ["ADAPTER", "create_app"]

__getattr__ = lazy_exports(
    __name__,
    {"create_app": "moodmoji.adapters.http.app"},
    libraries=("fastapi", "fastapi_offline", "prometheus_client", "uvicorn"),
    extra="http",
    what="the HTTP API",
)
