"""Emotion-aware reply suggestions (Smart Reply style) from a reply bank written for moodmoji.

The bank (``data/reply_bank.jsonl``) holds short replies, each tagged with an intent
(``sympathize``, ``congratulate``, ``ask`` ...), the coarse moods of the messages it suits, a tone,
and two or three example messages it answers. Each reply's fit to a message combines:

* **semantic fit**: the mean of the :data:`EXAMPLES_AVERAGED` best cosines between the
  message's embedding and the embeddings of the reply's examples (the model's embedding head),
  mapped from ``[SEMANTIC_FLOOR, SEMANTIC_FULL]`` onto ``[0, 1]``. Averaging two examples
  rather than taking the best one keeps a lone look-alike example ("the sky is blue" against
  "let's go with the blue design": cosine 0.69) from triggering a reply;
* **mood fit**: the message's share of the moods the reply is tagged with.

``fit = semantic * (MOOD_BASE + (1 - MOOD_BASE) * mood)``: both must agree for a high fit, and
a reply whose mood fit is under :data:`MIN_MOOD_FIT` is never offered. Then:

1. **Sensitivity**: on a negative message no playful reply and none of the intents in
   :data:`CHEERFUL_INTENTS`; on a somber one no :data:`CASUAL_INTENTS` either; on a clearly
   happy message no :data:`CONDOLENCE_INTENTS`.
2. **Triggering gate**: nothing unless the best reply fits at least the chat's
   ``suggestion_threshold``.
3. **Diversity**: replies are taken best first, one per intent, skipping near-paraphrases of a
   reply already taken (cosine of the reply texts over :data:`PARAPHRASE_COSINE`); later picks
   must clear the threshold too, and fit at least :data:`RUNNER_UP_OF_BEST` of the best
   reply's fit.

**Asked for.** When the user asks (``/suggest``, the Discord context menu, the HTTP API with
suggestions requested), the chat's threshold does not gate: the best appropriate reply is
always offered if it fits at least :data:`ASKED_FLOOR`, and runners-up of other intents
follow down to :data:`ASKED_RUNNER_UP_OF_BEST` of its fit, so that the user gets up to three
kinds of reply to choose from. The sensitivity rules apply unchanged.

A somber message (see :func:`bot.policy.assess`) counts as at least half sad in the mood fit
(:data:`SOMBER_SADNESS`), so that "the biopsy came back positive", read as neutral by the
model but named grave by the word-level check, is still answered with sympathy.

A bundle without an embedding head falls back to mood fit alone, scaled by ``MOOD_BASE``, so
that such a bundle suggests only when the mood is very clear and the threshold low.

**Learned intents.** A bundle with a reply-intent head (the default model) says how likely
each intent is to fit the message, learned from the response dataset. Then a reply's fit is
``p(intent) * (INTENT_BASE + INTENT_SEMANTIC * semantic + INTENT_MOOD * mood)``: the head
decides which kinds of reply fit, and the examples and moods pick the best-worded reply of
each kind. The sensitivity rules, the gate and the diversity rules above apply unchanged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from moodmoji.bot.decision import Step, Suggestion, Tag
from moodmoji.bot.policy import Sensitivity
from moodmoji.inference.vocabulary import MOODS, Tone

logger = logging.getLogger(__name__)

__all__ = [
    "CASUAL_INTENTS",
    "CHEERFUL_INTENTS",
    "CONDOLENCE_INTENTS",
    "INTENTS",
    "REPLY_BANKS_DIR",
    "REPLY_BANK_FILE",
    "Reply",
    "ReplyBank",
    "ReplyBankError",
    "Suggested",
    "Suggester",
    "SuggestionRequest",
    "bank_texts",
]

FloatArray = npt.NDArray[np.float32]
Embed = Callable[[Sequence[str]], FloatArray]

REPLY_BANK_FILE = Path(__file__).resolve().parent / "data" / "reply_bank.jsonl"
REPLY_BANKS_DIR = Path(__file__).resolve().parent / "data" / "reply_banks"
"""The reply banks written in other languages, one ``<ISO 639-1 code>.jsonl`` each."""

INTENTS: tuple[str, ...] = (
    "congratulate",
    "celebrate",
    "sympathize",
    "comfort",
    "encourage",
    "reassure",
    "validate",
    "thank",
    "welcome",
    "agree",
    "acknowledge",
    "ask",
    "apologize",
    "compliment",
    "laugh",
    "tease",
    "greet",
    "farewell",
    "accept",
    "decline",
    "offer-help",
    "surprise",
    "wish-well",
    "relate",
)
#: Never on a negative message (no congratulations to bad news, no joke to a bereavement).
CHEERFUL_INTENTS: frozenset[str] = frozenset(
    {"congratulate", "celebrate", "laugh", "tease", "compliment"}
)
#: Not on a somber message either (too light for grief or fear).
CASUAL_INTENTS: frozenset[str] = frozenset({"surprise", "relate", "greet", "agree"})
#: Not on a clearly happy message.
CONDOLENCE_INTENTS: frozenset[str] = frozenset({"sympathize", "comfort", "validate", "reassure"})

SEMANTIC_FLOOR = 0.4
SEMANTIC_FULL = 0.85
EXAMPLES_AVERAGED = 2
MOOD_BASE = 0.5
MIN_MOOD_FIT = 0.1
PARAPHRASE_COSINE = 0.8
RUNNER_UP_OF_BEST = 0.5
HAPPY_SHARE = 0.6
SOMBER_SADNESS = 0.5
INTENT_BASE = 0.5
INTENT_SEMANTIC = 0.3
INTENT_MOOD = 0.2
#: When asked, the least fit a reply needs at all.
ASKED_FLOOR = 0.05
#: When asked, runners-up need this share of the best reply's fit.
ASKED_RUNNER_UP_OF_BEST = 0.15


class ReplyBankError(Exception):
    """The reply bank file is missing or malformed; ``str()`` names the file and line."""


@dataclass(frozen=True)
class Reply:
    """One reply of the bank.

    Attributes:
        text: The reply.
        intent: One of :data:`INTENTS`.
        moods: Coarse moods of the messages it suits.
        tone: Its tone (playful replies never go on negative messages).
        examples: Messages it answers well (embedded for the semantic fit).

    """

    text: str
    intent: str
    moods: tuple[str, ...]
    tone: Tone
    examples: tuple[str, ...]


@dataclass(frozen=True)
class ReplyBank:
    """The validated reply bank."""

    replies: tuple[Reply, ...]

    @classmethod
    def load(cls, path: Path = REPLY_BANK_FILE) -> ReplyBank:
        """Reads and validates a reply bank (JSON lines).

        Raises:
            ReplyBankError: The file cannot be read, or a line is malformed (named).

        """
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ReplyBankError(f"{path}: cannot be read ({exc.strerror})") from None
        replies = []
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    replies.append(_parse(json.loads(line)))
                except (ValueError, TypeError, KeyError) as exc:
                    raise ReplyBankError(f"{path}:{number}: {exc}") from None
        if not replies:
            raise ReplyBankError(f"{path}: no replies")
        return cls(tuple(replies))

    @classmethod
    def load_languages(cls, folder: Path = REPLY_BANKS_DIR) -> dict[str, ReplyBank]:
        """Every reply bank of ``folder``, by language code (the file's stem).

        Raises:
            ReplyBankError: A bank cannot be read, or a line is malformed (named).
        """
        return {path.stem: cls.load(path) for path in sorted(folder.glob("*.jsonl"))}

    def __len__(self) -> int:
        return len(self.replies)


def _parse(obj: object) -> Reply:
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    text, intent, tone = obj["text"], obj["intent"], obj["tone"]
    moods, examples = obj["moods"], obj["examples"]
    if not isinstance(text, str) or not text.strip():
        raise ValueError("'text' should be a non-empty string")
    if intent not in INTENTS:
        raise ValueError(f"unknown intent {intent!r}")
    if not isinstance(moods, list) or not moods or any(m not in MOODS for m in moods):
        raise ValueError("'moods' should be a non-empty list of coarse moods")
    if not isinstance(examples, list) or not examples:
        raise ValueError("'examples' should be a non-empty list of messages")
    if not all(isinstance(e, str) and e.strip() for e in examples):
        raise ValueError("'examples' should hold non-empty strings")
    return Reply(text, intent, tuple(moods), Tone(tone), tuple(examples))


@dataclass(frozen=True)
class SuggestionRequest:
    """What ranking the replies of one message takes (see :meth:`Suggester.suggest`).

    Attributes:
        moods: Coarse mood shares, best first.
        embedding: The message's L2-normalised embedding (``None``: mood fit only).
        sensitivity: The message's sensitivity (:func:`bot.policy.assess`).
        threshold: The chat's suggestion threshold.
        limit: Most replies suggested.
        intents: Learned reply-intent probabilities, when the model has them.
        asked: The user asked for suggestions, so ``threshold`` does not gate.

    """

    moods: tuple[Tag, ...]
    embedding: FloatArray | None = field(compare=False)
    sensitivity: Sensitivity
    threshold: float
    limit: int = 3
    intents: tuple[Tag, ...] = ()
    asked: bool = False


#: What :meth:`Suggester.suggest` returns: the suggestions, the best replies considered (for
#: the explanation) and the steps.
Suggested = tuple[tuple[Suggestion, ...], tuple[Suggestion, ...], tuple[Step, ...]]

#: Best-fitting replies looked at per message, before the sensitivity rules.
CONSIDERED = 60
#: Best-fitting appropriate replies shown in the explanation.
SHOWN = 5

# Why a reply is left out of a message's suggestions (see _refusals).
_KEPT, _SENSITIVE, _HAPPY = 0, 1, 2


@dataclass(frozen=True)
class _Scored:
    reply: Reply
    index: int
    fit: float


def bank_texts(bank: ReplyBank) -> list[str]:
    """The texts a suggester embeds: every reply's examples in bank order, then the replies."""
    return [e for r in bank.replies for e in r.examples] + [r.text for r in bank.replies]


class Suggester:
    """Ranks the reply bank against messages, one at a time or a batch at once.

    A batch costs one model-free pass of array operations for all its messages: only the
    cosines against the examples are computed message by message (one matrix-vector product
    each, so that a message's fits do not depend on its batch-mates down to the last bit).

    Args:
        bank: The replies.
        example_vectors: L2-normalised embeddings of every reply's examples, in bank order
            (``None`` when the model has no embedding head).
        reply_vectors: L2-normalised embeddings of the reply texts (for paraphrase checks).

    """

    def __init__(
        self,
        bank: ReplyBank,
        example_vectors: FloatArray | None = None,
        reply_vectors: FloatArray | None = None,
    ) -> None:
        self.bank = bank
        replies = bank.replies
        counts = [len(r.examples) for r in replies]
        # slot j of reply i holds the index of its j-th example vector, -1 past its last
        self._slots = np.full((len(replies), max(counts)), -1, dtype=np.intp)
        starts = np.cumsum([0, *counts[:-1]])
        for i, (start, count) in enumerate(zip(starts, counts, strict=True)):
            self._slots[i, :count] = np.arange(start, start + count)
        if example_vectors is not None and example_vectors.shape[0] != sum(counts):
            raise ValueError(
                f"{example_vectors.shape[0]} example vectors for {sum(counts)} examples"
            )
        if reply_vectors is not None and reply_vectors.shape[0] != len(replies):
            raise ValueError(f"{reply_vectors.shape[0]} reply vectors for {len(bank)} replies")
        self._examples = example_vectors
        self._replies = reply_vectors
        self._mood_mask = np.array(
            [[mood in r.moods for mood in MOODS] for r in replies], dtype=np.float32
        )
        self._filled = self._slots >= 0
        self._slot_index = np.maximum(self._slots, 0)
        # a reply with a single example counts it once
        self._taken = np.minimum(self._filled.sum(axis=1), EXAMPLES_AVERAGED)
        # every reply with as many examples: its cosines are a reshape, not a gather
        self._dense = bool(self._filled.all())
        self._intent_of = np.array([INTENTS.index(r.intent) for r in replies], dtype=np.intp)
        self._cheerful = np.array(
            [r.tone is Tone.PLAYFUL or r.intent in CHEERFUL_INTENTS for r in replies], dtype=bool
        )
        self._casual = np.array([r.intent in CASUAL_INTENTS for r in replies], dtype=bool)
        self._condolence = np.array([r.intent in CONDOLENCE_INTENTS for r in replies], dtype=bool)

    @classmethod
    def from_embedder(cls, bank: ReplyBank, embed: Embed | None) -> Suggester:
        """Embeds the bank's examples and texts with ``embed`` (``None``: mood fit only)."""
        if embed is None:
            return cls(bank)
        examples = sum(len(r.examples) for r in bank.replies)
        vectors = embed(bank_texts(bank))
        return cls(bank, vectors[:examples], vectors[examples:])

    # ------------------------------------------------------------------ fits

    def fits(
        self,
        moods: Sequence[Tag],
        embedding: FloatArray | None,
        *,
        somber: bool = False,
        intents: Sequence[Tag] = (),
    ) -> FloatArray:
        """Every reply's fit to a message, in bank order (learned intents when given)."""
        request = SuggestionRequest(
            tuple(moods), embedding, Sensitivity(somber=somber), 0.0, intents=tuple(intents)
        )
        out: FloatArray = self.fits_many([request])[0]
        return out

    def fits_many(self, requests: Sequence[SuggestionRequest]) -> FloatArray:
        """Every reply's fit to each message: one row per request, replies in bank order.

        Row ``i`` is bit for bit what :meth:`fits` gives for request ``i`` alone: the batch
        shares array operations, never a sum whose rounding would depend on its batch-mates.
        """
        out = np.empty((len(requests), len(self.bank.replies)), dtype=np.float32)
        if not requests:
            return out
        mood_fit = np.stack(
            [self._mood_mask @ _mood_shares(r.moods, r.sensitivity.somber) for r in requests]
        )
        embedded = (
            [i for i, r in enumerate(requests) if r.embedding is not None]
            if self._examples is not None
            else []
        )
        semantic = np.zeros_like(out)
        if embedded:
            semantic[embedded] = self._semantic_many(
                [requests[i].embedding for i in embedded]  # type: ignore[misc]
            )
        for learned in (True, False):
            for with_semantic in (True, False):
                rows = [
                    i
                    for i, r in enumerate(requests)
                    if bool(r.intents) is learned and (i in embedded) is with_semantic
                ]
                if rows:
                    chance = (
                        np.array([_intent_chances(requests[i].intents) for i in rows], np.float32)
                        if learned
                        else None
                    )
                    out[rows] = self._fit_rows(
                        mood_fit[rows], semantic[rows] if with_semantic else None, chance
                    )
        return out

    def _fit_rows(
        self, mood_fit: FloatArray, semantic: FloatArray | None, chance: FloatArray | None
    ) -> FloatArray:
        """The fits of messages alike in what they have: learned intents, an embedding.

        Args:
            mood_fit: Each reply's mood fit, one row per message.
            semantic: Each reply's semantic fit, or ``None`` without embeddings.
            chance: Each intent's learned probability (:data:`INTENTS` order), or ``None``.

        """
        if chance is not None:
            p = chance[:, self._intent_of]
            wording = INTENT_BASE + INTENT_MOOD * mood_fit
            if semantic is not None:
                wording = wording + INTENT_SEMANTIC * semantic
            learned: FloatArray = (p * wording).astype(np.float32)
            return learned
        if semantic is None:
            fit = MOOD_BASE * mood_fit
        else:
            fit = semantic * (MOOD_BASE + (1.0 - MOOD_BASE) * mood_fit)
        fused: FloatArray = np.where(mood_fit >= MIN_MOOD_FIT, fit, 0.0).astype(np.float32)
        return fused

    def _semantic_many(self, embeddings: Sequence[FloatArray]) -> FloatArray:
        """Each reply's semantic fit in [0, 1] from its best examples, one row per embedding."""
        assert self._examples is not None
        cosines = np.empty((len(embeddings), self._examples.shape[0]), dtype=np.float32)
        for row, embedding in zip(cosines, embeddings, strict=True):
            # a product per message: one matrix product for the batch would round differently
            row[:] = self._examples @ embedding.astype(np.float32)
        if self._dense:
            per_reply = cosines.reshape(len(embeddings), *self._slots.shape)
        else:
            per_reply = np.where(self._filled, cosines[:, self._slot_index], -1.0)
        best = -np.sort(-per_reply, axis=-1)[..., :EXAMPLES_AVERAGED]
        mean = np.where(best > -1.0, best, 0.0).sum(axis=-1) / self._taken
        out: FloatArray = np.clip(
            (mean - SEMANTIC_FLOOR) / (SEMANTIC_FULL - SEMANTIC_FLOOR), 0, 1
        ).astype(np.float32)
        return out

    # ------------------------------------------------------------------ suggesting

    def suggest(
        self,
        moods: Sequence[Tag],
        embedding: FloatArray | None,
        sensitivity: Sensitivity,
        *,
        threshold: float,
        limit: int = 3,
        intents: Sequence[Tag] = (),
        asked: bool = False,
    ) -> Suggested:
        """Up to ``limit`` diverse, appropriate replies, or none.

        ``intents`` are the learned reply-intent probabilities, when the model has them.
        ``asked``: the user asked for suggestions, so ``threshold`` does not gate (see the
        module docstring).

        Returns:
            The suggestions, the best replies considered (for the explanation), and the steps.

        """
        request = SuggestionRequest(
            tuple(moods), embedding, sensitivity, threshold, limit, tuple(intents), asked
        )
        return self.suggest_many([request])[0]

    def suggest_many(self, requests: Sequence[SuggestionRequest]) -> list[Suggested]:
        """:meth:`suggest` for several messages at once, in order.

        Each message gets exactly what :meth:`suggest` gives it alone; the fits and their
        ranking are computed for the whole batch in a few array operations.
        """
        out: list[Suggested] = [
            ((), (), (Step("suggestions", "this chat asks for no suggestions"),))
        ] * len(requests)
        active = [i for i, r in enumerate(requests) if r.limit > 0]
        if not active:
            return out
        wanted = [requests[i] for i in active]
        fits = self.fits_many(wanted)
        order = np.argsort(-fits, axis=1, kind="stable")[:, :CONSIDERED]
        refusals = self._refusals(wanted, order)
        for row, i in enumerate(active):
            out[i] = self._choose(requests[i], fits[row], order[row], refusals[row])
        return out

    def _refusals(
        self, requests: Sequence[SuggestionRequest], order: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.int8]:
        """Why each ranked reply must not go on its message (:data:`_KEPT` when it may).

        The sensitivity rules of the module docstring, for every message and ranked reply at
        once: nothing cheerful or playful on a negative message, nothing casual on a somber one
        (both :data:`_SENSITIVE`), no condolences on a clearly happy one (:data:`_HAPPY`).
        """
        negative = np.array([r.sensitivity.negative for r in requests], dtype=bool)[:, None]
        somber = np.array([r.sensitivity.somber for r in requests], dtype=bool)[:, None]
        happy = np.array([_happy(r.moods) for r in requests], dtype=bool)[:, None]
        sensitive = (negative & self._cheerful[order]) | (somber & self._casual[order])
        merry = happy & ~negative & self._condolence[order]
        codes: npt.NDArray[np.int8] = np.where(
            sensitive, _SENSITIVE, np.where(merry, _HAPPY, _KEPT)
        ).astype(np.int8)
        return codes

    def _choose(
        self,
        request: SuggestionRequest,
        fits: FloatArray,
        order: npt.NDArray[np.intp],
        refusals: npt.NDArray[np.int8],
    ) -> Suggested:
        """One message's suggestions from its ranked replies (see the module docstring)."""
        kept = order[refusals == _KEPT]
        ranked = kept.tolist()
        fit_of = fits[kept].tolist()
        considered = tuple(
            self._suggestion(index, fit) for index, fit in zip(ranked[:SHOWN], fit_of, strict=False)
        )
        steps: list[Step] = []
        refused = self._refused(request.sensitivity, order, refusals)
        if refused:
            steps.append(Step("suggestion-sensitivity", "left out " + ", ".join(refused)))
        gate = ASKED_FLOOR if request.asked else request.threshold
        best = round(fit_of[0], 4) if ranked else None
        if best is None or best < gate:
            top = f"{best:.2f}" if best is not None else "nothing"
            steps.append(
                Step(
                    "suggestion-gate",
                    f"best reply fits {top}, under the threshold {gate:g}: no suggestions",
                )
            )
            return (), considered, tuple(steps)
        if request.asked:
            steps.append(Step("suggestion-gate", f"asked for: best reply fits {best:.2f}"))
        chosen: list[_Scored] = []
        share = ASKED_RUNNER_UP_OF_BEST if request.asked else RUNNER_UP_OF_BEST
        bar = max(gate, best * share)
        for index, raw in zip(ranked, fit_of, strict=True):
            if len(chosen) >= request.limit:
                break
            item = _Scored(self.bank.replies[index], index, round(raw, 4))
            if chosen and item.fit < bar:
                break
            if any(c.reply.intent == item.reply.intent for c in chosen):
                continue
            if self._paraphrase(item, chosen):
                continue
            chosen.append(item)
        suggestions = tuple(Suggestion(c.reply.text, c.reply.intent, c.fit) for c in chosen)
        return suggestions, considered, tuple(steps)

    def _suggestion(self, index: int, fit: float) -> Suggestion:
        reply = self.bank.replies[index]
        return Suggestion(reply.text, reply.intent, round(fit, 4))

    def _refused(
        self,
        sensitivity: Sensitivity,
        order: npt.NDArray[np.intp],
        refusals: npt.NDArray[np.int8],
    ) -> list[str]:
        """What the sensitivity rules left out of a message's ranked replies, sorted, once each."""
        if not refusals.any():
            return []
        intents = self._intent_of
        why = {
            f"{INTENTS[i]} ({sensitivity.reason})"
            for i in np.unique(intents[order[refusals == _SENSITIVE]]).tolist()
        }
        why.update(
            f"{INTENTS[i]} (a happy message)"
            for i in np.unique(intents[order[refusals == _HAPPY]]).tolist()
        )
        return sorted(why)

    def _paraphrase(self, item: _Scored, chosen: Sequence[_Scored]) -> bool:
        if self._replies is None or not chosen:
            return False
        vector = self._replies[item.index]
        return any(float(vector @ self._replies[c.index]) > PARAPHRASE_COSINE for c in chosen)


def _mood_shares(moods: Sequence[Tag], somber: bool) -> FloatArray:
    """A message's mood shares in :data:`MOODS` order; a somber one counts as half sad at least."""
    shares = {m.label: m.score for m in moods}
    sad = shares.get("sadness", 0.0) + shares.get("fear", 0.0)
    if somber and sad < SOMBER_SADNESS:
        keep = (1.0 - SOMBER_SADNESS) / max(1.0 - sad, 1e-6)
        shares = {k: v * keep for k, v in shares.items() if k not in ("sadness", "fear")}
        shares["sadness"] = SOMBER_SADNESS
    return np.array([shares.get(m, 0.0) for m in MOODS], np.float32)


def _intent_chances(intents: Sequence[Tag]) -> list[float]:
    """The learned probability of each of :data:`INTENTS`, in that order (0 when not given)."""
    chance = {tag.label: tag.score for tag in intents}
    return [chance.get(intent, 0.0) for intent in INTENTS]


def _happy(moods: Sequence[Tag]) -> bool:
    """Whether a message is clearly happy (no condolences then)."""
    return bool(moods) and moods[0].label in ("joy", "love") and moods[0].score >= HAPPY_SHARE
