"""py3langid's model from an unpacked copy in the user cache: the same identifier, array for
array, as py3langid's own load; a missing, corrupt or unwritable cache costs only time."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from moodmoji.inference.langid_model import CACHE_SUBDIR, cache_file, load_identifier, packed_model

TEXTS = [
    "thanks so much for the help yesterday!",
    "Спасибо большое, ты меня очень выручил",
    "Дякую, що допоміг мені вчора",
    "今日はとても楽しかったです",
    "¿Vienes a la fiesta del sábado?",
    "",
    "🎉🎉",
]


@pytest.fixture(scope="module")
def reference() -> LanguageIdentifier:
    """py3langid's own load of its model, as it was before the cache."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)


def _same(a: LanguageIdentifier, b: LanguageIdentifier) -> None:
    assert a.nb_classes == b.nb_classes
    assert np.array_equal(a.nb_ptc, b.nb_ptc) and a.nb_ptc.dtype == b.nb_ptc.dtype
    assert np.array_equal(a.nb_pc, b.nb_pc)
    assert a.tk_nextmove == b.tk_nextmove and a.tk_nextmove.typecode == b.tk_nextmove.typecode
    assert a.tk_row == b.tk_row and a.tk_row.typecode == b.tk_row.typecode
    assert a.tk_output == b.tk_output
    for text in TEXTS:
        assert np.array_equal(a._decide(text), b._decide(text))


def test_the_first_load_writes_the_copy_and_the_second_reads_it(
    tmp_path: Path, reference: LanguageIdentifier
) -> None:
    copy = cache_file(packed_model(), tmp_path)
    assert copy.parent == tmp_path / CACHE_SUBDIR
    assert not copy.exists()
    assert copy.name.startswith("py3langid-")
    first = load_identifier(tmp_path)
    assert copy.is_dir()
    written = {p.name: p.stat().st_mtime_ns for p in copy.iterdir()}
    second = load_identifier(tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in copy.iterdir()} == written  # only read
    _same(first, reference)
    _same(second, reference)
    assert [p.name for p in copy.parent.iterdir()] == [copy.name]  # no temporary folder left


@pytest.mark.parametrize(
    ("damage", "name"),
    [
        ("truncate", "nextmove.bin"),
        ("garble", "ptc.npy"),
        ("remove", "sizes.json"),
        ("garble", "classes.json"),
    ],
)
def test_a_damaged_copy_is_reported_and_replaced(
    tmp_path: Path,
    reference: LanguageIdentifier,
    caplog: pytest.LogCaptureFixture,
    damage: str,
    name: str,
) -> None:
    copy = cache_file(packed_model(), tmp_path)
    load_identifier(tmp_path)
    target = copy / name
    if damage == "truncate":
        with target.open("r+b") as stream:
            stream.truncate(target.stat().st_size // 2)
    elif damage == "garble":
        target.write_bytes(b"\x93NUMPY not what it says")
    else:
        target.unlink()
    with caplog.at_level(logging.WARNING, logger="moodmoji.inference.langid_model"):
        identifier = load_identifier(tmp_path)
    _same(identifier, reference)
    assert "cannot be read" in caplog.text
    assert (copy / "nextmove.bin").stat().st_size > 10_000_000  # written again, whole
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="moodmoji.inference.langid_model"):
        _same(load_identifier(tmp_path), reference)
    assert caplog.text == ""


def test_an_unwritable_cache_still_gives_the_model(
    tmp_path: Path, reference: LanguageIdentifier
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    _same(load_identifier(blocked), reference)
