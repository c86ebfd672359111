"""The adapter's settings from the config file's ``discord`` section."""

from __future__ import annotations

import pytest

from moodmoji.adapters.discord.info import DiscordSection
from moodmoji.adapters.discord.settings import DiscordSettings


def test_settings_come_from_the_config_section() -> None:
    section = DiscordSection(queue_size=10, workers=3, stale_after_s=5, refusal_ttl_s=0)
    assert DiscordSettings.from_config(section) == DiscordSettings(
        queue_size=10, workers=3, stale_after_s=5.0, refusal_ttl_s=0.0
    )
    assert DiscordSettings.from_config(DiscordSection()) == DiscordSettings()


@pytest.mark.parametrize(
    "bad",
    [
        {"queue_size": 0},
        {"workers": 0},
        {"stale_after_s": 0},
        {"refusal_ttl_s": -1},
        {"mood_days": 91},
    ],
)
def test_impossible_settings_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        DiscordSettings(**bad)  # type: ignore[arg-type]
