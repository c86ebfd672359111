"""Saved embeddings of fixed text sets, so a start does not re-embed them.

Two sets are embedded whenever a bot starts: the emoji vocabulary's phrases (topical matching)
and the reply bank's examples and replies (suggestions), about 4,000 texts. On two cores that
took seconds, most of a cold start. Their embeddings depend only on the model and the texts, so
they are saved as ``.npy`` files named by a digest of both:

* ``<bundle>/embeddings/`` holds the files a bundle ships with (the embedded default model ships
  the vocabulary and reply bank of this release;
  ``python -m moodmoji.tools.prime_embeddings`` writes them);
* the user cache directory (``$MOODMOJI_CACHE_DIR``, else ``$XDG_CACHE_HOME/moodmoji``, else
  ``~/.cache/moodmoji``) receives the sets computed at run time, best effort.

A file whose shape does not fit is ignored and recomputed. Only digests and counts are logged.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]

BUNDLE_CACHE_DIR = "embeddings"
"""Folder of a bundle that holds the embeddings it ships with."""


def user_cache_dir() -> Path:
    """The per-user cache directory of moodmoji (not created here)."""
    explicit = os.environ.get("MOODMOJI_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "moodmoji"


def texts_key(model: str, texts: Sequence[str]) -> str:
    """The file stem for ``texts`` embedded by the model with fingerprint ``model``."""
    digest = hashlib.sha256(model.encode("ascii"))
    for text in texts:
        digest.update(b"\x00" + text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:40]


@dataclass(frozen=True)
class EmbeddingCache:
    """Where saved embeddings are looked up and written.

    Attributes:
        model: The fingerprint of the model that embeds (see ``ModelBundle.fingerprint``).
        shipped: Read-only folder of embeddings shipped with the bundle.
        writable: Folder receiving newly computed sets; ``None`` writes nothing.

    """

    model: str
    shipped: Path | None = None
    writable: Path | None = None

    @classmethod
    def for_bundle(cls, bundle_dir: Path, model: str) -> EmbeddingCache:
        """The cache of a bundle: its shipped folder, then the user cache directory."""
        return cls(model, bundle_dir / BUNDLE_CACHE_DIR, user_cache_dir() / BUNDLE_CACHE_DIR)

    def embed(
        self, texts: Sequence[str], compute: Callable[[Sequence[str]], FloatArray]
    ) -> FloatArray:
        """The embeddings of ``texts``: saved ones when present, else computed and saved.

        Args:
            texts: The texts, in order.
            compute: Embeds texts (one row per text) when nothing fits.

        Returns:
            One row per text.

        """
        key = texts_key(self.model, texts)
        for folder in (self.shipped, self.writable):
            found = _read(folder / f"{key}.npy", len(texts)) if folder is not None else None
            if found is not None:
                logger.debug("embeddings of %d texts read from %s", len(texts), folder)
                return found
        vectors = np.ascontiguousarray(compute(texts), dtype=np.float32)
        if self.writable is not None:
            _write(self.writable / f"{key}.npy", vectors)
        return vectors

    def write_shipped(self, texts: Sequence[str], vectors: FloatArray) -> Path:
        """Saves embeddings into the bundle's shipped folder (used when preparing a release)."""
        if self.shipped is None:
            raise ValueError("this cache has no shipped folder")
        path = self.shipped / f"{texts_key(self.model, texts)}.npy"
        _write(path, np.ascontiguousarray(vectors, dtype=np.float32), strict=True)
        return path


def _read(path: Path, rows: int) -> FloatArray | None:
    try:
        vectors = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("ignoring unreadable saved embeddings %s (%s)", path, type(exc).__name__)
        return None
    if vectors.dtype != np.float32 or vectors.ndim != 2 or vectors.shape[0] != rows:
        logger.warning("ignoring saved embeddings %s of shape %s", path, vectors.shape)
        return None
    if not np.isfinite(vectors).all():
        logger.warning("ignoring saved embeddings %s with non-finite values", path)
        return None
    out: FloatArray = vectors
    return out


def _write(path: Path, vectors: FloatArray, *, strict: bool = False) -> None:
    """Writes atomically (a temporary file, then a rename); failures are logged unless strict."""
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as stream:
            tmp = Path(stream.name)
            np.save(stream, vectors, allow_pickle=False)
        tmp.chmod(0o644)  # a cache, readable like the bundle files next to it
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        if strict:
            raise
        logger.warning("could not save embeddings to %s (%s)", path.parent, exc.strerror)
