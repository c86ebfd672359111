"""Coarse mood tags fused from every emotion head of a bundle.

The eight coarse moods are joy, love, sadness, anger, fear, surprise, disgust and neutral. Each
classifier head whose manifest carries a label -> mood map votes (the default model: the
GoEmotions head and the dair-ai emotion head; the maps follow the Ekman grouping of the
GoEmotions paper, with love and caring as love, see ``inference/export/moods.json``):

1. A softmax head's vote for a mood is the summed probability of its labels with that mood.
   A sigmoid head's vote is the highest probability among its labels with that mood, and the
   votes are normalised to sum to 1 (labels of a multi-label head are not exclusive).
2. Neutral is estimated only by heads that have a neutral label (their mean neutral share);
   a head without one (dair-ai emotion was trained on emotional tweets only) says nothing
   about neutrality.
3. The emotional moods are the mean of every head's vote renormalised over its non-neutral
   moods, scaled by ``1 - neutral``. The result sums to 1.

A bundle with a learned chat-mood head (manifest role ``mood``, the default model) is read
from that head alone: its eight sigmoid probabilities, normalised to sum to 1. It was trained
on chat messages labelled with the author's moods and beat the fusion on the response dev
split (see the model card); the fusion stays for bundles without such a head.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from moodmoji.inference.manifest import HeadKind, HeadRole, HeadSpec, Manifest
from moodmoji.inference.results import Prediction
from moodmoji.inference.vocabulary import MOODS

NEGATIVE_MOODS: frozenset[str] = frozenset({"sadness", "fear", "anger", "disgust"})
NEUTRAL = "neutral"


@dataclass(frozen=True)
class MoodScore:
    """One coarse mood and its share of the message's mood.

    Attributes:
        mood: One of :data:`MOODS`.
        score: Its share, between 0 and 1 (all shares sum to 1).
    """

    mood: str
    score: float


class MoodFusion:
    """Fuses the heads of one bundle into coarse mood shares.

    Args:
        manifest: The bundle's manifest; heads with a mood map take part.
    """

    def __init__(self, manifest: Manifest) -> None:
        self.learned = manifest.role(HeadRole.MOOD)
        self.heads: tuple[HeadSpec, ...] = (
            (self.learned,)
            if self.learned is not None
            else tuple(h for h in manifest.heads if h.kind is not HeadKind.EMBEDDING and h.mood)
        )
        self._columns: dict[str, dict[str, list[int]]] = {
            head.name: {
                mood: [i for i, label in enumerate(head.labels) if head.mood.get(label) == mood]
                for mood in MOODS
            }
            for head in self.heads
        }

    @property
    def available(self) -> bool:
        """Whether any head of the bundle carries a mood map."""
        return bool(self.heads)

    def votes(self, prediction: Prediction) -> dict[str, dict[str, float]]:
        """Each head's mood vote (step 1 of the module docstring)."""
        out: dict[str, dict[str, float]] = {}
        for head in self.heads:
            probabilities = prediction[head.name].probabilities
            assert probabilities is not None
            columns = self._columns[head.name]
            if head.kind is HeadKind.SOFTMAX:
                vote = {m: float(probabilities[c].sum()) if c else 0.0 for m, c in columns.items()}
            else:
                vote = {m: float(probabilities[c].max()) if c else 0.0 for m, c in columns.items()}
                total = sum(vote.values())
                vote = {m: v / total for m, v in vote.items()} if total > 0 else vote
            out[head.name] = vote
        return out

    def fuse(self, prediction: Prediction) -> tuple[MoodScore, ...]:
        """All eight moods with their shares, best first (empty if no head has a mood map)."""
        if not self.heads:
            return ()
        if self.learned is not None:
            return self._learned(prediction, self.learned)
        votes = self.votes(prediction)
        neutral_votes = [
            votes[h.name][NEUTRAL] for h in self.heads if self._columns[h.name][NEUTRAL]
        ]
        neutral = float(np.mean(neutral_votes)) if neutral_votes else 0.0
        emotional = {m: 0.0 for m in MOODS if m != NEUTRAL}
        for vote in votes.values():
            total = sum(v for m, v in vote.items() if m != NEUTRAL)
            if total <= 0:
                continue
            for mood in emotional:
                emotional[mood] += vote[mood] / total / len(votes)
        mass = sum(emotional.values())
        shares: Mapping[str, float] = {
            **{m: (1 - neutral) * v / mass if mass > 0 else 0.0 for m, v in emotional.items()},
            NEUTRAL: neutral if mass > 0 else 1.0,
        }
        ranked = sorted(MOODS, key=lambda m: (-shares[m], MOODS.index(m)))
        return tuple(MoodScore(m, round(shares[m], 6)) for m in ranked)

    @staticmethod
    def _learned(prediction: Prediction, head: HeadSpec) -> tuple[MoodScore, ...]:
        probabilities = prediction[head.name].probabilities
        assert probabilities is not None
        raw = {
            head.mood.get(label, label): float(p)
            for label, p in zip(head.labels, probabilities, strict=True)
        }
        total = sum(raw.get(m, 0.0) for m in MOODS)
        shares = {
            m: raw.get(m, 0.0) / total if total > 0 else (1.0 if m == NEUTRAL else 0.0)
            for m in MOODS
        }
        ranked = sorted(MOODS, key=lambda m: (-shares[m], MOODS.index(m)))
        return tuple(MoodScore(m, round(shares[m], 6)) for m in ranked)
