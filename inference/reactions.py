"""Ranked emoji reaction candidates, from a learned reaction head or fused from other signals.

A bundle with a learned reaction head (manifest role ``reaction``, the default model) is
ranked by that head alone: each emoji's probability that a thoughtful reader would set it,
learned from the response dataset. On the response dev split it beat the hand-weighted fusion
below (see the model card), so the fusion is kept only for bundles without such a head
(exported BertMoji, EmotiCare and the like).

Fusion signals (each gives an emoji a score between 0 and 1):

* ``emoji-head``: a head whose labels are emoji (the default's TweetEval head, BertMoji):
  the probabilities of its three best labels.
* ``emotion``: fine-grained emotions a multi-label head decided on (GoEmotions): the label's
  emoji list from the vocabulary, ``probability * 0.85 ** rank``.
* ``mood``: the coarse moods with at least 20 % share: the mood's emoji list,
  ``share * 0.85 ** rank``; a neutral message offers only a plain 👍, at half its share.
* ``topic``: gated topical matches (see :mod:`inference.topics`): their calibrated probability.

Each signal is weighted (:data:`SOURCE_WEIGHTS`) and the weighted scores of one emoji are
combined by noisy-OR, ``1 - prod(1 - w * s)``, so agreeing signals reinforce each other.

Candidates under :data:`MIN_SCORE` (:data:`LEARNED_MIN_SCORE` for a learned head) are
dropped. Which candidates may go on a sad or frightened message is not decided here: the
sensitivity guard of the bot layer (:mod:`bot.policy`) is the one place for that rule, and it
says in ``why`` what it dropped.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from moodmoji.inference.manifest import HeadKind, HeadRole, HeadSpec, Manifest
from moodmoji.inference.moods import NEUTRAL, MoodScore
from moodmoji.inference.results import Prediction
from moodmoji.inference.topics import TopicMatch
from moodmoji.inference.vocabulary import EmojiVocabulary, emoji_key

SOURCE_WEIGHTS: dict[str, float] = {"emoji-head": 0.8, "emotion": 0.7, "mood": 0.6, "topic": 0.9}
MIN_SCORE = 0.3
RANK_DECAY = 0.85
MOOD_MIN_SHARE = 0.2
THUMBS_UP = "👍"
LEARNED_MIN_SCORE = 0.02
"""A learned head's candidates below this probability are not worth listing."""
LEARNED_SOURCE = "reaction-head"


@dataclass(frozen=True)
class ReactionCandidate:
    """One reaction candidate.

    Attributes:
        emoji: The emoji, fully qualified as in the vocabulary.
        score: Fused score between 0 and 1.
        sources: The signals that proposed it, strongest first.
    """

    emoji: str
    score: float
    sources: tuple[str, ...]


