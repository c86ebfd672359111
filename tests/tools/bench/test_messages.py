"""The fixed benchmark messages: a few hundred varied chat messages."""

from __future__ import annotations

from statistics import median

from tokenizers import Tokenizer

from moodmoji.inference.default_model import DEFAULT_MODEL_DIR
from moodmoji.tools.bench.messages import describe, load_messages

KINDS = {"short", "medium", "long", "very_long", "emoji", "other_script", "odd"}


def test_a_few_hundred_unique_messages_of_every_kind() -> None:
    messages = load_messages()
    assert 300 <= len(messages) <= 500
    assert len({m.text for m in messages}) == len(messages)
    assert all(m.text.strip() for m in messages)
    assert set(describe(messages)) == KINDS


def test_lengths_vary_like_chat() -> None:
    tokenizer = Tokenizer.from_file(str(DEFAULT_MODEL_DIR / "tokenizer.json"))
    tokenizer.no_truncation()
    lengths = sorted(len(tokenizer.encode(m.text).ids) for m in load_messages())
    assert 10 <= median(lengths) <= 25  # mostly short
    assert lengths[int(0.9 * len(lengths))] >= 40  # a long tail
    assert lengths[-1] > 128  # some are cut at the default model's max_length
