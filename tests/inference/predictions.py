"""Hand-built manifests and predictions with the default model's heads, for fusion tests."""

from __future__ import annotations

import numpy as np

from moodmoji.inference.datasets import EMOTION_LABELS, GOEMOTIONS_LABELS, TWEETEVAL_EMOJI
from moodmoji.inference.export.labels import mood_map
from moodmoji.inference.manifest import HeadKind, HeadSpec, Manifest
from moodmoji.inference.results import HeadResult, Prediction


def default_like_manifest() -> Manifest:
    """A manifest with the default model's heads (GoEmotions, emotion, emoji, embedding)."""
    return Manifest(
        name="fusion",
        inputs=("input_ids", "attention_mask"),
        max_length=16,
        heads=(
            HeadSpec(
                name="goemotions",
                output="goemotions",
                kind=HeadKind.SIGMOID,
                labels=GOEMOTIONS_LABELS,
                thresholds=(0.5,) * len(GOEMOTIONS_LABELS),
                mood=mood_map(GOEMOTIONS_LABELS),
            ),
            HeadSpec(
                name="emotion",
                output="emotion",
                kind=HeadKind.SOFTMAX,
                labels=EMOTION_LABELS,
                mood=mood_map(EMOTION_LABELS),
            ),
            HeadSpec(
                name="emoji",
                output="emoji",
                kind=HeadKind.SOFTMAX,
                labels=TWEETEVAL_EMOJI,
                emoji={e: e for e in TWEETEVAL_EMOJI},
            ),
            HeadSpec(name="embedding", output="embedding", kind=HeadKind.EMBEDDING),
        ),
    )


def prediction(
    goemotions: dict[str, float],
    emotion: dict[str, float],
    emoji: dict[str, float] | None = None,
) -> Prediction:
    """A prediction whose heads hold the given probabilities (others 0.01 / 0 / uniform)."""
    ge = np.array([goemotions.get(label, 0.01) for label in GOEMOTIONS_LABELS], dtype=np.float32)
    emo = np.array([emotion.get(label, 0.0) for label in EMOTION_LABELS], dtype=np.float32)
    if emoji:
        rest = (1.0 - sum(emoji.values())) / (len(TWEETEVAL_EMOJI) - len(emoji))
        em = np.array([emoji.get(e, rest) for e in TWEETEVAL_EMOJI], dtype=np.float32)
    else:
        em = np.full(len(TWEETEVAL_EMOJI), 1.0 / len(TWEETEVAL_EMOJI), dtype=np.float32)
    return Prediction(
        heads={
            "goemotions": HeadResult(
                "goemotions",
                HeadKind.SIGMOID,
                GOEMOTIONS_LABELS,
                ge,
                tuple(label for label, p in zip(GOEMOTIONS_LABELS, ge, strict=True) if p >= 0.5),
            ),
            "emotion": HeadResult(
                "emotion",
                HeadKind.SOFTMAX,
                EMOTION_LABELS,
                emo,
                (EMOTION_LABELS[int(emo.argmax())],),
            ),
            "emoji": HeadResult(
                "emoji",
                HeadKind.SOFTMAX,
                TWEETEVAL_EMOJI,
                em,
                (TWEETEVAL_EMOJI[int(em.argmax())],),
            ),
        },
        tokens=5,
        truncated=False,
    )
