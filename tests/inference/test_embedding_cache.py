"""Saved embeddings: read back when model and texts match, recomputed otherwise."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from moodmoji.inference.embedding_cache import EmbeddingCache, FloatArray, texts_key, user_cache_dir

TEXTS = ["pizza", "a birthday cake", "🐶"]


class Counting:
    """An embedder that counts its calls and returns one distinct row per text."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, texts: Sequence[str]) -> FloatArray:
        self.calls += 1
        return np.arange(len(texts) * 4, dtype=np.float32).reshape(len(texts), 4) + self.calls


def test_key_depends_on_model_texts_and_order() -> None:
    key = texts_key("model-a", TEXTS)
    assert key == texts_key("model-a", list(TEXTS))
    assert key != texts_key("model-b", TEXTS)
    assert key != texts_key("model-a", TEXTS[::-1])
    assert key != texts_key("model-a", ["pizzaa birthday cake", "🐶"])  # no ambiguous joins


def test_computed_once_then_read_back(tmp_path: Path) -> None:
    cache = EmbeddingCache("m", tmp_path / "shipped", tmp_path / "user")
    embed = Counting()
    first = cache.embed(TEXTS, embed)
    again = cache.embed(TEXTS, embed)
    assert embed.calls == 1
    np.testing.assert_array_equal(first, again)
    assert (tmp_path / "user" / f"{texts_key('m', TEXTS)}.npy").is_file()


def test_shipped_vectors_win(tmp_path: Path) -> None:
    shipped = EmbeddingCache("m", tmp_path / "shipped")
    vectors = np.ones((3, 4), dtype=np.float32)
    path = shipped.write_shipped(TEXTS, vectors)
    assert path.parent == tmp_path / "shipped"
    embed = Counting()
    found = EmbeddingCache("m", tmp_path / "shipped", tmp_path / "user").embed(TEXTS, embed)
    assert embed.calls == 0
    np.testing.assert_array_equal(found, vectors)


def test_another_model_recomputes(tmp_path: Path) -> None:
    embed = Counting()
    EmbeddingCache("m1", None, tmp_path).embed(TEXTS, embed)
    EmbeddingCache("m2", None, tmp_path).embed(TEXTS, embed)
    assert embed.calls == 2


@pytest.mark.parametrize(
    "content",
    [b"not a numpy file", None],
    ids=["corrupt", "wrong-shape"],
)
def test_bad_files_are_ignored_and_replaced(
    tmp_path: Path, content: bytes | None, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / f"{texts_key('m', TEXTS)}.npy"
    if content is None:
        np.save(path, np.zeros((2, 4), dtype=np.float32))
    else:
        path.write_bytes(content)
    embed = Counting()
    with caplog.at_level(logging.WARNING):
        found = EmbeddingCache("m", None, tmp_path).embed(TEXTS, embed)
    assert embed.calls == 1 and found.shape == (3, 4)
    assert "ignoring" in caplog.text
    assert np.load(path).shape == (3, 4)  # replaced by the good vectors


def test_unwritable_cache_still_embeds(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING):
        found = EmbeddingCache("m", None, blocker / "sub").embed(TEXTS, Counting())
    assert found.shape == (3, 4)
    assert "could not save embeddings" in caplog.text
    assert not any(p.suffix == ".tmp" for p in tmp_path.iterdir())


def test_user_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOODMOJI_CACHE_DIR", "/somewhere/mm")
    assert user_cache_dir() == Path("/somewhere/mm")
    monkeypatch.delenv("MOODMOJI_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert user_cache_dir() == Path("/xdg/moodmoji")
