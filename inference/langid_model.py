"""py3langid's model, kept uncompressed in the user cache so that a start does not unpack it.

py3langid ships its model LZMA-compressed inside the wheel (``data/model.npz.xz``, 3 MB) and
unpacks it on every load: about 0.5 s of CPU on the project's 2-core machine, the largest part
of language identification's share of a cold start. The unpacked arrays depend only on that
file, so the first load writes them, uncompressed, to the user cache
(:func:`inference.embedding_cache.user_cache_dir`, ``langid/``, 69 MB) in a folder named by a
digest of the compressed file, and later loads read them back (about 0.1 s), each table straight
into its final array. Writing is best effort and atomic (a whole folder or none); a copy that
cannot be read is logged, removed and written again; the identifier built either way is the
same, array for array.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from array import array
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from moodmoji.inference.embedding_cache import user_cache_dir

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

logger = logging.getLogger(__name__)

CACHE_SUBDIR = "langid"
"""Folder of the user cache that holds the unpacked models."""


def packed_model() -> Path:
    """The compressed model file inside the installed py3langid."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    path = Path(MODEL_FILE)
    return path if path.is_absolute() else Path(MODEL_DIR) / path


def cache_file(packed: Path, cache_dir: Path) -> Path:
    """The folder that holds the unpacked copy of ``packed`` in ``cache_dir``."""
    digest = hashlib.sha256(packed.read_bytes()).hexdigest()[:24]
    return cache_dir / CACHE_SUBDIR / f"py3langid-{digest}"


def load_identifier(cache_dir: Path | None = None) -> LanguageIdentifier:
    """py3langid's identifier over all of its languages, raw scores (``norm_probs=False``).

    Args:
        cache_dir: The user cache; default :func:`user_cache_dir`.

    Returns:
        The identifier, from the unpacked copy when one is there, else from py3langid's own file
        (and the copy is written for the next start).
    """
    from py3langid.langid import LanguageIdentifier
    from py3langid.modelio import load_model

    packed = packed_model()
    try:
        cached = cache_file(packed, cache_dir or user_cache_dir())
    except OSError as exc:  # py3langid's own load below reports a missing file
        logger.debug("the language model's digest cannot be read (%s)", type(exc).__name__)
        cached = None
    parts = _read(cached) if cached is not None else None
    if parts is None:
        parts = load_model(packed)
        if cached is not None:
            _write(cached, parts)
    ptc, pc, classes, nextmove, row, output = parts
    return LanguageIdentifier(
        np.asarray(ptc), np.asarray(pc), classes, nextmove, output, norm_probs=False, tk_row=row
    )


# The files of an unpacked copy. The DFA tables are raw machine words, read straight into the
# ``array`` py3langid walks, and the arrays are ``.npy`` files read straight into numpy: no
# second copy of the 37 MB and 28 MB tables is ever made, so loading adds nothing to the
# process's peak memory beyond the tables themselves.
_PTC, _PC, _OUTPUT, _CLASSES = "ptc.npy", "pc.npy", "output.npy", "classes.json"
_NEXTMOVE, _ROW = "nextmove.bin", "row.bin"
_SIZES = "sizes.json"


def _read(folder: Path) -> tuple[Any, ...] | None:
    """The model's parts from an unpacked copy, or None when there is none or it is unusable."""
    if not folder.is_dir():
        return None
    try:
        sizes = json.loads((folder / _SIZES).read_text(encoding="utf-8"))
        ptc = np.load(folder / _PTC, allow_pickle=False)
        pc = np.load(folder / _PC, allow_pickle=False)
        output = np.load(folder / _OUTPUT, allow_pickle=False).tolist()
        classes = json.loads((folder / _CLASSES).read_text(encoding="utf-8"))
        nextmove = _read_table(folder / _NEXTMOVE, sizes["nextmove"])
        row = _read_table(folder / _ROW, sizes["row"])
        if not (isinstance(classes, list) and ptc.shape == (ptc.shape[0], len(classes))):
            raise ValueError("the tables do not fit together")
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
        logger.warning(
            "the unpacked language model in the cache cannot be read (%s); unpacking it again",
            type(exc).__name__,
        )
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return ptc, pc, [str(c) for c in classes], nextmove, row, output


def _read_table(path: Path, size: dict[str, Any]) -> array[int]:
    """A DFA table written by :func:`_write`, read into an ``array`` of its type code."""
    table = array(str(size["typecode"]), [0]) * int(size["length"])
    with path.open("rb") as stream:
        # into the array's own memory: array.fromfile would read a bytes copy first
        filled = stream.readinto(memoryview(table).cast("B"))
        if filled != len(table) * table.itemsize:
            raise EOFError(f"{path.name} is shorter than its table")
        if stream.read(1):
            raise ValueError(f"{path.name} is longer than its table")
    return table


def _write(folder: Path, parts: tuple[Any, ...]) -> None:
    """Writes the parts into ``folder`` (a complete folder or none); failures are logged."""
    ptc, pc, classes, nextmove, row, output = parts
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".unpacking-"))
        try:
            np.save(tmp / _PTC, np.asarray(ptc), allow_pickle=False)
            np.save(tmp / _PC, np.asarray(pc), allow_pickle=False)
            np.save(tmp / _OUTPUT, np.asarray(output, dtype=np.int64), allow_pickle=False)
            (tmp / _CLASSES).write_text(json.dumps(list(classes)), encoding="utf-8")
            sizes = {}
            for name, table, key in ((_NEXTMOVE, nextmove, "nextmove"), (_ROW, row, "row")):
                with (tmp / name).open("wb") as stream:
                    table.tofile(stream)
                sizes[key] = {"typecode": table.typecode, "length": len(table)}
            (tmp / _SIZES).write_text(json.dumps(sizes), encoding="utf-8")
            tmp.rename(folder)  # atomic; fails if another process got there first
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        logger.info("the unpacked language model was not cached (%s)", type(exc).__name__)
