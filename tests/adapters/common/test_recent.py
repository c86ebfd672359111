"""Recent decisions are kept per message, bounded, and can be dropped per chat."""

from __future__ import annotations

from moodmoji.adapters.common.recent import RecentDecisions
from moodmoji.bot.decision import Decision


def test_remember_get_and_bound() -> None:
    recent = RecentDecisions(maxlen=2)
    first, second, third = Decision.skip("a", "x"), Decision.skip("b", "y"), Decision()
    recent.remember("telegram", "1", "10", first)
    recent.remember("telegram", "1", "11", second)
    assert recent.get("telegram", "1", "10") is first
    recent.remember("telegram", "2", "12", third)
    assert len(recent) == 2
    assert recent.get("telegram", "1", "10") is None
    assert recent.get("telegram", 1, 11) is second  # type: ignore[arg-type]
    recent.forget_chat("telegram", "1")
    assert recent.get("telegram", "1", "11") is None
    assert recent.get("telegram", "2", "12") is third
