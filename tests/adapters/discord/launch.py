"""Runs the real ``moodmoji`` command line with discord.py pointed at a fake Discord.

``python -m tests.adapters.discord.launch API_BASE GATEWAY_URL [moodmoji arguments...]``

discord.py takes its REST base from ``discord.http.Route.BASE`` and its gateway from
``DiscordWebSocket.DEFAULT_GATEWAY`` (a sharded bot with ``shard_count: auto`` asks
``GET /gateway/bot`` instead); both are class attributes, set here before the command line
starts. Nothing else differs from ``moodmoji``. Several processes on one fake each get their
own REST base (``FakeDiscord.base_url_for``), so that the fake can tell their requests apart.
"""

from __future__ import annotations

import sys

import discord.http
import yarl
from discord.gateway import DiscordWebSocket


def main(argv: list[str]) -> int:
    base, gateway, *rest = argv
    discord.http.Route.BASE = base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    from moodmoji.tools.cli import main as moodmoji

    return moodmoji(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
