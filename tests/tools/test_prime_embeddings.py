"""The default bundle ships the embeddings of this release's vocabulary and reply bank."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np

from moodmoji.bot.suggestions import ReplyBank
from moodmoji.inference.analyzer import Analyzer
from moodmoji.inference.default_model import DEFAULT_MODEL_DIR
from moodmoji.inference.embedding_cache import BUNDLE_CACHE_DIR
from moodmoji.inference.vocabulary import EmojiVocabulary
from moodmoji.tools.prime_embeddings import main, shipped_is_current, text_sets


def _model_key(analyzer: Analyzer) -> str:
    assert analyzer.cache is not None
    return analyzer.cache.model


def test_default_bundle_ships_current_embeddings(default_analyzer: Analyzer) -> None:
    """Fails when the model, vocabulary or reply bank changed without re-priming.

    Fix: ``python -m moodmoji.tools.prime_embeddings``, then commit
    inference/models/default/embeddings.
    """
    assert shipped_is_current(DEFAULT_MODEL_DIR, _model_key(default_analyzer))


def test_shipped_vectors_equal_freshly_computed_ones(default_analyzer: Analyzer) -> None:
    vocabulary, bank = text_sets(EmojiVocabulary.load(), ReplyBank.load())
    assert default_analyzer.cache is not None
    some = bank[:40]  # a prefix is another text set: computed, not read
    whole = default_analyzer.embed_set(bank)
    np.testing.assert_allclose(whole[:40], default_analyzer.embed(some), atol=1e-5)
    assert len(vocabulary) == len(EmojiVocabulary.load().entries)


def test_prime_writes_into_a_bundle_and_drops_stale_files(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(DEFAULT_MODEL_DIR, bundle)
    stale = bundle / BUNDLE_CACHE_DIR / "0123.npy"
    stale.write_bytes(b"old")
    for path in (bundle / BUNDLE_CACHE_DIR).glob("*.npy"):
        if path != stale:
            path.unlink()
    assert main([str(bundle)]) == 0
    written = sorted(p.name for p in (bundle / BUNDLE_CACHE_DIR).glob("*.npy"))
    shipped = sorted(p.name for p in (DEFAULT_MODEL_DIR / BUNDLE_CACHE_DIR).glob("*.npy"))
    assert written == shipped and not stale.exists()
    for name in written:
        digest = hashlib.sha256((bundle / BUNDLE_CACHE_DIR / name).read_bytes()).hexdigest()
        assert (
            digest
            == hashlib.sha256(
                (DEFAULT_MODEL_DIR / BUNDLE_CACHE_DIR / name).read_bytes()
            ).hexdigest()
        )
