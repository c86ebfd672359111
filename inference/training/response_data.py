"""Assembles the response dataset (``data/response``) from the writers' raw JSONL parts.

The response dataset was written for moodmoji by several writers working apart, each on its own
topic families (see ``data/response/DATA_CARD.md``); the test split was written by a writer of
its own who never saw the others' rows. This tool turns their parts into the shipped files::

    python -m moodmoji.inference.training.response_data RAW_DIR data/response

``RAW_DIR`` holds one folder per writer (``w1``, ``w2``, ... and ``test``) of ``part-NN.jsonl``
files. Steps:

1. Every row is checked (keys, types, emoji in the vocabulary, moods, intents) and its emoji
   are written in the vocabulary's fully-qualified form; a bad row is dropped and counted.
2. Near-duplicates are removed: texts are compared by TF-IDF over character 3-5-grams, and a
   row whose cosine to an earlier kept row is at least :data:`NEAR_DUPLICATE` is dropped.
3. Dev is made of whole topic families (:data:`DEV_FAMILIES`, one per training writer), so no
   near-copy of a dev row is in train.
4. Test rows with a near-duplicate anywhere in train or dev, or the same text once case,
   punctuation and emoji are set aside, are dropped, so the test split
   measures messages the model never saw in any form.

``--extend`` adds new writers' rows to the training split of a dataset that is already
assembled, leaving dev and test exactly as they are (so figures before and after compare)::

    python -m moodmoji.inference.training.response_data NEW_RAW_DIR data/response --extend

A new row is checked like any other and dropped when its family is a dev family, or when it is
a near-duplicate of another new row or of any row of train, dev or test (the new row goes, never
the old one).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moodmoji.inference.datasets import COARSE_MOODS, REACTION_LABELS, REPLY_INTENTS

NEAR_DUPLICATE = 0.85
DEV_FAMILIES: frozenset[str] = frozenset(
    {
        "retirement-elders",
        "injuries-accidents",
        "tabletop-ttrpg",
        "open-source",
        "gardening-plants",
        "commute-transport",
        "greetings-goodbyes",
    }
)
REGISTERS = frozenset({"gaming", "dev", "family", "friends", "work", "support", "general"})
_EMOJI = {label.replace("\ufe0f", ""): label for label in REACTION_LABELS}
_LANG = re.compile(r"[a-z]{2}")
"""A row's optional ``lang``: the ISO 639-1 code of the language it is written in."""


@dataclass(frozen=True)
class Assembled:
    """What :func:`assemble` kept and dropped."""

    splits: dict[str, list[dict[str, Any]]]
    dropped: Counter[str]


def clean_row(raw: object, writer: str) -> dict[str, Any] | None:
    """A checked row with fully-qualified emoji, or ``None`` when the row is malformed."""
    if not isinstance(raw, dict):
        return None
    text = raw.get("text")
    emoji, moods, intents = raw.get("emoji"), raw.get("mood"), raw.get("intents")
    if not isinstance(text, str) or not text.strip():
        return None
    if not all(isinstance(v, list) for v in (emoji, moods, intents)):
        return None
    assert isinstance(emoji, list) and isinstance(moods, list) and isinstance(intents, list)
    keys = [str(e).replace("\ufe0f", "") for e in emoji]
    if any(k not in _EMOJI for k in keys) or not isinstance(raw.get("abstain_ok"), bool):
        return None
    if not moods or not set(moods) <= set(COARSE_MOODS) or not set(intents) <= set(REPLY_INTENTS):
        return None
    if raw.get("register") not in REGISTERS or not isinstance(raw.get("family"), str):
        return None
    if not raw["abstain_ok"] and len(keys) < 3:
        return None
    lang = raw.get("lang")
    if lang is not None and (not isinstance(lang, str) or not _LANG.fullmatch(lang)):
        return None
    return {
        "text": text.strip(),
        **({"lang": lang} if lang is not None else {}),
        "emoji": list(dict.fromkeys(_EMOJI[k] for k in keys)),
        "mood": list(dict.fromkeys(moods)),
        "abstain_ok": raw["abstain_ok"],
        "intents": list(dict.fromkeys(intents)),
        "family": raw["family"],
        "register": raw["register"],
        "writer": writer,
    }


def read_parts(raw_dir: Path) -> tuple[dict[str, list[dict[str, Any]]], Counter[str]]:
    """Every writer's checked rows, by writer folder name."""
    rows: dict[str, list[dict[str, Any]]] = {}
    dropped: Counter[str] = Counter()
    for folder in sorted(p for p in raw_dir.iterdir() if p.is_dir()):
        kept = rows.setdefault(folder.name, [])
        for part in sorted(folder.glob("part-*.jsonl")):
            for line in part.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                try:
                    row = clean_row(json.loads(line), folder.name)
                except ValueError:
                    row = None
                if row is None:
                    dropped["malformed"] += 1
                else:
                    kept.append(row)
    return rows, dropped


