"""Reading the JSON data files of the core, with errors that name the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from moodmoji.inference.errors import FileProblem


def read_json_file(path: Path, error: type[FileProblem], what: str) -> Any:
    """Reads a JSON file.

    Args:
        path: The file.
        error: The :class:`FileProblem` subclass to raise.
        what: What the file is, for the "missing" message (e.g. ``"manifest file"``).

    Returns:
        The parsed JSON value.

    Raises:
        FileProblem: (as ``error``) the file is missing or not readable JSON.
    """
    if not path.is_file():
        raise error(path, f"{what} is missing")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(path, f"not a readable JSON file ({exc})") from None
