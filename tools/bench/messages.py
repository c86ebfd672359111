"""The fixed benchmark messages: 320 chat messages written for moodmoji's benchmark.

``data/bench_messages.jsonl`` holds one ``{"text", "kind"}`` object per line. The mix follows
group chats: about 45 % short (1-8 words), 35 % medium, 15 % long (31-80 words), 5 % very long
(100-250 words), plus emoji-only, other-script and odd lines (URLs, code, zalgo, RTL override).
Token counts with the default tokenizer: median 16, 90th percentile 52, 15 messages cut at 128.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

BENCH_MESSAGES_FILE = Path(__file__).resolve().parent / "data" / "bench_messages.jsonl"


@dataclass(frozen=True)
class BenchMessage:
    """One benchmark message.

    Attributes:
        text: The message.
        kind: ``short``, ``medium``, ``long``, ``very_long``, ``emoji``, ``other_script`` or
            ``odd``.

    """

    text: str
    kind: str


def load_messages(path: Path = BENCH_MESSAGES_FILE) -> tuple[BenchMessage, ...]:
    """Reads the benchmark messages, in file order.

    Raises:
        ValueError: A line is not a ``{"text": str, "kind": str}`` object (the line is named).

    """
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        obj = json.loads(line)
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise ValueError(f"{path}:{number}: expected an object with a 'text' string")
        out.append(BenchMessage(obj["text"], str(obj.get("kind", "medium"))))
    return tuple(out)


def describe(messages: tuple[BenchMessage, ...]) -> dict[str, int]:
    """Messages per kind, for the report."""
    return dict(sorted(Counter(m.kind for m in messages).items()))
