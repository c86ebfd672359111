"""Slow clients and too many connections, over real sockets (the audit's finding 6)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from moodmoji.adapters.http.app import create_app
from moodmoji.adapters.http.server import BackgroundServer
from moodmoji.adapters.http.settings import HttpSettings
from tests.conftest import BotFactory

DEADLINE_S = 1.0


@pytest.fixture()
def server(make_bot: BotFactory) -> Iterator[BackgroundServer]:
    app = create_app(make_bot(), HttpSettings(), close_bot=True)
    with BackgroundServer(app, receive_timeout_s=DEADLINE_S, max_connections=4) as running:
        yield running


def _connect(server: BackgroundServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.server.port), timeout=10)


def _trickle_until_closed(sock: socket.socket, first: bytes, limit_s: float) -> float:
    """Sends ``first``, then a byte every 0.2 s; seconds until the server closes the socket."""
    started = time.monotonic()
    sock.sendall(first)
    sock.settimeout(0.2)
    while time.monotonic() - started < limit_s:
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - started
        except TimeoutError:
            pass
        try:
            sock.sendall(b"a")
        except OSError:  # closed under us
            return time.monotonic() - started
    return float("inf")


def test_a_client_trickling_its_headers_is_cut_off(server: BackgroundServer) -> None:
    with _connect(server) as sock:
        took = _trickle_until_closed(
            sock, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", 10 * DEADLINE_S
        )
    assert took < DEADLINE_S + 2.0, f"held for {took:.1f} s"
    assert server.server.deadline.closed >= 1


def test_a_client_trickling_its_body_is_cut_off(server: BackgroundServer) -> None:
    head = (
        b"POST /v1/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 5000\r\n\r\n"
    )
    with _connect(server) as sock:
        took = _trickle_until_closed(sock, head, 10 * DEADLINE_S)
    assert took < DEADLINE_S + 2.0, f"held for {took:.1f} s"


def test_prompt_clients_and_idle_keep_alive_are_untouched(server: BackgroundServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get("/healthz").status_code == 200
        time.sleep(DEADLINE_S + 1.5)  # an idle kept-alive connection is uvicorn's business
        assert client.post("/v1/analyze", json={"text": "We won!"}).status_code == 200
    assert server.server.deadline.closed == 0


def test_beyond_max_connections_the_server_answers_503(server: BackgroundServer) -> None:
    held = [_connect(server) for _ in range(4)]
    try:
        for sock in held:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        time.sleep(0.3)
        answer = httpx.get(server.url + "healthz", timeout=10)
        assert answer.status_code == 503
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    assert httpx.get(server.url + "healthz", timeout=10).status_code == 200
