"""The app as a whole: its OpenAPI document, the page's files, problem details everywhere."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from moodmoji.adapters.http.page import STATIC_DIR
from tests.adapters.http.conftest import TOKEN, Serve, bearer

ENDPOINTS = {
    ("post", "/v1/analyze"),
    ("post", "/v1/analyze/batch"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/v1/chats/{platform}/{chat_id}/settings"),
    ("put", "/v1/chats/{platform}/{chat_id}/settings"),
    ("delete", "/v1/chats/{platform}/{chat_id}/settings"),
    ("get", "/v1/chats/{platform}/{chat_id}/moods"),
    ("get", "/v1/chats/{platform}/{chat_id}/opt-out"),
    ("put", "/v1/chats/{platform}/{chat_id}/opt-out"),
    ("delete", "/v1/chats/{platform}/{chat_id}/opt-out"),
    ("delete", "/v1/chats/{platform}/{chat_id}"),
    ("get", "/v1/users/{platform}/{user_id}/opt-out"),
    ("put", "/v1/users/{platform}/{user_id}/opt-out"),
    ("delete", "/v1/users/{platform}/{user_id}/opt-out"),
    ("delete", "/v1/users/{platform}/{user_id}"),
}


def test_openapi_document_is_valid_and_complete(serve: Serve) -> None:
    running = serve(token=TOKEN, max_text_chars=1234, max_batch=16)
    spec = running.client.get("/openapi.json", headers=bearer()).json()
    validate(spec)  # raises on an invalid document
    assert spec["openapi"].startswith("3.")
    documented = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert documented == ENDPOINTS
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("summary") or op.get("description"), (method, path)
    schemas = spec["components"]["schemas"]
    assert schemas["AnalyzeRequest"]["properties"]["text"]["maxLength"] == 1234
    assert schemas["BatchRequest"]["properties"]["messages"]["maxItems"] == 16
    analyze = spec["paths"]["/v1/analyze"]["post"]
    assert {"200", "401", "413", "422", "500", "503"} <= set(analyze["responses"])
    assert "Retry-After" in analyze["responses"]["503"]["headers"]


def test_problem_details_for_unknown_paths_and_methods(serve: Serve) -> None:
    running = serve()
    missing = running.client.get("/v2/whatever")
    assert missing.status_code == 404 and missing.json()["status"] == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = running.client.get("/v1/analyze")
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"


def test_page_and_its_files_are_served_offline(serve: Serve) -> None:
    running = serve()
    page = running.client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    referenced = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert referenced and all(
        ref.startswith(("/static/", "data:image/svg+xml,")) for ref in referenced
    )
    for name in ("chat.js", "chart.js", "chat.css"):
        response = running.client.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.content == (STATIC_DIR / name).read_bytes()
    for name in STATIC_DIR.iterdir():
        text = name.read_text(encoding="utf-8")
        # no CDN, no external URL: only the SVG namespace name appears
        urls = set(re.findall(r"https?://[^\s\"')]+", text))
        assert urls <= {"http://www.w3.org/2000/svg"}, (name.name, urls)
    assert running.client.get("/static/../app.py").status_code == 404
