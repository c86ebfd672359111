"""``moodmoji serve``: the HTTP API and web chat page on ``http.host:http.port``.

Exit status: 0 after a clean shutdown (SIGINT or SIGTERM), 1 when the model, the store or the
port fails, 2 when the settings are unsafe (beyond loopback without a token) or invalid.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys

from moodmoji.adapters.common.redaction import protect_secret
from moodmoji.adapters.http.app import create_app
from moodmoji.adapters.http.info import http_section
from moodmoji.adapters.http.server import Server, server_config
from moodmoji.adapters.http.settings import HttpSettings, SettingsError
from moodmoji.bot.chats import StoreError
from moodmoji.bot.config import Config
from moodmoji.bot.core import MoodBot
from moodmoji.bot.errors import CoreError

__all__ = ["run"]

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def run(args: argparse.Namespace, config: Config) -> int:
    """Serves until SIGINT or SIGTERM; returns the exit status.

    Args:
        args: ``--host``, ``--port`` and ``--model`` (each may be ``None``).
        config: The loaded configuration (sections ``http``, ``model``, ``store`` ...).

    """
    try:
        section = http_section(config)
        settings = HttpSettings.from_config(section, os.environ, host=args.host, port=args.port)
        settings.check(section.token_env)
    except SettingsError as err:
        print(f"moodmoji: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    if settings.token:
        protect_secret(settings.token)
    print("moodmoji: loading the model ...", file=sys.stderr, flush=True)
    try:
        bot = MoodBot.from_config(config, model=args.model)
    except (CoreError, StoreError) as err:
        print(f"moodmoji: error: {err}", file=sys.stderr)
        return EXIT_FAILED
    app = create_app(bot, settings)

    def started(port: int) -> None:
        url = dataclasses.replace(settings, port=port).url
        print(f"moodmoji: serving on {url} - open it in a browser; Ctrl+C stops", flush=True)
        if settings.token:
            print(
                f"moodmoji: clients send 'Authorization: Bearer <the token in "
                f"${http_section(config).token_env}>'",
                flush=True,
            )

    server = Server(
        server_config(app, settings.host, settings.port, max_connections=settings.max_connections),
        on_started=started,
        receive_timeout_s=settings.receive_timeout_s,
    )
    try:
        server.run()
    except SystemExit:  # uvicorn exits when it cannot bind; it logged why
        return EXIT_FAILED
    if not server.started:
        return EXIT_FAILED
    print("moodmoji: stopped", file=sys.stderr, flush=True)
    return EXIT_OK
