"""Typed results of the engine: a :class:`Prediction` per text, a :class:`HeadResult` per head."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from inference.manifest import HeadKind


@dataclass(frozen=True)
class LabelScore:
    """A label with its probability."""

    label: str
    score: float


@dataclass(frozen=True)
class HeadResult:
    """What one head says about one text.

    Attributes:
        head: Head name from the manifest.
        kind: How the scores were made.
        scores: Every label with its probability, best first (empty for embeddings).
        predicted: Labels the head decides for: the top label of a softmax head, the labels at or
            over their thresholds for a sigmoid head (possibly none).
        embedding: The L2-normalised sentence vector of an embedding head, read-only.

    """

    head: str
    kind: HeadKind
    scores: tuple[LabelScore, ...] = ()
    predicted: tuple[str, ...] = ()
    embedding: npt.NDArray[np.float32] | None = field(default=None, compare=False)

    def top(self, k: int) -> tuple[LabelScore, ...]:
        """Returns the ``k`` best labels."""
        return self.scores[:k]

    def score_of(self, label: str) -> float:
        """Returns the probability of ``label``.

        Raises:
            KeyError: The head has no such label.

        """
        for item in self.scores:
            if item.label == label:
                return item.score
        raise KeyError(label)


@dataclass(frozen=True)
class Prediction:
    """Everything the model says about one text.

    Attributes:
        heads: Head name -> result, in manifest order.
        tokens: Tokens the model saw, special tokens included.
        truncated: Whether the text was cut at the model's ``max_length``.

    """

    heads: Mapping[str, HeadResult]
    tokens: int
    truncated: bool

    def __getitem__(self, head: str) -> HeadResult:
        return self.heads[head]
