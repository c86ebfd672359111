"""Typed results of the engine: a :class:`Prediction` per text, a :class:`HeadResult` per head."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import numpy.typing as npt

from moodmoji.inference.manifest import HeadKind


@dataclass(frozen=True)
class LabelScore:
    """A label with its probability."""

    label: str
    score: float


@dataclass(frozen=True)
class HeadResult:
    """What one head says about one text.

    Scores are kept as one array and turned into sorted :class:`LabelScore` objects only when
    asked for (a 250-emoji head would otherwise cost more in Python than the model run).

    Attributes:
        head: Head name from the manifest.
        kind: How the scores were made.
        labels: The head's labels in output order (empty for embeddings).
        probabilities: Read-only probabilities aligned with ``labels`` (``None`` for embeddings).
        predicted: Labels the head decides for: the top label of a softmax head, the labels at or
            over their thresholds for a sigmoid head (possibly none), best first.
        embedding: The L2-normalised sentence vector of an embedding head, read-only.
    """

    head: str
    kind: HeadKind
    labels: tuple[str, ...] = ()
    probabilities: npt.NDArray[np.float32] | None = field(default=None, compare=False)
    predicted: tuple[str, ...] = ()
    embedding: npt.NDArray[np.float32] | None = field(default=None, compare=False)

    @cached_property
    def scores(self) -> tuple[LabelScore, ...]:
        """Every label with its probability, best first (empty for embeddings)."""
        return self.top(len(self.labels))

    def top(self, k: int) -> tuple[LabelScore, ...]:
        """Returns the ``k`` best labels, best first."""
        probs = self.probabilities
        if probs is None or k <= 0:
            return ()
        k = min(k, len(self.labels))
        best = np.argpartition(-probs, k - 1)[:k] if k < len(self.labels) else np.arange(k)
        best = best[np.argsort(-probs[best], kind="stable")]
        return tuple(LabelScore(self.labels[j], float(probs[j])) for j in best)

    def score_of(self, label: str) -> float:
        """Returns the probability of ``label``.

        Raises:
            KeyError: The head has no such label.
        """
        if self.probabilities is None or label not in self.labels:
            raise KeyError(label)
        return float(self.probabilities[self.labels.index(label)])


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

    def in_language(self, replaced: Mapping[str, str], hidden: Collection[str]) -> Prediction:
        """The prediction as read for one language.

        Args:
            replaced: Head name -> the language head that answers in its place (its result is
                reported under the replaced head's name).
            hidden: Language heads, left out of the result (they are read only in place of
                another head).
        """
        if not hidden:
            return self
        heads = {
            name: replace(self.heads[replaced[name]], head=name) if name in replaced else result
            for name, result in self.heads.items()
            if name not in hidden
        }
        return replace(self, heads=heads)
