"""Process-wide logging set-up for the command line.

Log records carry ids, lengths, labels and timings, never message text or tokens. Values that
come from outside (a request path) are escaped (:mod:`bot.printable`): the text format escapes
every string argument, and the JSON format escapes control characters by its nature.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Literal

from moodmoji.bot.printable import EscapingFormatter

LogFormat = Literal["text", "json"]


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger and message."""

    def format(self, record: logging.LogRecord) -> str:
        """Formats ``record`` as a JSON line."""
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(level: str = "INFO", fmt: LogFormat = "text") -> None:
    """Sends log records at ``level`` and above to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(EscapingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
