"""The adapter's settings come from the config file's ``telegram`` section."""

from __future__ import annotations

import pytest

from adapters.telegram import TelegramSettings
from bot.config import Config


def test_from_the_config_section() -> None:
    config = Config.model_validate(
        {"telegram": {"queue_size": 9, "workers": 2, "stale_after_s": 5, "refusal_ttl_s": 0}}
    )
    settings = TelegramSettings.from_section(config.telegram)
    assert (settings.queue_size, settings.workers, settings.stale_after_s) == (9, 2, 5)
    assert settings.refusal_ttl_s == 0
    assert settings.available_reactions_ttl_s == 600
    assert settings.drain_seconds == 5  # at shutdown, queued work gets until it goes stale


@pytest.mark.parametrize(
    "bad", [{"queue_size": 0}, {"workers": 0}, {"stale_after_s": 0}, {"retries": -1}]
)
def test_nonsense_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        TelegramSettings(**bad)  # type: ignore[arg-type]
