"""Checking a freshly written bundle before it replaces anything."""

from __future__ import annotations

from pathlib import Path

from moodmoji.inference.bundle import ModelBundle
from moodmoji.inference.errors import BundleError, ExportError


def validate_bundle(directory: Path) -> None:
    """Validates a written bundle exactly the way the engine will load it.

    :meth:`ModelBundle.load` reads the manifest back, opens the graph, checks its inputs and
    outputs against the manifest, and runs a probe batch to check every head's width.

    Args:
        directory: The bundle directory.

    Raises:
        ExportError: Any check failed (the message names the file).
    """
    try:
        ModelBundle.load(directory)
    except BundleError as exc:
        raise ExportError(f"written bundle does not load: {exc}") from None
