"""Every error is an RFC 9457 problem details object (application/problem+json)."""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlsplit

import httpx

from moodmoji.bot.store import SettingsStore
from tests.adapters.http.conftest import TOKEN, Serve, bearer

PROBLEM_JSON = "application/problem+json"
MEMBERS = {"type", "title", "status", "detail", "instance", "code"}


def problem(response: httpx.Response, status: int, code: str, instance: str) -> dict[str, Any]:
    """The problem in ``response``, after checking the members every problem has."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert MEMBERS <= set(body) <= MEMBERS | {"errors"}, body
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"/problems/{code}"
    assert body["instance"] == instance
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_routing_errors_are_problems(serve: Serve) -> None:
    running = serve()
    missing = problem(running.client.get("/v2/whatever"), 404, "not_found", "/v2/whatever")
    assert missing["title"] == "Not Found"
    wrong = running.client.get("/v1/analyze")
    assert problem(wrong, 405, "method_not_allowed", "/v1/analyze")["title"]
    assert wrong.headers["allow"] == "POST"
    problem(running.client.get("/static/nothing.js"), 404, "not_found", "/static/nothing.js")


def test_validation_errors_keep_their_list_as_an_extension(serve: Serve) -> None:
    running = serve(max_text_chars=10)
    invalid = problem(
        running.client.post("/v1/analyze", json={"txt": "typo", "explicit": "maybe"}),
        422,
        "invalid_request",
        "/v1/analyze",
    )
    assert invalid["title"] == "Invalid request"
    assert invalid["detail"].startswith(("text:", "explicit:", "txt:"))
    where = {tuple(issue["loc"]) for issue in invalid["errors"]}
    assert {("body", "text"), ("body", "txt"), ("body", "explicit")} <= where
    assert all(set(issue) == {"loc", "msg"} for issue in invalid["errors"])
    too_long = problem(
        running.client.post("/v1/analyze", json={"text": "x" * 11}),
        422,
        "text_too_long",
        "/v1/analyze",
    )
    assert too_long["detail"] == "text: 11 characters, more than the limit of 10"
    assert "errors" not in too_long
    broken = running.client.post(
        "/v1/analyze", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert problem(broken, 422, "invalid_request", "/v1/analyze")["detail"] == (
        "body: not valid JSON"
    )


def test_refusals_before_routing_are_problems(serve: Serve) -> None:
    guarded = serve(token=TOKEN, max_body_bytes=64)
    unauthorized = guarded.client.get("/v1/chats/generic/7/settings")
    body = problem(unauthorized, 401, "unauthorized", "/v1/chats/generic/7/settings")
    assert body["title"] == "Unauthorized"
    assert unauthorized.headers["www-authenticate"].startswith("Bearer")
    too_large = guarded.client.post(
        "/v1/analyze", content=b"x" * 100, headers={**bearer(), "Content-Type": "application/json"}
    )
    assert problem(too_large, 413, "body_too_large", "/v1/analyze")["detail"] == (
        "the request body is larger than 64 bytes"
    )

    open_server = serve()
    rebound = open_server.client.get("/healthz", headers={"Host": "attacker.example"})
    problem(rebound, 421, "host_not_allowed", "/healthz")
    cross = open_server.client.put(
        "/v1/users/generic/1/opt-out", headers={"Origin": "https://attacker.example"}
    )
    problem(cross, 403, "cross_origin", "/v1/users/generic/1/opt-out")


def test_a_streamed_refusal_is_a_problem_too(serve: Serve) -> None:
    """The 413 sent by the body limit itself, read off the socket."""
    running = serve(max_body_bytes=100)
    parts = urlsplit(running.url)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(
            b"POST /v1/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"c8\r\n" + b"a" * 200 + b"\r\n"
        )
        reply = b""
        while data := sock.recv(65536):
            reply += data
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert b"content-type: application/problem+json" in head.lower()
    assert json.loads(body)["code"] == "body_too_large"


def test_app_errors_and_their_headers(serve: Serve, make_bot, store: SettingsStore) -> None:
    running = serve()  # no store
    no_store = running.client.get("/v1/chats/generic/1/settings")
    assert problem(no_store, 501, "no_store", "/v1/chats/generic/1/settings")["title"]
    with_store = serve(make_bot(store=store))
    invalid = with_store.client.put(
        "/v1/chats/telegram/-1001234/settings", json={"reaction_threshold": 2}
    )
    body = problem(invalid, 422, "invalid_setting", "/v1/chats/telegram/-1001234/settings")
    assert body["detail"] == "reaction_threshold: should be between 0 and 1, not 2.0"


def test_the_openapi_document_declares_problem_json(serve: Serve) -> None:
    spec = serve().client.get("/openapi.json").json()
    schema = spec["components"]["schemas"]["Problem"]
    assert set(schema["properties"]) >= MEMBERS
    assert {"type", "title", "status", "detail", "code"} <= set(schema["required"])
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) < 400 or path == "/readyz":
                    continue
                assert set(response["content"]) == {PROBLEM_JSON}, (method, path, status)
                ref = response["content"][PROBLEM_JSON]["schema"]["$ref"]
                assert ref == "#/components/schemas/Problem"
    analyze = spec["paths"]["/v1/analyze"]["post"]["responses"]
    assert {"401", "403", "413", "421", "422", "500", "503"} <= set(analyze)
    assert "Retry-After" in analyze["503"]["headers"]
    settings = spec["paths"]["/v1/chats/{platform}/{chat_id}/settings"]
    assert "Retry-After" in settings["put"]["responses"]["503"]["headers"]
    assert "403" in settings["put"]["responses"] and "403" not in settings["get"]["responses"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # the old shape is gone
