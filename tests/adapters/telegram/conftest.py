"""Fixtures of the Telegram adapter tests: the fake Bot API server and a real SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from moodmoji.adapters.telegram import TelegramMoodmoji, TelegramSettings
from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.store import SettingsStore
from tests.adapters.telegram.fake_bot_api import FakeBotAPI
from tests.adapters.telegram.harness import RELAXED, TOKEN
from tests.conftest import BotFactory


@pytest.fixture()
async def fake() -> AsyncIterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[SettingsStore]:
    opened = SettingsStore.open(tmp_path / "s.sqlite3")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture()
def make_moodmoji(make_bot: BotFactory, store: SettingsStore) -> Callable[..., TelegramMoodmoji]:
    """Builds the adapter on a real core (shared model) and the test's SQLite store.

    The adapter owns its core: leaving :func:`harness.running` closes both (and the store).
    """

    def build(
        *,
        defaults: ChatSettings | None = RELAXED,
        settings: TelegramSettings | None = None,
        with_store: bool = True,
        on: SettingsStore | None = None,
    ) -> TelegramMoodmoji:
        moodbot = make_bot(store=(on or store) if with_store else None, defaults=defaults)
        return TelegramMoodmoji(moodbot, settings or TelegramSettings(), owns_bot=True)

    return build


@pytest.fixture(autouse=True)
def _timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB's coming time periods (as ``moodmoji telegram`` opts in): no deprecation noise."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
