"""A burst of Telegram updates through moodmoji: throughput, peak queue length, stale drops.

The real PTB Application polls our Bot API server on 127.0.0.1, which holds a burst of message
updates (some deliberately older than ``stale_after_s``); moodmoji queues, decides and reacts
with the real default model and a real SQLite store, at the config's default settings.

Usage (from the repository root)::

    python -m tests.adapters.telegram.burst [--updates 1000] [--stale 100] [--chats 20]
        [--queue-size 1024] [--workers 8]

Prints one line of figures and one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from moodmoji.adapters.telegram import TelegramMoodmoji
from tests.adapters.telegram.fake_bot_api import FakeBotAPI
from tests.adapters.telegram.harness import TOKEN, running

TEXTS = (
    "We won the championship!!!",
    "I love you all so much",
    "The meeting moved to 3pm",
    "My grandmother passed away last night.",
    "This pizza is absolutely incredible",
    "Thank you so much for your help!",
    "can't believe they cancelled the show again, so annoying",
    "lol that's hilarious 😂😂",
    "I'm scared about the exam tomorrow",
    "Happy birthday to my best friend!",
)


@dataclass(frozen=True)
class BurstFigures:
    """What a burst measured.

    Attributes:
        updates: Updates in the burst.
        stale_sent: How many of them were older than ``stale_after_s`` when sent.
        seconds: From the first update arriving at the server until all were handled.
        updates_per_s: ``updates / seconds`` (each update decided or dropped).
        decided_per_s: ``processed / seconds``.
        queue_size: The reaction queue's bound.
        peak_queue: Most messages ever waiting in it.
        peak_ptb_queue: Most updates seen waiting in PTB's own update queue (sampled).
        processed: Messages decided.
        dropped_stale: Messages dropped as stale.
        dropped_full: Messages dropped because the queue was full.
        failed: Messages whose handling raised.
        reactions: Reactions Telegram accepted.
        reacted_twice: Messages that got more than one reaction (must be 0).
        stale_reacted: Stale messages that got a reaction (must be 0).

    """

    updates: int
    stale_sent: int
    seconds: float
    updates_per_s: float
    decided_per_s: float
    queue_size: int
    peak_queue: int
    peak_ptb_queue: int
    processed: int
    dropped_stale: int
    dropped_full: int
    failed: int
    reactions: int
    reacted_twice: int
    stale_reacted: int

    def line(self) -> str:
        """The figures in one line."""
        return (
            f"telegram burst: {self.updates} updates in {self.seconds:.2f} s = "
            f"{self.updates_per_s:.0f} updates/s ({self.decided_per_s:.0f} decided/s); "
            f"peak queue {self.peak_queue}/{self.queue_size} "
            f"(PTB's {self.peak_ptb_queue}); processed {self.processed}, dropped as stale "
            f"{self.dropped_stale} (of {self.stale_sent} sent stale), dropped (queue full) "
            f"{self.dropped_full}, reactions {self.reactions}"
        )


async def run_burst(
    fake: FakeBotAPI,
    moodmoji: TelegramMoodmoji,
    *,
    updates: int = 1000,
    stale: int = 100,
    chats: int = 20,
    timeout: float = 120.0,
) -> BurstFigures:
    """Sends ``updates`` messages at once (every ``updates // stale``-th one old) and measures."""
    chat_ids = [-(10_000 + i) for i in range(chats)]
    for chat_id in chat_ids:
        fake.add_chat(chat_id)
    every = max(1, updates // stale) if stale else 0
    old = time.time() - 2 * moodmoji.settings.stale_after_s
    peak_ptb = 0
    stale_ids: set[tuple[int, int]] = set()
    async with running(fake, moodmoji, drain_s=timeout) as app:
        stop = asyncio.Event()

        async def sample() -> None:
            nonlocal peak_ptb
            while not stop.is_set():
                peak_ptb = max(peak_ptb, app.update_queue.qsize())
                await asyncio.sleep(0.002)

        sampler = asyncio.create_task(sample())
        started = time.perf_counter()
        for i in range(updates):
            chat_id = chat_ids[i % chats]
            is_stale = bool(every) and i % every == every - 1 and len(stale_ids) < stale
            message = fake.send(
                chat_id, 7000 + i % 97, TEXTS[i % len(TEXTS)], date=old if is_stale else None
            )
            if is_stale:
                stale_ids.add((chat_id, message))
        await fake.wait_for(
            lambda: moodmoji.stats.reactions.offered >= updates, timeout=timeout, what="dispatch"
        )
        await moodmoji.join()
        seconds = time.perf_counter() - started
        stop.set()
        await sampler
    stats = moodmoji.stats
    queue = stats.reactions
    counts = Counter(key for key, emoji in fake.reactions.items() for _ in emoji)
    return BurstFigures(
        updates=updates,
        stale_sent=len(stale_ids),
        seconds=round(seconds, 3),
        updates_per_s=round(updates / seconds, 1),
        decided_per_s=round(queue.processed / seconds, 1),
        queue_size=moodmoji.settings.queue_size,
        peak_queue=queue.peak_length,
        peak_ptb_queue=peak_ptb,
        processed=queue.processed,
        dropped_stale=queue.dropped_stale,
        dropped_full=queue.dropped_full,
        failed=queue.failed,
        reactions=stats.reactions_sent,
        reacted_twice=sum(1 for n in counts.values() if n > 1),
        stale_reacted=len(stale_ids & set(fake.reactions)),
    )


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    from moodmoji.bot.config import Config

    with tempfile.TemporaryDirectory() as tmp:
        config = Config.model_validate({"store": {"path": str(Path(tmp) / "burst.sqlite3")}})
        moodmoji = TelegramMoodmoji.from_config(config)
        moodmoji = TelegramMoodmoji(
            moodmoji.moodbot,
            replace(moodmoji.settings, queue_size=args.queue_size, workers=args.workers),
            owns_bot=True,
        )
        fake = FakeBotAPI(TOKEN)
        await fake.start()
        try:
            figures = await run_burst(
                fake, moodmoji, updates=args.updates, stale=args.stale, chats=args.chats
            )
        finally:
            await fake.close()
    print(figures.line())
    return asdict(figures)


def main() -> None:
    """Runs one burst and prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--stale", type=int, default=100, help="how many are sent already stale")
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--queue-size", type=int, default=1024, help="telegram.queue_size")
    parser.add_argument("--workers", type=int, default=8, help="telegram.workers")
    print(json.dumps(asyncio.run(_main(parser.parse_args()))))


if __name__ == "__main__":
    main()
