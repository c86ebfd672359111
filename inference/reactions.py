"""Ranked emoji reaction candidates fused from every signal a bundle offers.

Signals (each gives an emoji a score between 0 and 1):

* ``emoji-head``: a head whose labels are emoji (the default's TweetEval head, BertMoji):
  the probabilities of its three best labels.
* ``emotion``: fine-grained emotions a multi-label head decided on (GoEmotions): the label's
  emoji list from the vocabulary, ``probability * 0.85 ** rank``.
* ``mood``: the coarse moods with at least 20 % share: the mood's emoji list,
  ``share * 0.85 ** rank``; a neutral message offers only a plain 👍, at half its share.
* ``topic``: gated topical matches (see :mod:`inference.topics`): their calibrated probability.

Each signal is weighted (:data:`SOURCE_WEIGHTS`) and the weighted scores of one emoji are
combined by noisy-OR, ``1 - prod(1 - w * s)``, so agreeing signals reinforce each other.

Safety comes before rank: when a negative mood (sadness, fear, anger, disgust) holds at least
25 % or leads, playful emoji (laughing, party, tongue...) are dropped; when sadness or fear
leads, only warm or somber emoji remain (no 🐶 on "my dog died"). Candidates under
:data:`MIN_SCORE` are dropped, so a message may get no candidate at all: abstaining is a feature.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from inference.manifest import HeadKind, HeadSpec, Manifest
from inference.moods import NEGATIVE_MOODS, NEUTRAL, MoodScore
from inference.results import Prediction
from inference.topics import TopicMatch
from inference.vocabulary import EmojiVocabulary, Tone, emoji_key

SOURCE_WEIGHTS: dict[str, float] = {"emoji-head": 0.8, "emotion": 0.7, "mood": 0.6, "topic": 0.9}
MIN_SCORE = 0.3
RANK_DECAY = 0.85
MOOD_MIN_SHARE = 0.2
NEGATIVE_GUARD_SHARE = 0.25
THUMBS_UP = "👍"


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
        classifiers = [h for h in manifest.heads if h.kind is not HeadKind.EMBEDDING]
        self.emoji_heads: tuple[HeadSpec, ...] = tuple(h for h in classifiers if _is_emoji(h))
        self.emotion_heads: tuple[HeadSpec, ...] = tuple(
            h for h in classifiers if h.kind is HeadKind.SIGMOID and h.mood
        )

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
        """Ranked candidates, safe for the message's mood; maybe none."""
        signals = self.signals(prediction, moods, topics)
        allowed = self._allowed_tones(moods)
        fused: dict[str, list[tuple[float, str]]] = defaultdict(list)
        for source, scores in signals.items():
            for key, score in scores.items():
                fused[key].append((SOURCE_WEIGHTS[source] * score, source))
        candidates = []
        for key, parts in fused.items():
            entry = self.vocabulary.get(key)
            if entry is None or entry.tone not in allowed:
                continue
            score = 1.0 - math.prod(1.0 - s for s, _ in parts)
            if score >= self.min_score:
                sources = tuple(source for _, source in sorted(parts, reverse=True))
                candidates.append(ReactionCandidate(entry.emoji, round(score, 4), sources))
        candidates.sort(key=lambda c: (-c.score, c.emoji))
        return tuple(candidates[: self.top_k])

    @staticmethod
    def _allowed_tones(moods: Sequence[MoodScore]) -> frozenset[Tone]:
        if not moods:
            return frozenset(Tone)
        lead = moods[0].mood
        if lead in ("sadness", "fear"):
            return frozenset({Tone.WARM, Tone.SOMBER})
        negative = any(m.mood in NEGATIVE_MOODS and m.score >= NEGATIVE_GUARD_SHARE for m in moods)
        if negative or lead in NEGATIVE_MOODS:
            return frozenset({Tone.WARM, Tone.SOMBER, Tone.NEUTRAL})
        return frozenset(Tone)


def _is_emoji(head: HeadSpec) -> bool:
    """Whether a head's labels are emoji (its emoji map sends every label to itself)."""
    return bool(head.emoji) and all(
        emoji_key(head.emoji.get(label, "")) == emoji_key(label) for label in head.labels
    )