class ReactionRanker:
    """Fuses a prediction's signals into ranked, safe reaction candidates.

    Args:
        manifest: The bundle's manifest (to find emoji and emotion heads).
        vocabulary: The emoji vocabulary (tones, mood and label emoji lists).
        min_score: Candidates scoring lower are dropped.
        top_k: Most candidates returned.
    """

    def __init__(
        self,
        manifest: Manifest,
        vocabulary: EmojiVocabulary,
        min_score: float = MIN_SCORE,
        top_k: int = 5,
    ) -> None:
        self.vocabulary = vocabulary
        self.min_score = min_score
        self.top_k = top_k
        self.learned = manifest.role(HeadRole.REACTION)
        classifiers = [h for h in manifest.heads if h.kind is not HeadKind.EMBEDDING]
        self.emoji_heads: tuple[HeadSpec, ...] = tuple(h for h in classifiers if _is_emoji(h))
        self.emotion_heads: tuple[HeadSpec, ...] = tuple(
            h for h in classifiers if h.kind is HeadKind.SIGMOID and h.mood
        )
        # the vocabulary's emoji of each label of the learned head (None: not in it), once
        self._learned_emoji: tuple[str | None, ...] = (
            tuple(_entry_emoji(vocabulary, self.learned, label) for label in self.learned.labels)
            if self.learned is not None
            else ()
        )
        self._learned_missing = self._learned_emoji.count(None)

    def signals(
        self,
        prediction: Prediction,
        moods: Sequence[MoodScore],
        topics: Sequence[TopicMatch] = (),
    ) -> dict[str, dict[str, float]]:
        """Every signal's raw score per emoji key: ``{source: {emoji_key: score}}``."""
        out: dict[str, dict[str, float]] = defaultdict(dict)

        def offer(source: str, emoji: str, score: float) -> None:
            key = emoji_key(emoji)
            if key in self.vocabulary:
                out[source][key] = max(out[source].get(key, 0.0), score)

        for head in self.emoji_heads:
            for item in prediction[head.name].top(3):
                offer("emoji-head", head.emoji.get(item.label, item.label), item.score)
        for head in self.emotion_heads:
            result = prediction[head.name]
            for label in result.predicted:
                if head.mood.get(label) == NEUTRAL:  # a neutral message offers only 👍 (mood)
                    continue
                for rank, emoji in enumerate(self.vocabulary.label_emoji.get(label, ())):
                    offer("emotion", emoji, result.score_of(label) * RANK_DECAY**rank)
        for mood in moods:
            if mood.mood == NEUTRAL:
                offer("mood", THUMBS_UP, mood.score * 0.5)
            elif mood.score >= MOOD_MIN_SHARE:
                for rank, emoji in enumerate(self.vocabulary.mood_emoji.get(mood.mood, ())):
                    offer("mood", emoji, mood.score * RANK_DECAY**rank)
        for match in topics:
            offer("topic", match.emoji, match.probability)
        return dict(out)

    def rank(
        self,
        prediction: Prediction,
        moods: Sequence[MoodScore],
        topics: Sequence[TopicMatch] = (),
    ) -> tuple[ReactionCandidate, ...]:
        """Ranked candidates, best first; maybe none."""
        if self.learned is not None:
            return self._rank_learned(prediction, self.learned)
        signals = self.signals(prediction, moods, topics)
        fused: dict[str, list[tuple[float, str]]] = defaultdict(list)
        for source, scores in signals.items():
            for key, score in scores.items():
                fused[key].append((SOURCE_WEIGHTS[source] * score, source))
        candidates = []
        for key, parts in fused.items():
            entry = self.vocabulary.get(key)
            if entry is None:
                continue
            score = 1.0 - math.prod(1.0 - s for s, _ in parts)
            if score >= self.min_score:
                sources = tuple(source for _, source in sorted(parts, reverse=True))
                candidates.append(ReactionCandidate(entry.emoji, round(score, 4), sources))
        candidates.sort(key=lambda c: (-c.score, c.emoji))
        return tuple(candidates[: self.top_k])

    def _rank_learned(
        self, prediction: Prediction, head: HeadSpec
    ) -> tuple[ReactionCandidate, ...]:
        """The learned head's best emoji of the vocabulary, by probability."""
        probabilities = prediction[head.name].probabilities
        assert probabilities is not None
        if head is self.learned:
            emoji_of, missing = self._learned_emoji, self._learned_missing
        else:
            emoji_of = tuple(_entry_emoji(self.vocabulary, head, label) for label in head.labels)
            missing = emoji_of.count(None)
        candidates: list[ReactionCandidate] = []
        # the best top_k with an emoji are among the best top_k + (labels without one)
        order = np.argsort(-probabilities, kind="stable")[: self.top_k + missing]
        for index, score in zip(order.tolist(), probabilities[order].tolist(), strict=True):
            if score < LEARNED_MIN_SCORE or len(candidates) >= self.top_k:
                break
            emoji = emoji_of[index]
            if emoji is not None:
                candidates.append(ReactionCandidate(emoji, round(score, 4), (LEARNED_SOURCE,)))
        return tuple(candidates)


def _entry_emoji(vocabulary: EmojiVocabulary, head: HeadSpec, label: str) -> str | None:
    """The vocabulary's form of the emoji a head's label stands for, or ``None``."""
    entry = vocabulary.get(head.emoji.get(label, label))
    return entry.emoji if entry is not None else None


def _is_emoji(head: HeadSpec) -> bool:
    """Whether a head's labels are emoji (its emoji map sends every label to itself)."""
    return bool(head.emoji) and all(
        emoji_key(head.emoji.get(label, "")) == emoji_key(label) for label in head.labels
    )
