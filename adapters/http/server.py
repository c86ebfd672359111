"""Running the app with uvicorn: in the foreground (``moodmoji serve``) or in a thread.

:class:`Server` stops gracefully on SIGINT or SIGTERM (in-flight requests finish, the app's
shutdown closes the bot) and then simply returns, so the process exits with status 0.
:class:`BackgroundServer` runs an app on its own event loop in a thread: for tests, benchmarks
and programs that embed the API.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Generator
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

__all__ = ["BackgroundServer", "Server", "server_config"]

logger = logging.getLogger(__name__)

HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def server_config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    """The uvicorn settings of moodmoji: its own logging, no access log (it logs routes)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=10,
    )


class Server(uvicorn.Server):
    """A uvicorn server that returns normally after a SIGINT or SIGTERM.

    Args:
        config: The uvicorn settings.
        on_started: Called with the bound port once the server listens.

    """

    def __init__(
        self, config: uvicorn.Config, on_started: Callable[[int], None] | None = None
    ) -> None:
        super().__init__(config)
        self._on_started = on_started

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Turns SIGINT and SIGTERM into a graceful shutdown (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in HANDLED_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Starts listening, then reports the bound port."""
        await super().startup(sockets)
        if self.started and self._on_started is not None:
            self._on_started(self.port)

    @property
    def port(self) -> int:
        """The port the server listens on (the real one when configured with port 0)."""
        for server in self.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.config.port


class BackgroundServer:
    """Serves an app on ``host`` in a thread of its own, with its own event loop.

    Use it as a context manager; :attr:`url` is the base URL once started::

        with BackgroundServer(create_app(bot, settings)) as server:
            httpx.get(server.url + "healthz")

    Args:
        app: The ASGI app.
        host: Address to bind (loopback by default).
        port: Port (0 = any free port).

    """

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = Server(server_config(app, host, port))
        self.host = host
        self._thread = threading.Thread(target=self.server.run, name="moodmoji-http", daemon=True)

    @property
    def url(self) -> str:
        """``http://host:port/``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.server.port}/"

    def start(self, timeout: float = 60.0) -> str:
        """Starts the server and waits until it listens; returns :attr:`url`.

        Raises:
            RuntimeError: It did not start within ``timeout`` seconds (or failed to).

        """
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the HTTP server did not start")
            time.sleep(0.01)
        return self.url

    def stop(self, timeout: float = 30.0) -> None:
        """Asks the server to finish its requests and stop, and waits for it."""
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
