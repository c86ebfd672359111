"""Reading the licence from a checkpoint's model card (README front matter)."""

from __future__ import annotations

import logging
from pathlib import Path

import yaml

logger = logging.getLogger(__name__)

_CARD_FILES = ("README.md", "readme.md", "README")


def card_licence(src: Path) -> str | None:
    """Returns the licence a model card's YAML front matter states, if any.

    Args:
        src: The checkpoint directory.

    Returns:
        The ``license`` (or ``licence``) value, lists joined with ``", "``; ``None`` when there
        is no card, no front matter or no licence.
    """
    for name in _CARD_FILES:
        path = src / name
        if path.is_file():
            break
    else:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
        front = yaml.safe_load("\n".join(lines[1:end]))
    except (StopIteration, yaml.YAMLError):
        logger.debug("%s: unreadable front matter", path)
        return None
    if not isinstance(front, dict):
        return None
    value = front.get("license", front.get("licence"))
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return str(value) if value else None
