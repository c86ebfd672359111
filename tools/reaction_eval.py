"""``moodmoji eval reactions PATH``: how often the bot's reactions, moods and suggestions fit.

Each JSONL row is a chat message with what a thoughtful reader might do about it::

    {"text": "we got the puppy!! 🐶", "emoji": ["🐶", "😍", "🥰", "❤️"], "mood": ["joy"],
     "abstain_ok": false, "intents": ["congratulate", "ask"]}

``emoji`` are the acceptable reactions, ``mood`` the author's acceptable coarse moods,
``abstain_ok`` whether leaving the message alone is fine (logistics, links, "ok"), and the
optional ``intents`` the reply intents that would fit. Every message is decided on as an
explicit request on the chosen platform (its reaction rules apply, pacing does not) with
suggestions asked for. Figures (see :class:`ReactionScores`):

* ``top1``: the first reaction is acceptable, over messages that are not abstain_ok
  (abstaining counts as a miss);
* ``top3``: one of the first three candidates that the sensitivity guard lets through is
  acceptable, when the bot reacts (same messages);
* ``coverage``: the bot reacted at all (same messages);
* ``abstain_ok_rate``: left alone, over abstain_ok messages; ``abstain_ok_fine``: left alone
  or given an acceptable reaction;
* ``playful_on_sad``: messages whose moods include sadness, fear or anger that got a laughing
  or party reaction not in their acceptable set (a count, and ``playful_on_sad_rate``);
* ``mood_top1``: the leading mood is one of the row's moods;
* ``suggestion_fit``: at least one suggestion has a fitting intent, over messages that are
  not abstain_ok and have intents; ``suggested`` says how many got any suggestion;
* ``by_language``: ``top1`` and ``coverage`` per ``lang`` of the rows, when rows carry one (the
  response dataset's other languages, ``data/response/languages``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from moodmoji.bot.core import MoodBot, read
from moodmoji.bot.messages import IncomingMessage, Platform
from moodmoji.inference.analyzer import Analysis
from moodmoji.inference.vocabulary import emoji_key

#: Laughing and party reactions: never on a sad, fearful or angry message unless acceptable.
PLAYFUL_EMOJI: frozenset[str] = frozenset(
    emoji_key(e)
    for e in [
        "😀",
        "😃",
        "😄",
        "😁",
        "😆",
        "😅",
        "🤣",
        "😂",
        "😹",
        "💀",
        "🎉",
        "🎊",
        "🥳",
        "🪩",
        "🎈",
        "🍾",
        "🎆",
        "🤪",
        "😜",
        "😝",
    ]
)
UPSET_MOODS: frozenset[str] = frozenset({"sadness", "fear", "anger"})
_BATCH = 64


class ReactionDataError(ValueError):
    """A row of a reactions file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class ReactionRow:
    """One labelled message.

    Attributes:
        text: The message.
        emoji: Acceptable reactions (lookup keys, without U+FE0F).
        moods: Acceptable coarse moods of the author.
        abstain_ok: Whether leaving it alone is fine.
        intents: Reply intents that would fit (may be empty).
    """

    text: str
    emoji: frozenset[str]
    moods: frozenset[str]
    abstain_ok: bool
    intents: frozenset[str] = frozenset()
    lang: str | None = None


@dataclass(frozen=True)
class ReactionScores:
    """The figures of one run (see the module docstring)."""

    platform: str
    n: int
    react_worthy: int
    abstain_ok: int
    top1: float
    top3: float
    coverage: float
    abstain_ok_rate: float
    abstain_ok_fine: float
    playful_on_sad: int
    playful_on_sad_rate: float
    upset: int
    mood_top1: float
    suggestion_fit: float | None
    suggested: float | None
    with_intents: int
    by_language: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-friendly values, rates rounded to four places."""
        out = {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}
        out["by_language"] = {
            lang: {k: round(v, 4) for k, v in figures.items()}
            for lang, figures in sorted(self.by_language.items())
        }
        if not out["by_language"]:
            del out["by_language"]
        return out


def read_rows(path: Path) -> list[ReactionRow]:
    """Reads a reactions JSONL file.

    Raises:
        ReactionDataError: The file cannot be read or a row is malformed (named by line).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReactionDataError(f"{path}: cannot be read ({exc})") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            rows.append(_row(raw))
        except (ValueError, TypeError, KeyError) as exc:
            raise ReactionDataError(f"{path}:{number}: {exc}") from None
    if not rows:
        raise ReactionDataError(f"{path}: no rows")
    return rows


