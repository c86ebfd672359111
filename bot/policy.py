"""Reaction decisions: sensitivity, the confidence gate, then the platform's constraints.

This module is the one place where the sensitivity rule lives (the inference core ranks
candidates and leaves safety to it), and every time the rule drops a candidate the decision's
``why`` says which and why.

1. **Sensitivity** (:func:`assess`): a message is *somber* when sadness or fear leads, holds
   30 % together, the model found a somber fine emotion (grief, remorse, nervousness ...), or
   the text names death, serious illness or loss in plain words (:mod:`bot.grave_topics`):
   only warm or somber emoji may go on it. It is *negative* when any negative mood holds
   :data:`NEGATIVE_SHARE` or the negative moods together hold :data:`NEGATIVE_TOTAL`: no
   playful emoji then.
   A somber fine emotion the model gives at least :data:`CAUTION_SCORE` without deciding on it
   (a hint) also rules out playful emoji; a bundle whose emotion heads are calibrated otherwise
   names its own point (its manifest's ``caution``: the multilingual bundle's BRIGHTER heads,
   whose thresholds sit low, use 0.3).
2. **Confidence gate**: with a learned trigger head (the default model), nothing unless its
   probability that a reader would react at all reaches the chat's ``reaction_threshold``;
   then the best remaining candidate goes, and runners-up only when the reaction head gives
   them at least :data:`RUNNER_UP_SCORE`. Without a trigger head, nothing unless the best
   remaining candidate scores at least the threshold (raised by agreeing runners-up); weaker
   candidates are never sent in its place. Neutral logistics ("the meeting moved to 3pm") get
   none.
3. **Platform** (:class:`~bot.platforms.PlatformRules`): allowed emoji, fallbacks, counts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from moodmoji.bot.decision import Candidate, Gate, Reaction, Step, Tag
from moodmoji.bot.platforms import PlatformRules
from moodmoji.inference.moods import NEGATIVE_MOODS
from moodmoji.inference.vocabulary import (
    SOMBER_LABELS,
    SOMBER_MOODS,
    EmojiVocabulary,
    Tone,
    emoji_key,
)

logger = logging.getLogger(__name__)

__all__ = [
    "CAUTION_SCORE",
    "NEGATIVE_SHARE",
    "NEGATIVE_TOTAL",
    "SOMBER_SHARE",
    "ReactionPolicy",
    "Sensitivity",
    "assess",
    "somber_hints",
]

#: Sadness and fear together at least this share make a message somber.
SOMBER_SHARE = 0.3
#: Any negative mood at least this share makes a message negative.
NEGATIVE_SHARE = 0.2
#: The negative moods together at least this share make a message negative.
NEGATIVE_TOTAL = 0.25
#: How much a runner-up sharing the best candidate's mood adds to the confidence (noisy-OR).
AGREEMENT_WEIGHT = 0.2
#: A somber fine emotion at least this probable makes a message negative (no playful emoji).
CAUTION_SCORE = 0.15
#: With a learned trigger, a runner-up goes too (where the platform allows several) from here.
RUNNER_UP_SCORE = 0.6
#: With a learned reaction head on a platform with a fixed set of reactions (Telegram), a
#: candidate the platform takes as it is goes before better ones that would need a stand-in,
#: if it scores at least this share of the best candidate.
SENDABLE_SHARE = 0.3


@dataclass(frozen=True)
class Sensitivity:
    """How careful the bot must be with a message.

    Attributes:
        somber: Grief, sadness, fear or distress: only warm or somber responses.
        negative: Some negative mood: nothing playful, no congratulations.
        reason: Why, in words (``None`` when neither).

    """

    somber: bool = False
    negative: bool = False
    reason: str | None = None


def assess(
    moods: Sequence[Tag],
    emotions: Sequence[Tag],
    hints: Sequence[Tag] = (),
    grave: str | None = None,
    caution: float | None = None,
) -> Sensitivity:
    """Judges a message's sensitivity.

    Args:
        moods: Coarse mood shares, best first.
        emotions: Fine emotions the model decided on.
        hints: Fine emotion probabilities the model did not decide on (any labels; the somber
            ones at :data:`CAUTION_SCORE` or more count).
        grave: A grave topic the text names in plain words
            (:func:`bot.grave_topics.grave_topic`): the message is somber whatever the model
            says.
        caution: The probability from which a somber hint counts: the reading bundle's own
            point (:attr:`Analysis.caution`), or ``None`` for :data:`CAUTION_SCORE`.

    """
    share = {m.label: m.score for m in moods}
    lead = moods[0].label if moods else None
    if grave is not None:
        return Sensitivity(True, True, f"the message mentions {grave}")
    somber_labels = sorted(e.label for e in emotions if e.label in SOMBER_LABELS)
    if lead in SOMBER_MOODS:
        return Sensitivity(True, True, f"{lead} leads")
    if somber_labels:
        return Sensitivity(True, True, f"the model found {', '.join(somber_labels)}")
    if sum(share.get(m, 0.0) for m in SOMBER_MOODS) >= SOMBER_SHARE:
        return Sensitivity(True, True, f"sadness and fear hold {SOMBER_SHARE:.0%} or more")
    negative = sorted(m for m in NEGATIVE_MOODS if share.get(m, 0.0) >= NEGATIVE_SHARE)
    if negative or lead in NEGATIVE_MOODS:
        return Sensitivity(False, True, f"{', '.join(negative or [str(lead)])} in the mood")
    total = sum(share.get(m, 0.0) for m in NEGATIVE_MOODS)
    if total >= NEGATIVE_TOTAL:
        return Sensitivity(False, True, f"negative moods hold {total:.0%} together")
    floor = CAUTION_SCORE if caution is None else caution
    hinted = sorted(h.label for h in hints if h.label in SOMBER_LABELS and h.score >= floor)
    if hinted:
        return Sensitivity(False, True, f"a hint of {', '.join(hinted)}")
    return Sensitivity()


def somber_hints(scores: Mapping[str, float]) -> tuple[Tag, ...]:
    """The somber labels among fine-emotion probabilities, as hints for :func:`assess`."""
    return tuple(Tag(label, score) for label, score in scores.items() if label in SOMBER_LABELS)


class ReactionPolicy:
    """Chooses the reactions of one analysed message.

    Args:
        vocabulary: The emoji vocabulary (each emoji's tone).

    """

    def __init__(self, vocabulary: EmojiVocabulary) -> None:
        self.vocabulary = vocabulary

    def choose(
        self,
        candidates: Sequence[Candidate],
        sensitivity: Sensitivity,
        threshold: float,
        rules: PlatformRules,
        *,
        mood: str | None = None,
        available: AbstractSet[str] | None = None,
        custom_emoji: Mapping[str, str] | None = None,
        trigger: float | None = None,
    ) -> tuple[tuple[Reaction, ...], tuple[Step, ...]]:
        """Applies sensitivity, the confidence gate and the platform's rules.

        Args:
            candidates: The model's candidates, best first.
            sensitivity: The message's sensitivity (:func:`assess`).
            threshold: The chat's reaction threshold.
            rules: The platform's rules.
            mood: The leading mood (for platform fallbacks).
            available: Reactions the chat allows, when it narrows the platform's list.
            custom_emoji: The chat's custom-emoji map.
            trigger: The learned probability that a reader would react at all; ``None``
                gates on the candidates' own scores instead.

        Returns:
            The reactions (maybe none) and the steps that explain them.

        """
        steps: list[Step] = []
        learned = trigger is not None
        kept = list(self.allowed(candidates, sensitivity, learned=learned))
        allowed = self._allowed_tones(sensitivity, learned)
        if allowed is not None:
            dropped = [c for c in candidates if c not in kept]
            if dropped:
                names = " ".join(c.emoji for c in dropped)
                steps.append(
                    Step(
                        "sensitivity",
                        f"dropped {names}: {sensitivity.reason}, so only "
                        f"{'/'.join(sorted(allowed))} emoji",
                    )
                )
        if trigger is not None:
            if trigger < threshold:
                steps.append(
                    Step(
                        "confidence-gate",
                        f"a reader would react with probability {trigger:.2f}, under the "
                        f"threshold {threshold:g}: no reaction",
                    )
                )
                return (), tuple(steps)
            if not kept:
                steps.append(Step("confidence-gate", "no candidate left: no reaction"))
                return (), tuple(steps)
            steps.append(
                Step(
                    "confidence-gate",
                    f"a reader would react with probability {trigger:.2f} (threshold "
                    f"{threshold:g}); {kept[0].emoji} is the likeliest reaction "
                    f"({kept[0].score:.2f})",
                )
            )
            kept = _sendable_first(kept, rules, available, steps)
            confident = [kept[0], *(c for c in kept[1:] if c.score >= RUNNER_UP_SCORE)]
            return self._fit(confident, rules, mood, available, custom_emoji, steps)
        if not kept:
            steps.append(Step("confidence-gate", "no candidate left: no reaction"))
            return (), tuple(steps)
        confidence, backers = self._confidence(kept)
        if confidence < threshold:
            steps.append(
                Step(
                    "confidence-gate",
                    f"best candidate {kept[0].emoji} scores {confidence:.2f}, under the "
                    f"threshold {threshold:g}: no reaction",
                )
            )
            return (), tuple(steps)
        if kept[0].score < threshold:
            steps.append(
                Step(
                    "agreement",
                    f"{kept[0].emoji} scores {kept[0].score:.2f} alone, {confidence:.2f} with "
                    f"{' '.join(backers)} agreeing on its mood",
                )
            )
        confident = [kept[0], *(c for c in kept[1:] if c.score >= threshold)]
        return self._fit(confident, rules, mood, available, custom_emoji, steps)

    def gate(
        self,
        candidates: Sequence[Candidate],
        sensitivity: Sensitivity,
        threshold: float,
        *,
        trigger: float | None = None,
    ) -> Gate | None:
        """The value :meth:`choose` compares with ``threshold`` (same arguments).

        The learned trigger probability when there is one, else the best candidate left by
        the sensitivity guard, raised by agreeing runners-up; ``None`` when no candidate is
        left to gate (without a trigger).
        """
        if trigger is not None:
            return Gate(trigger, threshold, "trigger")
        kept = self.allowed(candidates, sensitivity)
        if not kept:
            return None
        confidence, _ = self._confidence(kept)
        return Gate(confidence, threshold, "best-candidate")

    @staticmethod
    def _fit(
        confident: Sequence[Candidate],
        rules: PlatformRules,
        mood: str | None,
        available: AbstractSet[str] | None,
        custom_emoji: Mapping[str, str] | None,
        steps: list[Step],
    ) -> tuple[tuple[Reaction, ...], tuple[Step, ...]]:
        """The platform's rules applied to the candidates that passed the gate."""
        reactions, fitted = rules.fit(
            list(confident), mood=mood, available=available, custom_emoji=custom_emoji
        )
        steps.extend(fitted)
        if not reactions:
            steps.append(
                Step(f"{rules.platform}-constraints", "no confident candidate can be sent here")
            )
        return reactions, tuple(steps)

    def allowed(
        self, candidates: Sequence[Candidate], sensitivity: Sensitivity, *, learned: bool = False
    ) -> tuple[Candidate, ...]:
        """The candidates the sensitivity guard lets through, in order.

        ``learned``: the candidates come from a learned reaction head, which already answers
        rather than mirrors (🍀 💪 on worry, 🐾 on a lost pet); then the guard drops only
        playful emoji (laughter, parties, hype) from somber and negative messages. Candidates
        fused from emotion labels mirror the author, so on a somber message only warm and
        somber emoji stay.
        """
        tones = self._allowed_tones(sensitivity, learned)
        if tones is None:
            return tuple(candidates)
        return tuple(c for c in candidates if self._tone(c.emoji) in tones)

    def _confidence(self, kept: Sequence[Candidate]) -> tuple[float, list[str]]:
        """The best candidate's score, raised by runners-up that share one of its moods.

        Several candidates agreeing on a mood (🥳 0.55, 🤩 0.54, 🎉 0.48 on "we just got
        engaged") mean the model is sure the message deserves that kind of reaction even when
        it spreads its belief over which emoji. Each agreeing runner-up counts for
        :data:`AGREEMENT_WEIGHT` of its score, combined by noisy-OR with the best one.
        """
        best = kept[0]
        entry = self.vocabulary.get(best.emoji)
        moods = set(entry.moods) if entry is not None else set()
        missing = 1.0 - best.score
        backers = []
        for other in kept[1:]:
            other_entry = self.vocabulary.get(other.emoji)
            if moods and other_entry is not None and moods & set(other_entry.moods):
                missing *= 1.0 - AGREEMENT_WEIGHT * other.score
                backers.append(other.emoji)
        return 1.0 - missing, backers

    def _tone(self, emoji: str) -> Tone:
        entry = self.vocabulary.get(emoji)
        return entry.tone if entry is not None else Tone.NEUTRAL

    @staticmethod
    def _allowed_tones(sensitivity: Sensitivity, learned: bool = False) -> frozenset[Tone] | None:
        if sensitivity.somber and learned:
            return _UNPLAYFUL
        if sensitivity.somber:
            return _WARM_OR_SOMBER
        if sensitivity.negative:
            return _UNPLAYFUL
        return None


_WARM_OR_SOMBER: frozenset[Tone] = frozenset({Tone.WARM, Tone.SOMBER})
_UNPLAYFUL: frozenset[Tone] = frozenset({Tone.WARM, Tone.SOMBER, Tone.NEUTRAL})


def _sendable_first(
    kept: Sequence[Candidate],
    rules: PlatformRules,
    available: AbstractSet[str] | None,
    steps: list[Step],
) -> list[Candidate]:
    """Puts candidates the platform (and chat) take as they are before ones needing a stand-in.

    The learned reaction head scores every emoji of the vocabulary, Telegram's 73 among them,
    so its best sendable emoji (😋 for a pizza) usually fits better than a stand-in for its
    best overall (🍕 -> 😍). Only candidates within :data:`SENDABLE_SHARE` of the best move.
    """
    if rules.by_key is None or not kept:
        return list(kept)
    chat_allows = {emoji_key(e) for e in available} if available is not None else None
    floor = kept[0].score * SENDABLE_SHARE
    first = [c for c in kept if c.score >= floor and rules.takes(c.emoji, chat_allows)]
    if not first or first[0] is kept[0]:
        return list(kept)
    steps.append(
        Step(
            f"{rules.platform}-reactions",
            f"{kept[0].emoji} is not a {rules.platform} reaction here; {first[0].emoji} "
            f"({first[0].score:.2f}) is, and goes first",
        )
    )
    return first + [c for c in kept if c not in first]
