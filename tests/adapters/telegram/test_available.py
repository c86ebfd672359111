"""The per-chat cache of allowed reactions."""

from __future__ import annotations

import asyncio

import pytest
from telegram import ReactionTypeCustomEmoji, ReactionTypeEmoji, ReactionTypePaid

from moodmoji.adapters.telegram.available import Allowed, AvailableReactions, emoji_set


def test_emoji_set_keeps_emoji_reactions_only() -> None:
    reactions = [ReactionTypeEmoji("👍"), ReactionTypeCustomEmoji("123"), ReactionTypePaid()]
    assert emoji_set(reactions) == frozenset({"👍"})
    assert emoji_set([ReactionTypeCustomEmoji("123")]) == frozenset()  # nothing we may send
    assert emoji_set(None) is None
    assert emoji_set(()) is None  # PTB's form of "omitted": all allowed


async def test_answers_are_cached_for_the_ttl() -> None:
    now = [0.0]
    cache = AvailableReactions(600, clock=lambda: now[0])
    answers: list[Allowed] = [frozenset({"👍"}), None]

    async def fetch() -> Allowed:
        return answers.pop(0)

    assert await cache.get(1, fetch) == frozenset({"👍"})
    now[0] = 599
    assert await cache.get(1, fetch) == frozenset({"👍"})
    now[0] = 601
    assert await cache.get(1, fetch) is None
    assert cache.fetches == 2
    cache.forget(1)
    assert len(cache) == 0


async def test_concurrent_lookups_share_one_fetch_and_errors_are_not_cached() -> None:
    cache = AvailableReactions(600)
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow() -> Allowed:
        started.set()
        await release.wait()
        return frozenset({"🔥"})

    first = asyncio.create_task(cache.get(7, slow))
    await started.wait()
    second = asyncio.create_task(cache.get(7, slow))
    await asyncio.sleep(0)
    release.set()
    assert await first == await second == frozenset({"🔥"})
    assert cache.fetches == 1

    async def failing() -> Allowed:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await cache.get(8, failing)
    assert await cache.get(8, slow) == frozenset({"🔥"})
