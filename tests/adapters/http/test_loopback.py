"""DNS-rebinding protection of a server without a token (loopback only), over real sockets."""

from __future__ import annotations

import pytest

from moodmoji.adapters.http.loopback import host_name
from moodmoji.bot.store import SettingsStore
from tests.adapters.http.conftest import TOKEN, Serve, bearer

OPT_OUT = "/v1/users/telegram/4242/opt-out"


@pytest.mark.parametrize(
    "value, host",
    [
        ("127.0.0.1:8080", "127.0.0.1"),
        ("localhost", "localhost"),
        ("[::1]:8080", "::1"),
        ("[::1]", "::1"),
        ("attacker.example:8080", "attacker.example"),
        ("", ""),
    ],
)
def test_host_name(value: str, host: str) -> None:
    assert host_name(value) == host


def test_a_rebound_host_is_refused_and_changes_nothing(
    serve: Serve, make_bot, store: SettingsStore
) -> None:
    running = serve(make_bot(store=store))
    # the audit's reproduction: a page of attacker.example resolved to 127.0.0.1
    refused = running.client.put(OPT_OUT, headers={"Host": "attacker.example"})
    assert refused.status_code == 421
    assert refused.json()["code"] == "host_not_allowed"
    assert (
        running.client.get(
            "/v1/chats/generic/1/settings", headers={"Host": "evil.test"}
        ).status_code
        == 421
    )
    assert store.opt_out("telegram", None, "4242") is None
    for host in ("localhost:8080", "127.0.0.1", "127.0.0.2:1", "[::1]:8080"):
        assert running.client.get("/healthz", headers={"Host": host}).status_code == 200, host
    assert running.client.put(OPT_OUT).status_code == 200  # the real loopback host
    assert store.opt_out("telegram", None, "4242") is not None


def test_a_cross_site_change_is_refused(serve: Serve, make_bot, store: SettingsStore) -> None:
    running = serve(make_bot(store=store))
    foreign = running.client.put(OPT_OUT, headers={"Origin": "https://attacker.example"})
    assert foreign.status_code == 403
    assert foreign.json()["code"] == "cross_origin"
    deleted = running.client.delete("/v1/users/telegram/4242", headers={"Origin": "http://x.test"})
    assert deleted.status_code == 403
    assert store.opt_out("telegram", None, "4242") is None
    # reading is not a change; the page itself sends its own loopback origin
    assert (
        running.client.get("/healthz", headers={"Origin": "https://attacker.example"}).status_code
        == 200
    )
    local = running.client.put(OPT_OUT, headers={"Origin": running.url})
    assert local.status_code == 200


def test_with_a_token_any_host_may_be_used(serve: Serve) -> None:
    # a server with a token may be reached by name (behind a proxy, in a container)
    running = serve(token=TOKEN)
    answer = running.client.get("/healthz", headers={"Host": "moodmoji.internal", **bearer()})
    assert answer.status_code == 200
