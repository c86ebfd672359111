"""Reaction policy: sensitivity, confidence gate and platform fit on hand-made inputs."""

from __future__ import annotations

import pytest

from moodmoji.adapters.discord.info import discord_rules
from moodmoji.adapters.telegram.info import telegram_rules
from moodmoji.bot.decision import Candidate, Tag
from moodmoji.bot.platforms import PlatformRules
from moodmoji.bot.policy import ReactionPolicy, Sensitivity, assess
from moodmoji.inference.vocabulary import EmojiVocabulary, Tone

VOCABULARY = EmojiVocabulary.load()
POLICY = ReactionPolicy(VOCABULARY)
RULES = {
    "generic": PlatformRules.generic(3),
    "discord": discord_rules(max_reactions=2),
    "telegram": telegram_rules(),
}


def moods(**shares: float) -> tuple[Tag, ...]:
    return tuple(sorted((Tag(k, v) for k, v in shares.items()), key=lambda t: -t.score))


def tags(*labels: str) -> tuple[Tag, ...]:
    return tuple(Tag(label, 0.8) for label in labels)


@pytest.mark.parametrize(
    "mood_shares, emotions, somber, negative",
    [
        ({"joy": 0.9, "neutral": 0.1}, (), False, False),
        ({"sadness": 0.7, "neutral": 0.3}, ("sadness",), True, True),
        ({"fear": 0.5, "joy": 0.5}, (), True, True),  # fear holds 50 %: somber
        ({"joy": 0.6, "sadness": 0.2, "fear": 0.15}, (), True, True),  # together 35 %
        ({"joy": 0.8, "neutral": 0.2}, ("grief",), True, True),  # "got the job but my dog died"
        ({"anger": 0.6, "neutral": 0.4}, ("anger",), False, True),
        ({"joy": 0.6, "disgust": 0.3}, (), False, True),
        ({"joy": 0.75, "anger": 0.15, "disgust": 0.1}, (), False, True),  # together 25 %
        ({"joy": 0.85, "anger": 0.15}, (), False, False),
        ({"neutral": 0.9, "joy": 0.1}, ("neutral",), False, False),
        ({}, (), False, False),
    ],
)
def test_assess(
    mood_shares: dict[str, float], emotions: tuple[str, ...], somber: bool, negative: bool
) -> None:
    found = assess(moods(**mood_shares), tags(*emotions))
    assert (found.somber, found.negative) == (somber, negative)
    assert (found.reason is None) == (not negative)


def test_a_somber_hint_counts_from_the_reading_bundles_caution_point() -> None:
    joyful = moods(joy=0.9, neutral=0.1)
    hint = (Tag("sadness", 0.2),)
    assert assess(joyful, (), hint) == Sensitivity(False, True, "a hint of sadness")
    assert assess(joyful, (), hint, caution=0.3) == Sensitivity()  # a bundle calibrated higher
    assert assess(joyful, (), (Tag("sadness", 0.35),), caution=0.3).negative


SOMBER = Sensitivity(True, True, "sadness leads")
NEGATIVE = Sensitivity(False, True, "anger in the mood")
CALM = Sensitivity()

PARTY = [Candidate("🎉", 0.9, ("mood",)), Candidate("😂", 0.8), Candidate("😢", 0.7)]
GRIEF = [Candidate("😢", 0.85), Candidate("💔", 0.75), Candidate("🫂", 0.6)]
FOOD = [Candidate("🍕", 0.85, ("topic",)), Candidate("😍", 0.77), Candidate("👏", 0.7)]
WEAK = [Candidate("🙂", 0.45), Candidate("👍", 0.35)]


@pytest.mark.parametrize(
    "platform, candidates, sensitivity, threshold, expected, rules",
    [
        # celebration
        ("generic", PARTY, CALM, 0.6, ["🎉", "😂", "😢"], []),
        ("discord", PARTY, CALM, 0.6, ["🎉", "😂"], []),
        ("telegram", PARTY, CALM, 0.6, ["🎉"], []),
        # the same candidates on a sad message: nothing playful survives
        ("generic", PARTY, SOMBER, 0.6, ["😢"], ["sensitivity"]),
        ("telegram", PARTY, SOMBER, 0.6, ["😢"], ["sensitivity"]),
        ("generic", PARTY, NEGATIVE, 0.6, ["😢"], ["sensitivity"]),
        # grief: the warm and somber candidates pass; Telegram has no 🫂 but 🤗 keeps it
        ("generic", GRIEF, SOMBER, 0.6, ["😢", "💔", "🫂"], []),
        ("telegram", GRIEF, SOMBER, 0.6, ["😢"], []),
        ("telegram", [Candidate("🫂", 0.8)], SOMBER, 0.6, ["🤗"], ["telegram-fallback"]),
        # food: topical emoji; Telegram has no pizza, 😍 stands in
        ("discord", FOOD, CALM, 0.6, ["🍕", "😍"], []),
        ("telegram", FOOD, CALM, 0.6, ["😍"], ["telegram-fallback"]),
        # the confidence gate: weak candidates are never sent
        ("generic", WEAK, CALM, 0.6, [], ["confidence-gate"]),
        ("generic", WEAK, CALM, 0.4, ["🙂"], []),
        ("generic", [], CALM, 0.6, [], ["confidence-gate"]),
        # a stricter chat threshold keeps only the surest of several
        ("generic", FOOD, CALM, 0.8, ["🍕"], []),
        # all candidates dropped by sensitivity: the gate says so
        ("generic", [Candidate("🎉", 0.9)], SOMBER, 0.6, [], ["sensitivity", "confidence-gate"]),
    ],
)
def test_choose_table(
    platform: str,
    candidates: list[Candidate],
    sensitivity: Sensitivity,
    threshold: float,
    expected: list[str],
    rules: list[str],
) -> None:
    reactions, steps = POLICY.choose(candidates, sensitivity, threshold, RULES[platform])
    assert [r.emoji for r in reactions] == expected
    assert [s.rule for s in steps] == rules
    if sensitivity.somber:
        for reaction in reactions:
            entry = VOCABULARY.get(reaction.emoji)
            assert entry is not None and entry.tone in (Tone.WARM, Tone.SOMBER)


