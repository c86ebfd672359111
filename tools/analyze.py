"""``moodmoji analyze``: texts or JSON lines in, one JSON object per input out, in order.

A chat log (``--jsonl``) is read line by line with a progress bar on stderr; a line that cannot
be read is answered in place with ``{"line": N, "error": ...}`` and the rest still runs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, TextIO

from tqdm import tqdm

from moodmoji.bot.core import MoodBot
from moodmoji.bot.decision import Decision
from moodmoji.bot.messages import IncomingMessage, Platform
from moodmoji.inference.analyzer import Analysis
from moodmoji.inference.manifest import HeadKind

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
    author: str | None = None
    time: str | float | None = None


def items_from_texts(texts: Iterable[str]) -> Iterator[InputItem]:
    """Wraps command-line texts as input items."""
    for position, text in enumerate(texts, start=1):
        yield InputItem(line=position, text=text)


class JsonLines:
    """The input items of a chat log in JSON lines: ``{"text", "author"?, "time"?}`` per line.

    Blank lines are skipped. A line that is not such an object becomes an item carrying an
    error, so that the output keeps one answer per input line and nothing is silently lost.
    ``author`` (a string or number) and ``time`` (a string or number, kept as given) are
    optional; a value of another type is ignored; other fields are ignored.

    Args:
        stream: The log. When it can seek (a file), its non-blank lines are counted first, for
            the progress bar's total.

    Attributes:
        total: How many items the stream holds, when it could be counted.

    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.total = _count_items(stream)

    def __iter__(self) -> Iterator[InputItem]:
        for number, raw in enumerate(self.stream, start=1):
            if raw.strip():
                yield parse_line(number, raw)


_SURROGATE = re.compile("[\ud800-\udfff]")


def items_from_jsonl(stream: TextIO) -> JsonLines:
    """The input items of a JSON-lines stream (see :class:`JsonLines`)."""
    return JsonLines(stream)


def parse_line(number: int, raw: str) -> InputItem:
    """One line of a chat log as an input item (an item with ``error`` when unreadable)."""
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        return InputItem(line=number, error=f"not valid JSON ({exc.msg})")
    if not isinstance(obj, dict):
        return InputItem(line=number, error="expected a JSON object with a 'text' field")
    text = obj.get("text")
    if not isinstance(text, str):
        return InputItem(line=number, error="field 'text' is missing or not a string")
    author = obj.get("author")
    when = obj.get("time")
    return InputItem(
        line=number,
        text=without_surrogates(text),
        author=without_surrogates(str(author)) if _is_scalar(author) else None,
        time=_scalar(when),
    )


def without_surrogates(value: str) -> str:
    """``value`` with lone surrogates (U+D800 to U+DFFF, which JSON escapes allow) as U+FFFD.

    They cannot be written as UTF-8, so the output line of such an item would otherwise fail.
    """
    return _SURROGATE.sub("\ufffd", value)


def _scalar(value: object) -> str | float | None:
    """A string (without lone surrogates) or a number, else ``None``."""
    if isinstance(value, str):
        return without_surrogates(value)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _is_scalar(value: object) -> bool:
    """A string or a number (not a boolean)."""
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _count_items(stream: TextIO) -> int | None:
    """Non-blank lines left in a seekable stream (it is rewound), else ``None``."""
    try:
        if not stream.seekable():
            return None
        start = stream.tell()
        count = sum(1 for raw in stream if raw.strip())
        stream.seek(start)
    except (OSError, ValueError):
        return None
    return count


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
    progress: bool | None = None,
) -> int:
    """Analyses every item in batches and writes one JSON line per item, in input order.

    Each text is decided on as an explicit request on ``platform`` (its reaction constraints
    apply; cooldowns and budgets, which pace a live chat, do not). An item of a chat log keeps
    its ``author`` and ``time`` in the output.

    Args:
        bot: The bot (its analyzer runs in this thread).
        items: The inputs.
        out: Where the JSON lines go.
        platform: Whose reaction rules apply.
        batch_size: Texts per model run.
        top_k: Labels per head in the output.
        progress: Show a progress bar on stderr; by default only for a chat log
            (:class:`JsonLines`), not for a few texts given as arguments.

    Returns:
        The number of items that could not be analysed (reported as error objects).

    """
    show = isinstance(items, JsonLines) if progress is None else progress
    total = items.total if isinstance(items, JsonLines) else None
    failures = 0
    iterator = iter(items)
    with tqdm(
        total=total, desc="analyze", unit="msg", file=sys.stderr, disable=not show, leave=True
    ) as bar:
        while chunk := list(islice(iterator, batch_size)):
            texts = [item.text for item in chunk if item.text is not None]
            analyses = iter(bot.analyzer.analyze(texts))
            for item in chunk:
                if item.text is None:
                    failures += 1
                    record: dict[str, Any] = {"line": item.line, "error": item.error}
                else:
                    author = item.author or "cli"
                    message = IncomingMessage(platform, "cli", str(item.line), author, item.text)
                    analysis = next(analyses)
                    decision = bot.conclude(message, analysis, explicit=True)
                    record = analysis_json(item.text, decision, analysis, top_k)
                    if item.author is not None:
                        record["author"] = item.author
                    if item.time is not None:
                        record["time"] = item.time
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            bar.update(len(chunk))
    if failures:
        logger.warning("%d input line(s) could not be analysed", failures)
    return failures
