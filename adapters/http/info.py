"""What the HTTP adapter tells the core and the command line: its registry entry.

Importable without FastAPI (the command line lists the adapter and names its extra when the
library is missing). The HTTP API brings no platform of its own: a request names the platform
whose rules apply (``generic`` by default).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, cast

from pydantic import Field

from moodmoji.bot.config import ConfigSection, EnvName, Integer, Number
from moodmoji.bot.registry import AdapterInfo

if TYPE_CHECKING:
    from moodmoji.bot.config import Config

__all__ = ["ADAPTER", "HttpSection", "http_section"]


class HttpSection(ConfigSection):
    """The HTTP API and web chat page (``moodmoji serve``).

    Attributes:
        host: Address to bind; anything but loopback requires a token.
        port: TCP port (0 = any free port).
        token_env: Environment variable holding the bearer token clients must send; when it is
            unset or empty, no token is asked for (allowed on loopback only).
        max_body_bytes: Largest request body accepted (413 beyond).
        max_batch: Most messages in one batch request (422 beyond).
        max_text_chars: Longest message text accepted (422 beyond).
        receive_timeout_s: Longest time a client may take to send a request's headers, and
            again its body; the connection is closed beyond (slow-sending clients).
        max_connections: Most connections and requests at once; beyond, uvicorn answers 503.

    """

    host: str = "127.0.0.1"
    port: Integer = Field(default=8080, ge=0, le=65535)
    token_env: EnvName = "MOODMOJI_HTTP_TOKEN"
    max_body_bytes: Integer = Field(default=1_048_576, ge=1024)
    max_batch: Integer = Field(default=64, ge=1, le=1024)
    max_text_chars: Integer = Field(default=4000, ge=1)
    receive_timeout_s: Number = Field(default=10, gt=0, le=300, allow_inf_nan=False)
    max_connections: Integer = Field(default=1000, ge=1, le=100_000)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to bind (default: http.host, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="TCP port (default: http.port, 8080)")
    parser.add_argument("--model", type=Path, help="model bundle directory")


ADAPTER = AdapterInfo(
    name="http",
    summary="the HTTP API and web chat page (needs the http extra)",
    section=HttpSection,
    extra="http",
    command="serve",
    runner="moodmoji.adapters.http.command",
    arguments=_arguments,
    install="create_app(moodbot) from moodmoji.adapters.http.app: an ASGI app to mount",
)


def http_section(config: Config) -> HttpSection:
    """The http section of ``config`` (its defaults when ``config`` was built without it)."""
    # A cast, not isinstance: discord.py's extension reload imports this module afresh, while
    # the config keeps the section it was validated with.
    return cast(HttpSection, ADAPTER.section_of(config))
