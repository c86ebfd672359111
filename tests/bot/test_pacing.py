"""Cooldowns and budgets, driven by an injected clock."""

from __future__ import annotations

import pytest

from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.pacing import Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def react_if_allowed(pacer: Pacer, chat: str, user: str, settings: ChatSettings) -> str | None:
    """One message flowing past: observe it, then react unless held. Returns the rule."""
    pacer.observe(chat, settings)
    held = pacer.hold(chat, user, settings)
    if held is None:
        pacer.record(chat, user)
        return None
    return held.rule


NO_LIMITS = ChatSettings(
    chat_cooldown_s=0, user_cooldown_s=0, budget_reactions=10_000, budget_share=1.0
)


@pytest.mark.parametrize(
    "settings, steps, expected",
    [
        # chat cooldown 20 s: messages every 5 s from different people
        (
            NO_LIMITS.with_overrides({"chat_cooldown_s": 20}),
            [(5, "a"), (5, "b"), (5, "c"), (5, "d"), (5, "e")],
            [None, "chat-cooldown", "chat-cooldown", "chat-cooldown", None],
        ),
        # user cooldown 60 s: the same person every 30 s, someone else in between
        (
            NO_LIMITS.with_overrides({"user_cooldown_s": 60}),
            [(0, "a"), (30, "a"), (1, "b"), (29, "a"), (30, "a")],
            [None, "user-cooldown", None, None, "user-cooldown"],
        ),
        # budget: 2 reactions per 100 s
        (
            NO_LIMITS.with_overrides({"budget_reactions": 2, "budget_window_s": 100}),
            [(0, "a"), (10, "b"), (10, "c"), (81, "d"), (10, "e")],
            [None, None, "budget", None, None],
        ),
    ],
)
def test_pacing_table(
    settings: ChatSettings, steps: list[tuple[float, str]], expected: list[str | None]
) -> None:
    clock = Clock()
    pacer = Pacer(clock)
    got = []
    for advance, user in steps:
        clock.now += advance
        got.append(react_if_allowed(pacer, "chat", user, settings))
    assert got == expected


def test_a_fast_chat_never_gets_a_reaction_on_every_message() -> None:
    clock = Clock()
    pacer = Pacer(clock)
    settings = ChatSettings()  # the shipped defaults
    reacted = 0
    for i in range(600):  # a message every second for ten minutes, ten people
        clock.now += 1
        reacted += react_if_allowed(pacer, "busy", f"user{i % 10}", settings) is None
    assert 1 <= reacted <= settings.budget_reactions
    # a quiet chat (a message every 3 minutes) gets a reaction on at most a quarter
    quiet = Pacer(clock)
    quiet_reacted = 0
    for i in range(40):
        clock.now += 180
        quiet_reacted += react_if_allowed(quiet, "quiet", f"user{i % 3}", settings) is None
    assert 1 <= quiet_reacted <= 40 * settings.budget_share + 1


def test_share_budget_allows_one_reaction_then_scales_with_messages() -> None:
    clock = Clock()
    pacer = Pacer(clock)
    settings = NO_LIMITS.with_overrides({"budget_share": 0.5, "budget_window_s": 1000})
    got = []
    for i in range(6):
        clock.now += 1
        got.append(react_if_allowed(pacer, "c", f"u{i}", settings))
    # reactions so far may not pass max(1, floor(0.5 * messages seen)): 1, 1, 1, 2, 2, 3
    assert got == [None, "share", "share", None, "share", None]


def test_chats_are_paced_separately() -> None:
    clock = Clock()
    pacer = Pacer(clock)
    settings = NO_LIMITS.with_overrides({"chat_cooldown_s": 60})
    assert react_if_allowed(pacer, "one", "a", settings) is None
    assert react_if_allowed(pacer, "two", "a", settings) is None
    assert react_if_allowed(pacer, "one", "b", settings) == "chat-cooldown"


def test_the_window_slides_and_old_state_is_dropped() -> None:
    clock = Clock()
    pacer = Pacer(clock, max_chats=3)
    settings = NO_LIMITS.with_overrides({"budget_reactions": 1, "budget_window_s": 60})
    assert react_if_allowed(pacer, "c", "a", settings) is None
    clock.now += 59
    assert react_if_allowed(pacer, "c", "b", settings) == "budget"
    clock.now += 1.5
    assert react_if_allowed(pacer, "c", "b", settings) is None
    for chat in ("d", "e", "f", "g"):
        pacer.observe(chat, settings)
    assert len(pacer) == 3  # bounded: the least recently active chats are forgotten


def test_held_steps_say_how_long_to_wait() -> None:
    clock = Clock()
    pacer = Pacer(clock)
    settings = NO_LIMITS.with_overrides({"chat_cooldown_s": 30})
    react_if_allowed(pacer, "c", "a", settings)
    clock.now += 10
    step = pacer.hold("c", "b", settings)
    assert step is not None and step.rule == "chat-cooldown" and "20 s" in step.detail