def assemble(raw_dir: Path, dev_families: frozenset[str] = DEV_FAMILIES) -> Assembled:
    """Checks, de-duplicates and splits the writers' rows (see the module docstring).

    Args:
        raw_dir: One folder per writer (the test writer's is ``test``).
        dev_families: Topic families held out whole as dev.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    by_writer, dropped = read_parts(raw_dir)
    written = [row for writer, rows in by_writer.items() if writer != "test" for row in rows]
    test_rows = by_writer.get("test", [])
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=True)
    vectorizer.fit([r["text"] for r in written + test_rows])
    kept = _drop_near_duplicates(written, vectorizer, dropped, "near-duplicate in train/dev")
    train = [r for r in kept if r["family"] not in dev_families]
    dev = [r for r in kept if r["family"] in dev_families]
    test = _drop_near_duplicates(test_rows, vectorizer, dropped, "near-duplicate within test")
    test = _drop_seen(test, kept, vectorizer, dropped, "test near-duplicate of train/dev")
    return Assembled({"train": train, "dev": dev, "test": test}, dropped)


def extend(
    raw_dir: Path, existing: dict[str, list[dict[str, Any]]], dev_families: frozenset[str]
) -> Assembled:
    """New writers' rows for the training split of an assembled dataset.

    Args:
        raw_dir: One folder per new writer.
        existing: The dataset's current splits (``train``, ``dev``, ``test``), left unchanged.
        dev_families: Topic families held out whole as dev: new rows in them are dropped.

    Returns:
        The new training rows (in ``splits["train"]``) and what was dropped.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    by_writer, dropped = read_parts(raw_dir)
    written = [row for rows in by_writer.values() for row in rows]
    fresh = [row for row in written if row["family"] not in dev_families]
    dropped["in a dev family"] += len(written) - len(fresh)
    old = [row for rows in existing.values() for row in rows]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=True)
    vectorizer.fit([r["text"] for r in old + fresh])
    fresh = _drop_near_duplicates(fresh, vectorizer, dropped, "near-duplicate of a new row")
    fresh = _drop_seen(
        fresh, old, vectorizer, dropped, "near-duplicate of a row already in the dataset"
    )
    return Assembled({"train": fresh}, dropped)


def _drop_near_duplicates(
    rows: list[dict[str, Any]], vectorizer: Any, dropped: Counter[str], reason: str
) -> list[dict[str, Any]]:
    if not rows:
        return []
    vectors = vectorizer.transform([r["text"] for r in rows])
    similarity = (vectors @ vectors.T).tocsr()
    removed: set[int] = set()
    for i in range(len(rows)):
        if i in removed:
            continue
        start, end = similarity.indptr[i], similarity.indptr[i + 1]
        for j, value in zip(similarity.indices[start:end], similarity.data[start:end], strict=True):
            if j > i and value >= NEAR_DUPLICATE:
                removed.add(int(j))
    dropped[reason] += len(removed)
    return [row for i, row in enumerate(rows) if i not in removed]


def _drop_seen(
    test: list[dict[str, Any]],
    seen: list[dict[str, Any]],
    vectorizer: Any,
    dropped: Counter[str],
    reason: str,
) -> list[dict[str, Any]]:
    if not test or not seen:
        return test
    similarity = (
        vectorizer.transform([r["text"] for r in test])
        @ vectorizer.transform([r["text"] for r in seen]).T
    )
    best = similarity.max(axis=1).toarray().ravel()
    plain = {_plain(r["text"]) for r in seen}
    keep = [
        row
        for row, value in zip(test, best, strict=True)
        if value < NEAR_DUPLICATE and _plain(row["text"]) not in plain
    ]
    dropped[reason] += len(test) - len(keep)
    return keep


SPLITS = ("train", "dev", "test")


def _write_rows(path: Path, rows: list[dict[str, Any]], mode: str = "w") -> None:
    """Writes rows as JSON lines (``mode`` ``"a"`` appends), emoji as they are."""
    with path.open(mode, encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_split(path: Path) -> list[dict[str, Any]]:
    """The rows of an assembled split (none when the file does not exist)."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _plain(text: str) -> str:
    """Text without case, spaces, punctuation or emoji: "OK!" and "ok" read alike."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def main() -> None:
    """Writes ``train.jsonl``, ``dev.jsonl`` and ``test.jsonl`` and prints the counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path, help="folder of writer folders with part-*.jsonl")
    parser.add_argument("out", type=Path, help="output folder (data/response)")
    parser.add_argument(
        "--dev-families",
        help="comma-separated topic families held out as dev (default: the English set's)",
    )
    parser.add_argument(
        "--extend",
        action="store_true",
        help="add the raw rows to the training split of the dataset in OUT, keeping dev and test",
    )
    args = parser.parse_args()
    families = (
        frozenset(f.strip() for f in args.dev_families.split(",") if f.strip())
        if args.dev_families
        else DEV_FAMILIES
    )
    if args.extend:
        existing = {split: _read_split(args.out / f"{split}.jsonl") for split in SPLITS}
        result = extend(args.raw, existing, families)
        added = result.splits["train"]
        _write_rows(args.out / "train.jsonl", added, mode="a")
        print(f"train: {len(existing['train'])} + {len(added)} rows")
    else:
        result = assemble(args.raw, families)
        args.out.mkdir(parents=True, exist_ok=True)
        for split, rows in result.splits.items():
            _write_rows(args.out / f"{split}.jsonl", rows)
            print(f"{split}: {len(rows)} rows")
    print(f"dropped: {dict(result.dropped)}")


if __name__ == "__main__":
    main()
