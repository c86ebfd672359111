"""The micro-batcher in front of the real engine: same answers, fewer ORT runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from moodmoji.inference.batcher import MicroBatcher
from moodmoji.inference.engine import Engine
from moodmoji.inference.settings import BatchSettings

WORDS = ["happy", "sad", "angry", "scared", "thanks", "yay we won", "funeral", "", "🎉", "meeting"]


async def test_200_concurrent_requests_match_one_by_one(tiny_bundle: Path) -> None:
    texts = [f"{WORDS[i % len(WORDS)]} {'so ' * (i % 7)}today" for i in range(200)]
    reference_engine = Engine.from_path(tiny_bundle)
    expected = [reference_engine.predict_one(t) for t in texts]
    assert reference_engine.runs == 200

    engine = Engine.from_path(tiny_bundle)
    async with MicroBatcher(engine.predict, BatchSettings(max_batch_size=32, max_wait_ms=5)) as b:
        results = await asyncio.gather(*(b.submit(t) for t in texts))
        stats = b.stats

    largest = stats.max_batch_seen
    print(f"\n200 concurrent requests -> {engine.runs} ORT runs (largest batch {largest})")
    assert engine.runs == stats.runs < 200 / 4
    assert stats.max_batch_seen <= 32
    for got, want in zip(results, expected, strict=True):
        assert got.tokens == want.tokens
        for head in ("emotion", "tags"):
            assert got[head].predicted == want[head].predicted
            for a, b_ in zip(got[head].scores, want[head].scores, strict=True):
                assert a.label == b_.label and abs(a.score - b_.score) < 1e-5
