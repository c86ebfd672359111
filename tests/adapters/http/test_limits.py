"""Request limits over real sockets: body size (413), batch size and text length (422)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

from tests.adapters.http.conftest import Serve

JSON = {"Content-Type": "application/json"}


def test_text_length_limit(serve: Serve) -> None:
    running = serve(max_text_chars=50)
    assert running.client.post("/v1/analyze", json={"text": "x" * 50}).status_code == 200
    response = running.client.post("/v1/analyze", json={"text": "x" * 51})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "text_too_long"
    assert "51 characters" in problem["detail"] and "50" in problem["detail"]
    batch = running.client.post(
        "/v1/analyze/batch", json={"messages": [{"text": "ok"}, {"text": "y" * 60}]}
    )
    assert batch.status_code == 422
    assert batch.json()["detail"].startswith("messages.1.text:")


def test_batch_size_limit(serve: Serve) -> None:
    running = serve(max_batch=4)
    ok = running.client.post("/v1/analyze/batch", json={"messages": [{"text": "hi"}] * 4})
    assert ok.status_code == 200 and len(ok.json()["results"]) == 4
    response = running.client.post("/v1/analyze/batch", json={"messages": [{"text": "hi"}] * 5})
    assert response.status_code == 422
    assert response.json()["code"] == "batch_too_large"
    assert "5 messages" in response.json()["detail"]


def test_body_declared_too_large_is_refused_before_reading(serve: Serve) -> None:
    running = serve(max_body_bytes=2048)
    body = json.dumps({"text": "a" * 3000}).encode()
    response = running.client.post("/v1/analyze", content=body, headers=JSON)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "/problems/body_too_large",
        "title": "Request body too large",
        "status": 413,
        "detail": "the request body is larger than 2048 bytes",
        "instance": "/v1/analyze",
        "code": "body_too_large",
    }
    fits = json.dumps({"text": "a" * 1000}).encode()
    assert running.client.post("/v1/analyze", content=fits, headers=JSON).status_code == 200


def test_streamed_body_is_cut_off_while_reading(serve: Serve) -> None:
    """A chunked body has no Content-Length: the limit holds as the bytes arrive."""
    running = serve(max_body_bytes=4096)
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"text": "'
        for _ in range(64):
            sent += 1024
            yield b"a" * 1024
        yield b'"}'

    response = running.client.post("/v1/analyze", content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers  # really chunked
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_endless_chunked_body_is_refused_without_waiting_for_its_end(serve: Serve) -> None:
    """A raw request whose chunked body never ends gets 413 once it passes the limit."""
    running = serve(max_body_bytes=2048)
    parts = urlsplit(running.url)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        head = (
            "POST /v1/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        )
        sock.sendall(head.encode())
        chunk = b"a" * 1000
        for _ in range(3):  # 3000 bytes and no final chunk: the body never ends
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        reply = b""
        while data := sock.recv(65536):  # the server answers, then closes
            reply += data
    text = reply.decode("latin-1")
    assert text.startswith("HTTP/1.1 413")
    assert '"code":"body_too_large"' in text.replace(" ", "")
