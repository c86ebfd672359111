"""Where the embedded default model lives, and how a model directory is chosen."""

from __future__ import annotations

from pathlib import Path

from moodmoji.inference.errors import BundleError
from moodmoji.inference.manifest import MANIFEST_FILE

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "default"


def resolve_model_dir(path: Path | str | None) -> Path:
    """Returns the bundle directory to load.

    Args:
        path: A bundle directory chosen by the user, or ``None`` for the embedded default.

    Returns:
        The directory (its contents are validated when the bundle is loaded).

    Raises:
        BundleError: ``path`` is ``None`` and this build carries no default model.

    """
    if path is not None:
        return Path(path)
    if not (DEFAULT_MODEL_DIR / MANIFEST_FILE).is_file():
        raise BundleError(
            DEFAULT_MODEL_DIR,
            "this build carries no embedded default model yet; pass --model DIR with a bundle "
            "made by `moodmoji export` (or set model.path in config.yaml)",
        )
    return DEFAULT_MODEL_DIR
