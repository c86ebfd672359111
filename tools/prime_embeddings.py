"""Writes the embeddings a bundle ships with: the emoji vocabulary's phrases and the reply bank.

A bot embeds both sets at every start; a bundle that ships them starts in well under a second
instead of seconds (see :mod:`inference.embedding_cache`). Run after changing the default model,
the vocabulary or the reply bank (a test fails while the shipped files are stale)::

    python -m moodmoji.tools.prime_embeddings [BUNDLE_DIR]

Files of earlier sets in the bundle's ``embeddings/`` folder are removed.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from moodmoji.bot.suggestions import ReplyBank, bank_texts
from moodmoji.inference.analyzer import Analyzer
from moodmoji.inference.default_model import resolve_model_dir
from moodmoji.inference.embedding_cache import BUNDLE_CACHE_DIR, texts_key
from moodmoji.inference.engine import Engine
from moodmoji.inference.vocabulary import EmojiVocabulary

logger = logging.getLogger(__name__)


def text_sets(vocabulary: EmojiVocabulary, bank: ReplyBank) -> list[list[str]]:
    """The fixed text sets a bot embeds at start, in the order it embeds them."""
    return [[entry.phrase() for entry in vocabulary], bank_texts(bank)]


def prime(bundle_dir: Path) -> list[Path]:
    """Embeds the packaged vocabulary and reply bank with a bundle and saves them in it.

    Returns:
        The files written.

    """
    analyzer = Analyzer.from_engine(Engine.from_path(bundle_dir))
    assert analyzer.cache is not None
    cache = dataclasses.replace(analyzer.cache, writable=None)
    shipped = cache.shipped
    assert shipped is not None
    written = []
    for texts in text_sets(analyzer.ranker.vocabulary, ReplyBank.load()):
        written.append(cache.write_shipped(texts, analyzer.embed(texts)))
    for stale in set(shipped.glob("*.npy")) - set(written):
        stale.unlink()
    return written


def shipped_is_current(bundle_dir: Path, model: str) -> bool:
    """Whether the bundle ships the embeddings of the packaged vocabulary and reply bank."""
    folder = bundle_dir / BUNDLE_CACHE_DIR
    sets = text_sets(EmojiVocabulary.load(), ReplyBank.load())
    return all((folder / f"{texts_key(model, texts)}.npy").is_file() for texts in sets)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", nargs="?", type=Path, help="bundle directory (default model)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for path in prime(resolve_model_dir(args.bundle)):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
