"""The HTTP settings: loopback detection, the token from the environment, the refusal."""

from __future__ import annotations

import pytest

from moodmoji.adapters.http.info import HttpSection
from moodmoji.adapters.http.settings import HttpSettings, SettingsError, is_loopback


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_token_comes_from_the_named_variable() -> None:
    section = HttpSection(token_env="MY_TOKEN", port=9000, max_batch=8)
    settings = HttpSettings.from_config(section, {"MY_TOKEN": "  s3cret-value  "})
    assert settings.token == "s3cret-value"
    assert (settings.host, settings.port, settings.max_batch) == ("127.0.0.1", 9000, 8)
    assert HttpSettings.from_config(section, {"MY_TOKEN": ""}).token is None
    assert HttpSettings.from_config(section, {}).token is None
    assert "s3cret" not in repr(settings)  # the token never shows in a repr


def test_command_line_overrides() -> None:
    settings = HttpSettings.from_config(HttpSection(), {}, host="::1", port=0)
    assert (settings.host, settings.port) == ("::1", 0)
    with pytest.raises(SettingsError, match="--port"):
        HttpSettings.from_config(HttpSection(), {}, port=70000)


def test_beyond_loopback_needs_a_token() -> None:
    HttpSettings(host="127.0.0.1").check("T")
    HttpSettings(host="0.0.0.0", token="abcdefgh").check("T")
    with pytest.raises(SettingsError, match="set MOODMOJI_HTTP_TOKEN"):
        HttpSettings(host="0.0.0.0").check("MOODMOJI_HTTP_TOKEN")


def test_url_for_a_browser() -> None:
    assert HttpSettings(host="0.0.0.0", port=8080).url == "http://127.0.0.1:8080/"
    assert HttpSettings(host="::1", port=81).url == "http://[::1]:81/"
