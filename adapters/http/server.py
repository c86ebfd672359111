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
import weakref
from collections.abc import Callable, Generator, Iterable
from types import TracebackType
from typing import Any

import h11
import uvicorn
from starlette.types import ASGIApp

__all__ = ["BackgroundServer", "ReceiptDeadline", "Server", "server_config"]

logger = logging.getLogger(__name__)

HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: Default deadline for a request's headers, and again for its body (``http.receive_timeout_s``).
RECEIVE_TIMEOUT_S = 10.0
#: Default most connections and requests at once (``http.max_connections``).
MAX_CONNECTIONS = 1000


def server_config(
    app: ASGIApp, host: str, port: int, *, max_connections: int = MAX_CONNECTIONS
) -> uvicorn.Config:
    """The uvicorn settings of moodmoji: its own logging, no access log (it logs routes).

    ``max_connections`` is uvicorn's ``limit_concurrency``: connections and requests at once,
    503 beyond. The h11 protocol is used (pure Python, and the one :class:`ReceiptDeadline`
    knows how to watch).
    """
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",
        log_config=None,
        access_log=False,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=10,
        limit_concurrency=max_connections,
    )


class ReceiptDeadline:
    """Closes connections whose client takes too long to send a request's headers or body.

    uvicorn's keep-alive timeout restarts on every byte received, so a client that trickles a
    byte a second holds its connection (and a file descriptor) for as long as it likes, and a
    few thousand of them exhaust the process. Each connection found waiting for the rest of a
    request's headers (h11 has some of them buffered) or for the rest of its body gets
    ``seconds`` for each; then it is closed.

    Args:
        seconds: The deadline for the headers, and again for the body.

    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._since: weakref.WeakKeyDictionary[Any, tuple[str, float]] = weakref.WeakKeyDictionary()
        self.closed = 0

    def check(self, connections: Iterable[Any], now: float | None = None) -> None:
        """Closes the connections past their deadline (called about once a second)."""
        now = time.monotonic() if now is None else now
        for protocol in list(connections):
            waiting = _waiting_for(protocol)
            if waiting is None:
                self._since.pop(protocol, None)
                continue
            state, since = self._since.get(protocol, (waiting, now))
            if state != waiting:
                since = now
            self._since[protocol] = (waiting, since)
            if now - since > self.seconds:
                self.closed += 1
                logger.info("closed a connection still sending its request %s", waiting)
                protocol.transport.close()
                self._since.pop(protocol, None)


def _waiting_for(protocol: Any) -> str | None:
    """``"headers"`` or ``"body"`` while an h11 connection waits for the client, else None."""
    connection = getattr(protocol, "conn", None)
    if not isinstance(connection, h11.Connection):
        return None
    if connection.their_state is h11.SEND_BODY:
        return "body"
    if connection.their_state is h11.IDLE and connection.trailing_data[0]:
        return "headers"
    return None


class Server(uvicorn.Server):
    """A uvicorn server that returns normally after a SIGINT or SIGTERM.

    Args:
        config: The uvicorn settings.
        on_started: Called with the bound port once the server listens.
        receive_timeout_s: Deadline for a request's headers, and again its body
            (:class:`ReceiptDeadline`).

    """

    def __init__(
        self,
        config: uvicorn.Config,
        on_started: Callable[[int], None] | None = None,
        receive_timeout_s: float = RECEIVE_TIMEOUT_S,
    ) -> None:
        super().__init__(config)
        self._on_started = on_started
        self.deadline = ReceiptDeadline(receive_timeout_s)

    async def on_tick(self, counter: int) -> bool:
        """Each tick of uvicorn (every 0.1 s); once a second, closes slow-sending connections."""
        if counter % 10 == 0:
            self.deadline.check(self.server_state.connections)
        return await super().on_tick(counter)

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
        receive_timeout_s: Deadline for a request's headers, and again its body.
        max_connections: Most connections and requests at once (503 beyond).

    """

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        receive_timeout_s: float = RECEIVE_TIMEOUT_S,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.server = Server(
            server_config(app, host, port, max_connections=max_connections),
            receive_timeout_s=receive_timeout_s,
        )
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