def test_telegram_candidates_under_the_threshold_never_stand_in() -> None:
    # ✈️ has no Telegram equivalent; the next candidate is under the threshold
    candidates = [Candidate("✈️", 0.9, ("topic",)), Candidate("🎉", 0.5)]
    reactions, steps = POLICY.choose(candidates, CALM, 0.6, RULES["telegram"])
    assert reactions == ()
    assert [s.rule for s in steps] == ["telegram-unavailable", "telegram-constraints"]


def test_chat_available_reactions_pass_through_the_policy() -> None:
    reactions, steps = POLICY.choose(FOOD, CALM, 0.6, RULES["telegram"], available={"👏", "👍"})
    assert [r.emoji for r in reactions] == ["👏"]
    assert "chat-reactions" in [s.rule for s in steps]


def test_runners_up_agreeing_on_the_mood_lift_the_confidence() -> None:
    # "We just got engaged!!!": the model is sure of joy, unsure which joyful emoji
    engaged = [
        Candidate("🥳", 0.55, ("emoji-head", "mood")),
        Candidate("🤩", 0.54, ("emotion",)),
        Candidate("😄", 0.51, ("mood",)),
        Candidate("🎉", 0.48, ("mood",)),
    ]
    reactions, steps = POLICY.choose(engaged, CALM, 0.65, RULES["discord"])
    assert [r.emoji for r in reactions] == ["🥳"]  # runners-up under the threshold stay out
    assert [s.rule for s in steps] == ["agreement"]
    assert "🤩 😄 🎉" in steps[0].detail
    # the same best score with a runner-up of another mood: no reaction
    mixed = [Candidate("🥳", 0.55), Candidate("😢", 0.54), Candidate("🍕", 0.5)]
    reactions, steps = POLICY.choose(mixed, CALM, 0.65, RULES["discord"])
    assert reactions == () and [s.rule for s in steps] == ["confidence-gate"]


def test_on_telegram_a_sendable_candidate_goes_before_a_stand_in() -> None:
    # the learned head scores Telegram's own emoji too: its 🤩 goes before 🍕's stand-in 😍
    candidates = [
        Candidate("🍕", 0.9, ("reaction-head",)),
        Candidate("🤩", 0.6, ("reaction-head",)),
    ]
    reactions, steps = POLICY.choose(candidates, CALM, 0.5, RULES["telegram"], trigger=0.9)
    assert [r.emoji for r in reactions] == ["🤩"] and reactions[0].stands_for is None
    assert "telegram-reactions" in [s.rule for s in steps]
    # a much weaker sendable one does not jump the queue: the stand-in map decides
    weak = [Candidate("🎂", 0.9, ("reaction-head",)), Candidate("🤔", 0.1, ("reaction-head",))]
    reactions, steps = POLICY.choose(weak, CALM, 0.5, RULES["telegram"], trigger=0.9)
    assert [r.emoji for r in reactions] == ["🎉"] and reactions[0].stands_for == "🎂"
    assert "telegram-reactions" not in [s.rule for s in steps]
    # platforms that take any emoji keep the order
    reactions, _ = POLICY.choose(candidates, CALM, 0.5, RULES["discord"], trigger=0.9)
    assert [r.emoji for r in reactions] == ["🍕", "🤩"]


def test_the_gate_is_the_value_compared_with_the_threshold() -> None:
    # without a trigger head: 🥳 scores 0.55 alone, and what passed 0.65 is 🥳 with the
    # runners-up that agree on joy, the value the agreement step names
    engaged = [
        Candidate("🥳", 0.55, ("emoji-head", "mood")),
        Candidate("🤩", 0.54, ("emotion",)),
        Candidate("😄", 0.51, ("mood",)),
        Candidate("🎉", 0.48, ("mood",)),
    ]
    reactions, steps = POLICY.choose(engaged, CALM, 0.65, RULES["discord"])
    gate = POLICY.gate(engaged, CALM, 0.65)
    assert gate is not None and gate.basis == "best-candidate" and gate.passed
    assert reactions[0].score == 0.55 and gate.score != reactions[0].score
    assert f"{gate.score:.2f} with" in steps[0].detail
    assert gate.describe() == f"best candidate {gate.score:.2f} ≥ threshold 0.65 (passed)"
    # refused: the gate names the value that fell short
    mixed = [Candidate("🥳", 0.55), Candidate("😢", 0.54), Candidate("🍕", 0.5)]
    _, steps = POLICY.choose(mixed, CALM, 0.65, RULES["discord"])
    refused = POLICY.gate(mixed, CALM, 0.65)
    assert refused is not None and not refused.passed and refused.score == 0.55
    assert "scores 0.55, under the threshold 0.65" in steps[0].detail
    # with a trigger head, the trigger is compared, whatever the candidates score
    learned = POLICY.gate(engaged, CALM, 0.85, trigger=0.91)
    assert learned is not None and (learned.basis, learned.score, learned.passed) == (
        "trigger",
        0.91,
        True,
    )
    assert learned.describe() == "reader would react 0.91 ≥ threshold 0.85 (passed)"
    # nothing left to gate without a trigger: no gate
    assert POLICY.gate(PARTY[:2], SOMBER, 0.5) is None
