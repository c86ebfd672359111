"""Refusing chats are left alone for a while, then tried again."""

from __future__ import annotations

from moodmoji.adapters.common.refusals import RefusalMemory


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_refusal_is_remembered_until_its_ttl_passes() -> None:
    clock = Clock()
    memory = RefusalMemory(3600, clock=clock)
    assert memory.refused("chat-1") is None
    memory.refuse("chat-1", "403 Forbidden")
    clock.now = 3599
    assert memory.refused("chat-1") == "403 Forbidden"
    assert memory.refused("chat-2") is None
    clock.now = 3600
    assert memory.refused("chat-1") is None
    assert len(memory) == 0


def test_forgive_and_zero_ttl() -> None:
    memory = RefusalMemory(60)
    memory.refuse("c", "missing permission")
    memory.forgive("c")
    assert memory.refused("c") is None
    never = RefusalMemory(0)
    never.refuse("c", "403")
    assert never.refused("c") is None


def test_memory_is_bounded_oldest_first() -> None:
    memory = RefusalMemory(60, max_entries=3)
    for i in range(5):
        memory.refuse(f"c{i}", "403")
    assert len(memory) == 3
    assert memory.refused("c0") is None
    assert memory.refused("c4") == "403"
