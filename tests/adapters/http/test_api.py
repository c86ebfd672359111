"""The JSON endpoints over real sockets, on the real default model and a real SQLite store."""

from __future__ import annotations

import json
import logging

import pytest

from moodmoji.bot.store import SettingsStore
from tests.adapters.http.conftest import Serve

ODD_TEXTS = [
    "",
    "   ",
    "😂😂😂🔥🔥",
    "Z̴̡̢̛̤̗̮̲̬̼̹̝̳̺̆̈́̅̋̈̐͊̿̔̀̕͠a̸̧̛̯̪͔̰̘̳̣͚͍̎̍̂̈́̆͊̍̌̇̚͝l̶̡̗͎̤̗̱̱̲̪̉͋̓̍͋g̷̛͖̹̖̭̪͐̂̔͑͗̕o̵̳̙̥͍͍̖͋̅͐",
    "Это просто замечательно!",
    "今日はとても楽しかった",
    "مرحبا كيف حالك",
    "\x00\x1b[31m\u200b\ufeff",
    "\ud83d",  # a lone surrogate, as JSON can carry it
    "a" * 4000,
    "word " * 800,
]
JSON = {"Content-Type": "application/json"}


def test_analyze_answers_a_decision(serve: Serve) -> None:
    running = serve()
    response = running.client.post(
        "/v1/analyze", json={"text": "Happy birthday to my best friend!"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["mood"] == "joy"
    assert set(body) == {
        "mood",
        "reactions",
        "gate",
        "moods",
        "emotions",
        "suggestions",
        "language",
        "language_confidence",
        "why",
    }
    assert body["language"] == "en" and body["language_confidence"] > 0.9
    assert body["why"]["steps"][0]["rule"] == "language"
    assert body["reactions"][0]["emoji"] == "🎂"
    # the value compared with the threshold is the trigger probability, not the reaction's score
    gate = body["gate"]
    assert gate["basis"] == "trigger" and gate["threshold"] == 0.85 and gate["passed"] is True
    assert gate["score"] >= 0.85 and gate["score"] != body["reactions"][0]["score"]
    assert f"probability {gate['score']:.2f} (threshold 0.85)" in json.dumps(
        body["why"]["steps"], ensure_ascii=False
    )
    assert len(body["reactions"]) <= 3
    assert {"text", "intent"} <= set(body["suggestions"][0])
    assert body["why"]["thresholds"] == {"reaction": 0.85, "suggestion": 0.55}
    assert body["why"]["candidates"]


def test_platform_rules_apply(serve: Serve) -> None:
    running = serve()
    text = "Happy birthday to my best friend!"
    telegram = running.client.post("/v1/analyze", json={"text": text, "platform": "telegram"})
    body = telegram.json()
    # Telegram has no 🎂: the model's best emoji that Telegram takes (❤) goes instead
    assert [r["emoji"] for r in body["reactions"]] == ["❤"]
    assert "telegram-reactions" in [step["rule"] for step in body["why"]["steps"]]
    narrowed = running.client.post(
        "/v1/analyze",
        json={"text": text, "platform": "telegram", "available_reactions": ["👍"]},
    )
    assert narrowed.status_code == 200
    assert narrowed.json()["reactions"] == []  # the chat allows none that fits


def test_discord_custom_emoji_and_a_bad_one(serve: Serve) -> None:
    running = serve()
    custom = "<:partyblob:123456789012345678>"
    response = running.client.post(
        "/v1/analyze",
        json={"text": "We won the final!!", "platform": "discord", "custom_emoji": {"joy": custom}},
    )
    assert response.status_code == 200
    assert [r["emoji"] for r in response.json()["reactions"]] == [custom]
    bad = running.client.post(
        "/v1/analyze",
        json={"text": "hi", "platform": "discord", "custom_emoji": {"joy": "partyblob"}},
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_custom_emoji"


def test_a_lone_surrogate_key_gets_422_not_500(
    serve: Serve, make_bot, store: SettingsStore
) -> None:
    # the error message names the key, which cannot be encoded as it is
    running = serve(make_bot(store=store))
    body = '{"text": "hi", "platform": "discord", "custom_emoji": {"\\ud800": "nope"}}'
    bad = running.client.post(
        "/v1/analyze", content=body, headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 422, bad.text
    assert bad.json()["code"] == "invalid_custom_emoji"
    assert "\\ud800" in bad.json()["detail"]
    put = running.client.put(
        "/v1/chats/discord/1/settings",
        content='{"custom_emoji": {"\\ud800": "nope"}}',
        headers={"Content-Type": "application/json"},
    )
    assert put.status_code == 422, put.text


def test_meeting_moved_abstains(serve: Serve) -> None:
    running = serve()
    body = running.client.post("/v1/analyze", json={"text": "The meeting moved to 3pm"}).json()
    assert body["reactions"] == []
    assert "confidence-gate" in [step["rule"] for step in body["why"]["steps"]]
    assert body["gate"]["passed"] is False and body["gate"]["score"] < 0.85


def test_batch_answers_in_order(serve: Serve) -> None:
    running = serve()
    texts = [
        "We won the final!!",
        "My grandmother passed away last night",
        "I'm so nervous about the interview tomorrow",
    ]
    messages = [{"text": t} for t in texts] + [{"text": texts[0], "platform": "telegram"}]
    response = running.client.post("/v1/analyze/batch", json={"messages": messages})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["mood"] for r in results] == ["joy", "sadness", "fear", "joy"]
    # the learned head answers: a party, comfort on a loss, luck before an interview
    assert [r["reactions"][0]["emoji"] for r in results] == ["🎉", "🤍", "🤞", "🎉"]
    assert len(results[3]["reactions"]) == 1  # telegram: one reaction
    assert "I'm so sorry for your loss" in [s["text"] for s in results[1]["suggestions"]]
    empty = running.client.post("/v1/analyze/batch", json={"messages": []})
    assert empty.status_code == 200 and empty.json() == {"results": []}


@pytest.mark.parametrize("text", ODD_TEXTS, ids=range(len(ODD_TEXTS)))
def test_odd_text_never_fails(serve: Serve, text: str) -> None:
    # ensure_ascii: a lone surrogate travels as a JSON escape, as a client may send it
    body = json.dumps({"text": text}).encode()
    response = serve().client.post("/v1/analyze", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["reactions"], list)


def test_odd_texts_in_one_batch(serve: Serve) -> None:
    running = serve()
    body = json.dumps({"messages": [{"text": t} for t in ODD_TEXTS]}).encode()
    response = running.client.post("/v1/analyze/batch", content=body, headers=JSON)
    assert response.status_code == 200
    assert len(response.json()["results"]) == len(ODD_TEXTS)


def test_bad_bodies_answer_422_json(serve: Serve) -> None:
    running = serve()
    cases = [
        ({"txt": "typo"}, "text"),
        ({"text": 42}, "text"),
        ({"text": "hi", "platform": "myspace"}, "platform"),
        ({"text": "hi", "explicit": False}, "chat_id"),
        ({"text": "hi", "chat_id": ""}, "chat_id"),
    ]
    for body, where in cases:
        response = running.client.post("/v1/analyze", json=body)
        assert response.status_code == 422, body
        problem = response.json()
        assert problem["status"] == 422 and where in problem["detail"], problem
    broken = running.client.post("/v1/analyze", content=b"{not json", headers=JSON)
    assert broken.status_code == 422
    assert broken.json()["detail"] == "body: not valid JSON"


def test_chat_settings_round_trip(serve: Serve, make_bot, store: SettingsStore) -> None:
    running = serve(make_bot(store=store))
    client = running.client
    url = "/v1/chats/telegram/-100123/settings"
    fresh = client.get(url).json()
    assert fresh["overrides"] == {} and fresh["settings"]["mode"] == "both"

    changed = client.put(url, json={"mode": "react", "reaction_threshold": 0.8})
    assert changed.status_code == 200
    assert changed.json()["overrides"] == {"mode": "react", "reaction_threshold": 0.8}
    assert changed.json()["settings"]["reaction_threshold"] == 0.8
    assert store.chat_overrides("telegram", "-100123") == {
        "mode": "react",
        "reaction_threshold": 0.8,
    }

    back = client.put(url, json={"reaction_threshold": None})
    assert back.json()["overrides"] == {"mode": "react"}

    for bad in (
        {"reaction_threshold": 1.5},
        {"max_suggestions": 9},
        {"mode": "loud"},
        {"colour": "red"},
        {"custom_emoji": {"joy": "nope"}},
        {"budget_window_s": 1e300},  # would stop the pacer from pruning
        {"user_cooldown_s": 86401},
        {"custom_emoji": {f"e{i}": f"<:e:{10**17 + i}>" for i in range(257)}},
    ):
        response = client.put(url, json=bad)
        assert response.status_code == 422, bad
        assert response.json()["status"] == 422
    assert store.chat_overrides("telegram", "-100123") == {"mode": "react"}  # nothing written

    reset = client.delete(url)
    assert reset.status_code == 200 and reset.json()["overrides"] == {}
    assert store.chat_overrides("telegram", "-100123") == {}
    assert client.get("/v1/chats/myspace/1/settings").status_code == 422


def test_a_chat_in_mode_off_is_not_analysed(serve: Serve, make_bot, store: SettingsStore) -> None:
    running = serve(make_bot(store=store))
    running.client.put("/v1/chats/generic/room/settings", json={"mode": "off"})
    body = running.client.post(
        "/v1/analyze",
        json={"text": "We won the final!!", "chat_id": "room", "explicit": False},
    ).json()
    assert body["why"]["skipped"] == "mode-off"
    assert body["mood"] is None and body["reactions"] == []


def test_live_messages_are_counted_in_mood_stats(
    serve: Serve, make_bot, store: SettingsStore
) -> None:
    running = serve(make_bot(store=store))
    for text in ("We won the final!!", "So happy for you!", "My grandmother passed away"):
        running.client.post(
            "/v1/analyze",
            json={"text": text, "chat_id": "room", "author_id": "u1", "explicit": False},
        )
    running.client.post("/v1/analyze", json={"text": "explicit, not counted", "chat_id": "room"})
    days = running.client.get("/v1/chats/generic/room/moods").json()["days"]
    (counts,) = days.values()
    assert counts == {"joy": 2, "sadness": 1}
    later = running.client.get("/v1/chats/generic/room/moods", params={"since": "2999-01-01"})
    assert later.json()["days"] == {}


def test_opt_out_and_delete_my_data(serve: Serve, make_bot, store: SettingsStore) -> None:
    running = serve(make_bot(store=store))
    client = running.client
    assert client.get("/v1/users/telegram/42/opt-out").json()["opted_out"] is False
    opted = client.put("/v1/users/telegram/42/opt-out").json()
    assert opted["opted_out"] is True and opted["since"]
    assert store.opt_out("telegram", None, "42") is not None

    skipped = client.post(
        "/v1/analyze",
        json={"text": "We won!", "platform": "telegram", "chat_id": "7", "author_id": "42"},
    ).json()
    assert skipped["why"]["skipped"] == "opt-out" and skipped["moods"] == []

    deleted = client.delete("/v1/users/telegram/42")
    assert deleted.status_code == 200
    assert deleted.json() == {"chats": 0, "opt_outs": 1, "mood_rows": 0, "total": 1}
    assert store.opt_out("telegram", None, "42") is None
    assert client.delete("/v1/users/telegram/42").json()["total"] == 0

    client.put("/v1/chats/discord/555/opt-out")
    client.put("/v1/chats/discord/555/settings", json={"mode": "suggest"})
    assert client.get("/v1/chats/discord/555/opt-out").json()["opted_out"] is True
    back_in = client.delete("/v1/chats/discord/555/opt-out").json()
    assert back_in["opted_out"] is False
    client.put("/v1/users/discord/9/opt-out")
    assert client.delete("/v1/users/discord/9/opt-out").json()["opted_out"] is False

    store.record_mood("discord", "555", "joy")
    gone = client.delete("/v1/chats/discord/555").json()
    assert gone == {"chats": 1, "opt_outs": 0, "mood_rows": 1, "total": 2}
    assert store.chat_overrides("discord", "555") == {}


def test_without_a_store_data_endpoints_answer_501(serve: Serve) -> None:
    running = serve()  # make_bot() keeps no store
    for method, path in [
        ("GET", "/v1/chats/generic/1/settings"),
        ("PUT", "/v1/users/generic/1/opt-out"),
        ("DELETE", "/v1/users/generic/1"),
    ]:
        response = running.client.request(method, path, json={} if method == "PUT" else None)
        assert response.status_code == 501, path
        assert response.json()["code"] == "no_store"


def test_message_text_is_never_logged(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    running = serve()
    secret = "my secret diary entry about the funeral"
    running.client.post("/v1/analyze", json={"text": secret})
    running.client.post("/v1/analyze/batch", json={"messages": [{"text": secret}] * 3})
    running.client.post("/v1/analyze", json={"text": secret * 2000})  # 422, too long
    running.client.post("/v1/analyze", json={"text": secret, "platform": "myspace"})  # 422
    assert "POST /v1/analyze/batch 200" in caplog.text  # requests were logged, at DEBUG
    assert "diary" not in caplog.text and "funeral" not in caplog.text
    body = json.dumps(running.client.post("/v1/analyze", json={"text": secret * 2000}).json())
    assert "diary" not in body  # errors do not echo the text either
