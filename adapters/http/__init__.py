"""The HTTP API and web chat page of moodmoji (``moodmoji serve``), for self-hosted assistants.

Needs the ``http`` extra (FastAPI, uvicorn, prometheus-client, and fastapi-offline for the API
docs pages' files): ``pip install 'moodmoji[http]'``.
Build the app around a ready :class:`bot.core.MoodBot` with :func:`adapters.http.app.create_app`;
``moodmoji serve`` (:mod:`adapters.http.command`) does it from the config file.
"""

from __future__ import annotations

try:
    import fastapi  # noqa: F401
    import fastapi_offline  # noqa: F401
    import prometheus_client  # noqa: F401
    import uvicorn  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the installed extras
    raise ModuleNotFoundError(
        f"the HTTP API needs {exc.name}: pip install 'moodmoji[http]'", name=exc.name
    ) from exc