def _row(raw: object) -> ReactionRow:
    if not isinstance(raw, dict):
        raise ValueError("expected a JSON object")
    text, emoji, moods = raw["text"], raw["emoji"], raw["mood"]
    abstain_ok, intents = raw["abstain_ok"], raw.get("intents", [])
    lang = raw.get("lang")
    if lang is not None and not isinstance(lang, str):
        raise ValueError("'lang' should be a language code")
    if not isinstance(text, str):
        raise ValueError("'text' should be a string")
    for name, value in (("emoji", emoji), ("mood", moods), ("intents", intents)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{name!r} should be a list of strings")
    if not isinstance(abstain_ok, bool):
        raise ValueError("'abstain_ok' should be true or false")
    return ReactionRow(
        text,
        frozenset(emoji_key(e) for e in emoji),
        frozenset(moods),
        abstain_ok,
        frozenset(intents),
        lang,
    )


def evaluate_reactions(
    bot: MoodBot,
    rows: Sequence[ReactionRow],
    platform: Platform,
    progress: Callable[[int], None] | None = None,
    analyses: Sequence[Analysis] | None = None,
) -> ReactionScores:
    """Decides on every row as an explicit request and scores the decisions.

    ``analyses`` of the rows' texts may be given (one per row, in order) to score several
    settings on one model run.
    """
    top1 = top3 = reacted = left = fine = playful = upset = mood_hits = 0
    fitting = suggested = with_intents = 0
    per_language: dict[str, list[int]] = {}  # lang -> [react-worthy, first acceptable, reacted]
    for start in range(0, len(rows), _BATCH):
        chunk = rows[start : start + _BATCH]
        done = (
            analyses[start : start + _BATCH]
            if analyses is not None
            else bot.analyzer.analyze([row.text for row in chunk])
        )
        for offset, (row, analysis) in enumerate(zip(chunk, done, strict=True)):
            message = IncomingMessage(platform, "eval", str(start + offset), "eval", row.text)
            decision = bot.conclude(message, analysis, explicit=True, suggest=True)
            sent = [emoji_key(r.emoji) for r in decision.reactions]
            if row.abstain_ok:
                left += not sent
                fine += not sent or sent[0] in row.emoji
            else:
                reacted += bool(sent)
                top1 += bool(sent) and sent[0] in row.emoji
                if row.lang is not None:
                    tally = per_language.setdefault(row.lang, [0, 0, 0])
                    tally[0] += 1
                    tally[1] += bool(sent) and sent[0] in row.emoji
                    tally[2] += bool(sent)
                reading = read(row.text, analysis)
                allowed = bot.policy.allowed(
                    reading.candidates, reading.sensitivity, learned=reading.trigger is not None
                )
                top3 += bool(sent) and any(emoji_key(c.emoji) in row.emoji for c in allowed[:3])
            if row.moods & UPSET_MOODS:
                upset += 1
                playful += any(e in PLAYFUL_EMOJI and e not in row.emoji for e in sent)
            mood_hits += decision.mood in row.moods
            if not row.abstain_ok and row.intents:
                with_intents += 1
                suggested += bool(decision.suggestions)
                fitting += any(s.intent in row.intents for s in decision.suggestions)
        if progress is not None:
            progress(len(chunk))
    worthy = sum(not r.abstain_ok for r in rows)
    quiet = len(rows) - worthy
    return ReactionScores(
        platform=str(platform),
        n=len(rows),
        react_worthy=worthy,
        abstain_ok=quiet,
        top1=_rate(top1, worthy),
        top3=_rate(top3, worthy),
        coverage=_rate(reacted, worthy),
        abstain_ok_rate=_rate(left, quiet),
        abstain_ok_fine=_rate(fine, quiet),
        playful_on_sad=playful,
        playful_on_sad_rate=_rate(playful, upset),
        upset=upset,
        mood_top1=_rate(mood_hits, len(rows)),
        suggestion_fit=_rate(fitting, with_intents) if with_intents else None,
        suggested=_rate(suggested, with_intents) if with_intents else None,
        with_intents=with_intents,
        by_language={
            lang: {"top1": _rate(hits, n), "coverage": _rate(sent_any, n)}
            for lang, (n, hits, sent_any) in per_language.items()
        },
    )


def _rate(count: int, total: int) -> float:
    return count / total if total else 0.0
