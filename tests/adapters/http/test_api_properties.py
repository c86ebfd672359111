"""Properties of the HTTP API over arbitrary request bodies and paths (reliability suite).

Whatever a client sends, over a real socket to a real server with a settings store: the
answer is never a 5xx other than 503, always the API's JSON error envelope when it is an
error, and a change that was refused changed nothing. Paths are arbitrary Unicode, escaped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from moodmoji.adapters.http.app import create_app
from moodmoji.adapters.http.server import BackgroundServer
from moodmoji.adapters.http.settings import HttpSettings
from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.core import MoodBot, default_rules
from moodmoji.bot.policy import ReactionPolicy
from moodmoji.bot.store import SettingsStore
from moodmoji.bot.suggestions import Suggester
from moodmoji.inference.analyzer import Analyzer

pytestmark = pytest.mark.reliability

API = hypothesis_settings(
    max_examples=120,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    st.text(max_size=60),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    ["text", "platform", "chat_id", "explicit", "custom_emoji", "available_reactions", "author_id"]
)
_analyze_bodies = st.one_of(
    _json, st.dictionaries(st.one_of(_keys, st.text(max_size=8)), _json, max_size=6)
)
_settings_keys = st.sampled_from(
    ["mode", "reaction_threshold", "max_suggestions", "budget_window_s", "custom_emoji"]
)
_settings_bodies = st.dictionaries(st.one_of(_settings_keys, st.text(max_size=8)), _json)
_segments = st.text(min_size=1, max_size=20)


@pytest.fixture(scope="module")
def api(
    default_analyzer: Analyzer,
    default_suggester: Suggester,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[httpx.Client, SettingsStore]]:
    store = SettingsStore.open(tmp_path_factory.mktemp("api") / "store.sqlite3")
    bot = MoodBot(
        default_analyzer,
        default_suggester,
        ReactionPolicy(default_analyzer.ranker.vocabulary),
        default_rules(),
        ChatSettings(),
        store=store,
    )
    with (
        BackgroundServer(create_app(bot, HttpSettings())) as server,
        httpx.Client(base_url=server.url, timeout=60) as client,
    ):
        yield client, store


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500 or response.status_code == 503, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json", response.text
        body = response.json()
        assert {"type", "title", "status", "detail", "instance", "code"} <= set(body), body
        assert set(body) <= {"type", "title", "status", "detail", "instance", "code", "errors"}
        assert body["status"] == response.status_code
        assert body["type"] == f"/problems/{body['code']}"
        assert isinstance(body["title"], str) and isinstance(body["detail"], str)


@API
@given(body=_analyze_bodies)
def test_any_analyze_body_gets_an_answer_or_a_clean_error(
    api: tuple[httpx.Client, SettingsStore], body: Any
) -> None:
    client, _ = api
    response = client.post("/v1/analyze", content=json.dumps(body), headers=_JSON)
    _check(response)
    if response.status_code == 200:
        assert isinstance(response.json()["reactions"], list)


@API
@given(body=_settings_bodies, chat=_segments)
def test_a_refused_settings_change_changes_nothing(
    api: tuple[httpx.Client, SettingsStore], body: dict[str, Any], chat: str
) -> None:
    client, store = api
    path = f"/v1/chats/discord/{quote(chat, safe='')}/settings"
    before = store.chat_overrides("discord", chat) if chat.strip() else None
    response = client.put(path, content=json.dumps(body), headers=_JSON)
    _check(response)
    if response.status_code != 200 and before is not None:
        assert store.chat_overrides("discord", chat) == before


@API
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    segments=st.lists(_segments, min_size=1, max_size=5),
    raw=st.binary(max_size=200),
)
def test_any_path_and_body_bytes_get_a_clean_answer(
    api: tuple[httpx.Client, SettingsStore], method: str, segments: list[str], raw: bytes
) -> None:
    client, _ = api
    path = "/" + "/".join(quote(s, safe="") for s in segments)
    _check(client.request(method, path, content=raw, headers=_JSON))


_JSON = {"Content-Type": "application/json"}
