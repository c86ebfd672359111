"""Servers of the HTTP API on 127.0.0.1 (port 0), in a thread, around bots of the real model."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from moodmoji.adapters.http.app import MoodmojiApi, create_app
from moodmoji.adapters.http.server import BackgroundServer
from moodmoji.adapters.http.settings import HttpSettings
from moodmoji.bot.core import MoodBot
from moodmoji.bot.store import SettingsStore

TOKEN = "test-token-5f1c2a9e"


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Running:
    """A started server and a client for it (no token unless the test sends one)."""

    url: str
    app: MoodmojiApi
    bot: MoodBot
    client: httpx.Client
    server: BackgroundServer


Serve = Callable[..., Running]


@pytest.fixture()
def store(tmp_path: Path) -> SettingsStore:
    """A real SQLite settings store (the bot closes it when its server stops)."""
    return SettingsStore.open(tmp_path / "s.sqlite3")


@pytest.fixture()
def serve(make_bot: Callable[..., MoodBot]) -> Iterator[Serve]:
    """Starts the app around a bot in a background server; stops everything afterwards."""
    running: list[Running] = []

    def start(bot: MoodBot | None = None, **settings: Any) -> Running:
        bot = bot if bot is not None else make_bot()
        app = create_app(bot, HttpSettings(**settings))
        server = BackgroundServer(app)
        url = server.start()
        client = httpx.Client(base_url=url, timeout=60)
        running.append(Running(url, app, bot, client, server))
        return running[-1]

    yield start
    for item in running:
        item.client.close()
        item.server.stop()
