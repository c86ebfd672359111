"""``GET /metrics`` after real requests: parsed with prometheus_client's own parser."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from moodmoji.adapters.http.metrics import HttpMetrics
from tests.adapters.http.conftest import Serve


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_after_some_requests(serve: Serve) -> None:
    running = serve()
    client = running.client
    for _ in range(3):
        assert client.post("/v1/analyze", json={"text": "We won the final!!"}).status_code == 200
    client.post("/v1/analyze", json={"text": "The meeting moved to 3pm"})  # abstains
    client.post(
        "/v1/analyze/batch",
        json={"messages": [{"text": "My grandmother passed away last night"}] * 4},
    )
    client.post("/v1/analyze", json={"nope": 1})  # 422
    client.get("/v1/chats/generic/room-1/settings")  # 501: no store
    client.get("/v1/chats/generic/room-2/settings")
    client.get("/nowhere")  # 404
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)

    requests = "moodmoji_http_requests_total"
    assert value(found, requests, route="/v1/analyze", method="POST", status="200") == 4
    assert value(found, requests, route="/v1/analyze", method="POST", status="422") == 1
    assert value(found, requests, route="/v1/analyze/batch", method="POST", status="200") == 1
    settings_route = "/v1/chats/{platform}/{chat_id}/settings"  # the template, not the ids
    assert value(found, requests, route=settings_route, method="GET", status="501") == 2
    assert value(found, requests, route="unmatched", method="GET", status="404") == 1
    assert not any("room-1" in str(key) for key in found)

    latency = "moodmoji_http_request_duration_seconds_count"
    assert value(found, latency, route="/v1/analyze") == 5
    assert (
        value(
            found, "moodmoji_http_request_duration_seconds_bucket", route="/v1/analyze", le="+Inf"
        )
        == 5
    )

    runs = value(found, "moodmoji_model_batch_size_count")
    texts = value(found, "moodmoji_model_batch_size_sum")
    assert runs >= 2 and texts == 1 + 3 + 1 + 4  # warm-up, three singles, one, a batch of 4
    assert value(found, "moodmoji_model_batch_duration_seconds_count") == runs
    assert value(found, "moodmoji_queue_depth") == 0

    assert value(found, "moodmoji_reactions_total", emoji="🎉") == 3
    assert value(found, "moodmoji_reactions_total", emoji="🤍") == 4
    assert value(found, "moodmoji_abstentions_total", platform="generic") == 1
    assert value(found, "moodmoji_overloaded_total") == 0


def test_each_app_has_its_own_registry() -> None:
    first, second = HttpMetrics(), HttpMetrics()
    first.overloaded.inc(5)
    assert b"moodmoji_overloaded_total 5.0" in first.render()
    assert b"moodmoji_overloaded_total 0.0" in second.render()


def test_static_files_are_counted_under_their_mount(serve: Serve) -> None:
    running = serve()
    client = running.client
    assert client.get("/static/chat.js").status_code == 200
    assert client.get("/static/chat.css").status_code == 200
    assert client.get("/static/no-such-file.js").status_code == 404
    assert client.get("/nowhere").status_code == 404
    found = samples(client.get("/metrics").text)

    requests = "moodmoji_http_requests_total"
    assert value(found, requests, route="/static", method="GET", status="200") == 2
    assert value(found, requests, route="/static", method="GET", status="404") == 1
    assert value(found, "moodmoji_http_request_duration_seconds_count", route="/static") == 3
    # only the path that no route or mount answers is unmatched
    assert value(found, requests, route="unmatched", method="GET", status="404") == 1
    assert not any("chat.js" in str(key) for key in found)  # the mount, never the file

    assert client.get("/docs/assets/swagger-ui.css").status_code == 200  # the docs' files
    found = samples(client.get("/metrics").text)
    assert value(found, requests, route="/docs/assets", method="GET", status="200") == 1
    assert value(found, requests, route="unmatched", method="GET", status="404") == 1
