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


MULTILINGUAL_MODEL_DIR = Path(__file__).resolve().parent / "models" / "multilingual"


def resolve_multilingual_dir(path: Path | str | None) -> Path | None:
    """Returns the multilingual bundle directory to load, if there is one.

    Args:
        path: A bundle directory chosen by the user, or ``None`` for the embedded one.

    Returns:
        The directory, or ``None`` when ``path`` is ``None`` and this build carries no
        multilingual bundle (messages in every language then go to the default model).

    Raises:
        BundleError: ``path`` holds no bundle (the message names the manifest file).
    """
    if path is not None:
        chosen = Path(path)
        if not (chosen / MANIFEST_FILE).is_file():
            raise BundleError(chosen / MANIFEST_FILE, "no multilingual model bundle here")
        return chosen
    if (MULTILINGUAL_MODEL_DIR / MANIFEST_FILE).is_file():
        return MULTILINGUAL_MODEL_DIR
    return None
