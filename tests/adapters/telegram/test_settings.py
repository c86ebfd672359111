"""The adapter's settings come from the config file's ``telegram`` section."""

from __future__ import annotations

import pytest

from moodmoji.adapters.telegram import TelegramSettings
from moodmoji.adapters.telegram.info import telegram_section
from moodmoji.bot.config import config_model


def test_from_the_config_section() -> None:
    config = config_model().model_validate(
        {"telegram": {"queue_size": 9, "workers": 2, "stale_after_s": 5, "refusal_ttl_s": 0}}
    )
    settings = TelegramSettings.from_section(telegram_section(config))
    assert (settings.queue_size, settings.workers, settings.stale_after_s) == (9, 2, 5)
    assert settings.refusal_ttl_s == 0
    assert settings.available_reactions_ttl_s == 600
    assert settings.drain_seconds == 5  # at shutdown, queued work gets until it goes stale


@pytest.mark.parametrize(
    "bad",
    [
        {"queue_size": 0},
        {"workers": 0},
        {"stale_after_s": 0},
        {"retries": -1},
        {"mood_days": 0},
        {"mood_days": 367},  # more than the core's mood stats look back over
    ],
)
def test_nonsense_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        TelegramSettings(**bad)  # type: ignore[arg-type]
