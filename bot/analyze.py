"""``moodmoji analyze``: texts or JSON lines in, one JSON object per input out, in order."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, TextIO

from bot.core import MoodBot
from bot.decision import Decision
from bot.messages import IncomingMessage, Platform
from inference.analyzer import Analysis
from inference.manifest import HeadKind

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InputItem:
    """One input: its text, or why the line could not be read.

    Attributes:
        line: 1-based line number (or argument position).
        text: The text to analyse, when the input was readable.
        error: Why the input was rejected, otherwise.

    """

    line: int
    text: str | None = None
    error: str | None = None


def items_from_texts(texts: Iterable[str]) -> Iterator[InputItem]:
    """Wraps command-line texts as input items."""
    for position, text in enumerate(texts, start=1):
        yield InputItem(line=position, text=text)


def items_from_jsonl(stream: TextIO) -> Iterator[InputItem]:
    """Reads JSON lines, each an object with a string ``text`` (other fields are ignored).

    Blank lines are skipped. A line that is not such an object becomes an item carrying an
    error, so that the output keeps one answer per input line and nothing is silently lost.
    """
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield InputItem(line=number, error=f"not valid JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            yield InputItem(line=number, error="expected a JSON object with a 'text' field")
        elif not isinstance(obj.get("text"), str):
            yield InputItem(line=number, error="field 'text' is missing or not a string")
        else:
            yield InputItem(line=number, text=obj["text"])


def analysis_json(text: str, decision: Decision, analysis: Analysis, top_k: int) -> dict[str, Any]:
    """The JSON object printed for one analysed text.

    ``mood`` is the leading coarse mood; ``moods`` the ``top_k`` best coarse moods with their
    shares; ``emotions`` the fine labels the model decided on; ``reactions`` what the bot would
    react with on the chosen platform (empty: it would not react); ``suggestions`` up to three
    replies; ``why`` the explanation; ``heads`` every classifier head's ``top_k`` labels.
    Embeddings are left out.
    """
    heads: dict[str, list[dict[str, Any]]] = {}
    for name, result in analysis.prediction.heads.items():
        if result.kind is HeadKind.EMBEDDING:
            continue
        heads[name] = [{"label": s.label, "score": round(s.score, 6)} for s in result.top(top_k)]
    body = decision.as_dict()
    body["moods"] = body["moods"][:top_k]
    return {"text": text, "mood": decision.mood, **body, "heads": heads}


def run_analyze(
    bot: MoodBot,
    items: Iterable[InputItem],
    out: TextIO,
    *,
    platform: Platform,
    batch_size: int,
    top_k: int,
) -> int:
    """Analyses every item in batches and writes one JSON line per item, in input order.

    Each text is decided on as an explicit request on ``platform`` (its reaction constraints
    apply; cooldowns and budgets, which pace a live chat, do not).

    Returns:
        The number of items that could not be analysed (reported as error objects).

    """
    failures = 0
    iterator = iter(items)
    while chunk := list(islice(iterator, batch_size)):
        good = [item for item in chunk if item.text is not None]
        analyses = iter(bot.analyzer.analyze([item.text for item in good if item.text is not None]))
        for item in chunk:
            if item.text is None:
                failures += 1
                record: dict[str, Any] = {"line": item.line, "error": item.error}
            else:
                message = IncomingMessage(platform, "cli", str(item.line), "cli", item.text)
                analysis = next(analyses)
                decision = bot.conclude(message, analysis, explicit=True)
                record = analysis_json(item.text, decision, analysis, top_k)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    if failures:
        logger.warning("%d input line(s) could not be analysed", failures)
    return failures
