"""What the core decides about one message, and why.

A :class:`Decision` is what adapters act on: the reactions to set (already fitted to the
platform), the mood tags and fine emotions, the suggested replies, and an :class:`Explanation`
that a ``/why`` command can print. All types are frozen and free of inference types, so adapters
can use them without importing the inference core.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

__all__ = [
    "Candidate",
    "Decision",
    "Explanation",
    "Gate",
    "Reaction",
    "Step",
    "Suggestion",
    "Tag",
]


@dataclass(frozen=True)
class Reaction:
    """One reaction to set on the message.

    Attributes:
        emoji: What to send: a Unicode emoji in the platform's own form (Telegram's verbatim
            list) or a Discord custom emoji ``<:name:id>``.
        score: The confidence of the candidate it came from (0..1).
        stands_for: The model's candidate when a fallback or custom-emoji map replaced it.

    """

    emoji: str
    score: float
    stands_for: str | None = None


@dataclass(frozen=True)
class Gate:
    """The confidence gate a message's reactions had to pass: which value met which threshold.

    A reaction's own ``score`` (its candidate's confidence) is not what the gate compares when
    the model has a trigger head; this is, so show it next to the threshold.

    Attributes:
        score: The value compared with the threshold.
        threshold: The chat's ``reaction_threshold``.
        basis: What ``score`` is: ``trigger``, the learned probability that a reader would
            react at all (the default model); or ``best-candidate``, the best remaining
            candidate's score, raised by runners-up that agree on its mood (a model without a
            trigger head).

    """

    score: float
    threshold: float
    basis: str

    @property
    def passed(self) -> bool:
        """Whether the score reached the threshold (reactions may still be ruled out later)."""
        return self.score >= self.threshold

    def describe(self) -> str:
        """One line, e.g. ``reader would react 0.91 ≥ threshold 0.85 (passed)``."""
        what = "reader would react" if self.basis == "trigger" else "best candidate"
        sign, verdict = ("≥", "passed") if self.passed else ("<", "not passed")
        digits = 2 if round(self.score, 2) != self.threshold or self.passed else 4
        return f"{what} {self.score:.{digits}f} {sign} threshold {self.threshold:g} ({verdict})"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "basis": self.basis,
            "score": self.score,
            "threshold": self.threshold,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class Tag:
    """A mood or emotion label with its score."""

    label: str
    score: float


@dataclass(frozen=True)
class Suggestion:
    """One suggested reply.

    Attributes:
        text: The reply.
        intent: What it does (``sympathize``, ``congratulate``, ``ask`` ...).
        score: How well it fits the message (0..1).

    """

    text: str
    intent: str
    score: float


@dataclass(frozen=True)
class Candidate:
    """A reaction candidate as the model ranked it, before any rule."""

    emoji: str
    score: float
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """One thing a rule did or checked, in the order it happened.

    Attributes:
        rule: A short stable name (``confidence-gate``, ``sensitivity``, ``telegram-fallback``,
            ``cooldown``, ``opt-out`` ...), for tests and for grouping.
        detail: One human-readable sentence; never the message text.

    """

    rule: str
    detail: str


@dataclass(frozen=True)
class Explanation:
    """Why a decision came out as it did.

    Attributes:
        candidates: The model's reaction candidates, best first.
        thresholds: The thresholds in force (``reaction``, ``suggestion`` ...).
        steps: What each rule did, in order.
        replies: The best-fitting replies considered, before diversity and gating.

    """

    candidates: tuple[Candidate, ...] = ()
    thresholds: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    steps: tuple[Step, ...] = ()
    replies: tuple[Suggestion, ...] = ()

    def rules(self) -> tuple[str, ...]:
        """The names of the rules that took part, in order."""
        return tuple(step.rule for step in self.steps)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "candidates": [
                {"emoji": c.emoji, "score": c.score, "sources": list(c.sources)}
                for c in self.candidates
            ],
            "thresholds": dict(self.thresholds),
            "steps": [{"rule": s.rule, "detail": s.detail} for s in self.steps],
            "replies": [
                {"text": r.text, "intent": r.intent, "score": r.score} for r in self.replies
            ],
        }

    def lines(self) -> list[str]:
        """Human-readable lines, as a ``/why`` command prints them."""
        out = []
        if self.candidates:
            ranked = ", ".join(f"{c.emoji} {c.score:.2f}" for c in self.candidates)
            out.append(f"candidates: {ranked}")
        else:
            out.append("candidates: none (nothing scored high enough)")
        if self.thresholds:
            out.append("thresholds: " + ", ".join(f"{k} {v:g}" for k, v in self.thresholds.items()))
        out.extend(f"{step.rule}: {step.detail}" for step in self.steps)
        return out


@dataclass(frozen=True)
class Decision:
    """What to do about one message.

    Attributes:
        reactions: Reactions to set now, fitted to the platform; empty means none.
        moods: Coarse mood tags, best first.
        emotions: Fine emotion labels above their thresholds, best first.
        suggestions: Up to three replies with different intents; empty when none fits.
        why: The explanation.
        skipped: Why the message was not analysed at all (``bot author``, ``opted out``,
            ``mode off``), or ``None`` when it was.
        gate: The confidence gate's comparison (the value that passed or failed the reaction
            threshold), or ``None`` when no gate was checked (no reactions asked for, no
            candidate left, not analysed).
        language: The message's language, an ISO 639-1 code (``"ru"``), or ``"und"`` when it
            could not be told (too short, emoji only, unsure) or the message was not analysed;
            the ``language`` step of ``why`` says which.
        language_confidence: The language identifier's probability for ``language`` (0..1).

    """

    reactions: tuple[Reaction, ...] = ()
    moods: tuple[Tag, ...] = ()
    emotions: tuple[Tag, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    why: Explanation = field(default_factory=Explanation)
    skipped: str | None = None
    gate: Gate | None = None
    language: str = "und"
    language_confidence: float = 0.0

    @property
    def mood(self) -> str | None:
        """The leading mood, if the message was analysed."""
        return self.moods[0].label if self.moods else None

    @classmethod
    def skip(cls, rule: str, detail: str) -> Decision:
        """A decision not to look at the message at all."""
        return cls(why=Explanation(steps=(Step(rule, detail),)), skipped=rule)

    def with_language(self, code: str, confidence: float, detail: str) -> Decision:
        """This decision with the message's language, and a first ``language`` step in ``why``.

        Args:
            code: ISO 639-1 code or ``"und"``.
            confidence: The identifier's probability for ``code``.
            detail: The step's text, e.g. ``ru (0.97)`` or ``und (too short)``.
        """
        steps = (Step("language", detail), *self.why.steps)
        return replace(
            self,
            language=code,
            language_confidence=confidence,
            why=replace(self.why, steps=steps),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as ``moodmoji analyze`` prints it (without the text).

        Each reaction's ``score`` is its candidate's confidence; ``gate`` is the value that
        was compared with the reaction threshold (:class:`Gate`), or ``None``.
        """
        return {
            "reactions": [{"emoji": r.emoji, "score": r.score} for r in self.reactions],
            "gate": self.gate.as_dict() if self.gate is not None else None,
            "moods": [{"label": m.label, "score": m.score} for m in self.moods],
            "emotions": [{"label": e.label, "score": e.score} for e in self.emotions],
            "suggestions": [{"text": s.text, "intent": s.intent} for s in self.suggestions],
            "language": self.language,
            "language_confidence": self.language_confidence,
            "why": self.why.as_dict() | ({"skipped": self.skipped} if self.skipped else {}),
        }
