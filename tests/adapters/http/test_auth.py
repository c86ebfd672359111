"""Bearer-token authentication over real sockets."""

from __future__ import annotations

import logging

import pytest

from tests.adapters.http.conftest import TOKEN, Serve, bearer

PROTECTED = [
    ("POST", "/v1/analyze", {"text": "hello"}),
    ("POST", "/v1/analyze/batch", {"messages": [{"text": "hello"}]}),
    ("GET", "/metrics", None),
    ("GET", "/openapi.json", None),
    ("GET", "/v1/chats/generic/1/settings", None),
    ("DELETE", "/v1/users/generic/1", None),
    ("GET", "/v1/nowhere", None),
]


def test_protected_paths_need_the_token(serve: Serve) -> None:
    running = serve(token=TOKEN)
    for method, path, body in PROTECTED:
        missing = running.client.request(method, path, json=body)
        assert missing.status_code == 401, path
        assert missing.json()["code"] == "unauthorized"
        assert missing.headers["www-authenticate"].startswith("Bearer")
        wrong = running.client.request(method, path, json=body, headers=bearer("not-the-token"))
        assert wrong.status_code == 401, path
        assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
        basic = running.client.request(
            method, path, json=body, headers={"Authorization": f"Basic {TOKEN}"}
        )
        assert basic.status_code == 401, path


def test_refusals_are_counted_by_route(serve: Serve) -> None:
    running = serve(token=TOKEN)
    running.client.post("/v1/analyze", json={"text": "hi"})
    running.client.delete("/v1/users/telegram/42")
    metrics = running.client.get("/metrics", headers=bearer()).text
    assert (
        'moodmoji_http_requests_total{method="POST",route="/v1/analyze",status="401"} 1.0'
        in metrics
    )
    route = "/v1/users/{platform}/{user_id}"
    assert f'{{method="DELETE",route="{route}",status="401"}} 1.0' in metrics


def test_right_token_passes(serve: Serve) -> None:
    running = serve(token=TOKEN)
    answer = running.client.post("/v1/analyze", json={"text": "We won!!"}, headers=bearer())
    assert answer.status_code == 200 and answer.json()["mood"] == "joy"
    assert running.client.get("/metrics", headers=bearer()).status_code == 200
    assert running.client.get("/openapi.json", headers=bearer()).status_code == 200
    assert running.client.get("/v1/nowhere", headers=bearer()).status_code == 404
    lower = running.client.get("/metrics", headers={"authorization": f"bearer {TOKEN}"})
    assert lower.status_code == 200  # the scheme is case-insensitive


def test_probes_and_page_need_no_token(serve: Serve) -> None:
    running = serve(token=TOKEN)
    assert running.client.get("/healthz").json() == {"status": "ok"}
    assert running.client.get("/readyz").json()["ready"] is True
    assert running.client.get("/").status_code == 200
    assert running.client.get("/static/chat.js").status_code == 200


def test_unauthenticated_body_is_not_read(serve: Serve) -> None:
    """401 comes before the body limit: a stranger's huge body is never buffered."""
    running = serve(token=TOKEN, max_body_bytes=2048)
    response = running.client.post("/v1/analyze", content=b"x" * 100_000)
    assert response.status_code == 401


def test_without_a_token_everything_is_open_on_loopback(serve: Serve) -> None:
    running = serve()
    assert running.client.post("/v1/analyze", json={"text": "hi"}).status_code == 200
    assert running.client.get("/metrics").status_code == 200
    spec = running.client.get("/openapi.json").json()
    assert "securitySchemes" not in spec.get("components", {})


def test_the_openapi_document_declares_bearer_auth(serve: Serve) -> None:
    spec = serve(token=TOKEN).client.get("/openapi.json", headers=bearer()).json()
    schemes = spec["components"]["securitySchemes"]
    assert [s["scheme"].lower() for s in schemes.values()] == ["bearer"]
    assert spec["paths"]["/v1/analyze"]["post"]["security"]
    assert spec["paths"]["/metrics"]["get"]["security"]
    assert "security" not in spec["paths"]["/healthz"]["get"]


def test_the_token_is_never_logged(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    running = serve(token=TOKEN)
    running.client.post("/v1/analyze", json={"text": "hi"}, headers=bearer())
    running.client.post("/v1/analyze", json={"text": "hi"}, headers=bearer(TOKEN + "x"))
    assert "wrong token" in caplog.text  # the refusal was logged...
    assert TOKEN not in caplog.text  # ...without the token, right or wrong


def test_no_control_character_from_a_request_reaches_a_log_line(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    # a decoded %0a in a path would otherwise write a forged ERROR line of its own
    caplog.set_level(logging.DEBUG)
    running = serve(token=TOKEN, max_body_bytes=64)
    forged = "/v1/x%0a2026-01-01 00:00:00 ERROR forged%1b[31m%e2%80%a8"
    running.client.get(forged, headers=bearer(TOKEN + "x"))  # refused: wrong token
    running.client.post(forged, content=b"x" * 200, headers=bearer())  # refused: too large
    running.client.get(forged, headers=bearer())  # unknown route
    assert "wrong token" in caplog.text and "refused a" in caplog.text
    formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")  # escapes nothing
    served = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    lines = [formatter.format(record) for record in served]
    for line in lines:
        assert not any(ch in line for ch in "\n\r\x1b\u2028"), line
    assert any("/v1/x\\n2026-01-01 00:00:00 ERROR forged\\x1b[31m\\u2028" in x for x in lines)
