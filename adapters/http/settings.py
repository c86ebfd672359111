"""What the HTTP API is configured with: address, bearer token and request limits."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from moodmoji.adapters.http.info import HttpSection
from moodmoji.bot.config import is_loopback

__all__ = ["HttpSettings", "SettingsError", "is_loopback"]

logger = logging.getLogger(__name__)


class SettingsError(Exception):
    """The HTTP settings cannot be served safely; ``str()`` is one line for the user."""


@dataclass(frozen=True)
class HttpSettings:
    """The settings one app is built with.

    Attributes:
        host: Address to bind.
        port: TCP port (0 = any free port).
        token: The bearer token clients must send, or ``None`` for no authentication (allowed
            on loopback only, see :meth:`check`).
        max_body_bytes: Largest request body accepted (413 beyond).
        max_batch: Most messages in one batch request (422 beyond).
        max_text_chars: Longest message text accepted, in characters (422 beyond).
        receive_timeout_s: Longest time to send a request's headers, and again its body.
        max_connections: Most connections and requests at once (503 beyond).

    """

    host: str = "127.0.0.1"
    port: int = 8080
    token: str | None = None
    max_body_bytes: int = 1_048_576
    max_batch: int = 64
    max_text_chars: int = 4000
    receive_timeout_s: float = 10.0
    max_connections: int = 1000

    def __repr__(self) -> str:
        token = "set" if self.token else "none"
        return (
            f"HttpSettings(host={self.host!r}, port={self.port}, token={token}, "
            f"max_body_bytes={self.max_body_bytes}, max_batch={self.max_batch}, "
            f"max_text_chars={self.max_text_chars})"
        )

    @classmethod
    def from_config(
        cls,
        section: HttpSection,
        environ: Mapping[str, str],
        *,
        host: str | None = None,
        port: int | None = None,
    ) -> HttpSettings:
        """The settings of the ``http`` config section, the token read from the environment.

        Args:
            section: The ``http`` section.
            environ: Where the variable named by ``section.token_env`` is looked up.
            host: Overrides ``section.host`` (``--host``).
            port: Overrides ``section.port`` (``--port``).

        Raises:
            SettingsError: The port is out of range.

        """
        chosen_port = section.port if port is None else port
        if not 0 <= chosen_port <= 65535:
            raise SettingsError(f"--port: should be between 0 and 65535, not {chosen_port}")
        token = environ.get(section.token_env, "").strip() or None
        return cls(
            host=section.host if host is None else host,
            port=chosen_port,
            token=token,
            max_body_bytes=section.max_body_bytes,
            max_batch=section.max_batch,
            max_text_chars=section.max_text_chars,
            receive_timeout_s=section.receive_timeout_s,
            max_connections=section.max_connections,
        )

    def check(self, token_env: str) -> None:
        """Refuses to serve beyond loopback without a token.

        Args:
            token_env: Name of the token's environment variable, for the message.

        Raises:
            SettingsError: ``host`` is not loopback and no token is set.

        """
        if self.token is None and not is_loopback(self.host):
            raise SettingsError(
                f"refusing to serve on {self.host or 'every address'} without a token: "
                f"set {token_env} (clients then send 'Authorization: Bearer <token>') "
                "or bind to 127.0.0.1"
            )

    @property
    def url(self) -> str:
        """The base URL for a browser on this machine (a wildcard host becomes loopback)."""
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"
