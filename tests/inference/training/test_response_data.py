"""Assembling the response dataset from writers' raw parts: checks, de-duplication, splits."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from moodmoji.inference.datasets import REACTION_LABELS, read_dataset
from moodmoji.inference.training import response_data
from moodmoji.inference.training.response_data import DEV_FAMILIES, assemble, clean_row

GOOD: dict[str, Any] = {
    "emoji": ["🎉", "👏", "🥳"],
    "mood": ["joy"],
    "abstain_ok": False,
    "intents": ["congratulate"],
    "family": "jobs-careers",
    "register": "work",
}


def row(text: str, **changes: Any) -> dict[str, Any]:
    return {"text": text, **GOOD, **changes}


def write_part(folder: Path, name: str, lines: list[dict[str, Any] | str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
    (folder / name).write_text(text + "\n", encoding="utf-8")


SISTER = "My sister just got into medical school!!"
BUS = "the bus broke down again on the way to work, third time this week"
PIPELINE = "finally fixed the flaky test in our CI pipeline after two days"
GRANDPA = "grandpa turns ninety this weekend and we are throwing him a party"
KEYS = "lost my keys somewhere in the park today"
CAT = "our cat learned how to open the fridge door by herself"


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    root = tmp_path / "raw"
    write_part(
        root / "w1",
        "part-01.jsonl",
        [
            row(SISTER, emoji=["🎉", "❤", "👏", "❤️"], mood=["joy", "love"]),
            row("my sister just got into medical school", family="family-news"),  # near-copy
            row(BUS, family="commute-transport", mood=["anger"], intents=["sympathize"]),
            "{not json",
            row("an emoji outside the vocabulary", emoji=["🎉", "👏", "🦄🦄"]),
            row("too few emoji to react with", emoji=["🎉", "👏"]),
            row("an unknown register", register="pirate"),
            row("no mood at all", mood=[]),
            row("an unknown intent", intents=["shrug"]),
            row("   "),
            "",
        ],
    )
    write_part(root / "w1", "notes.txt", ["not a part"])
    write_part(
        root / "w2",
        "part-01.jsonl",
        [
            row(PIPELINE, family="open-source", register="dev"),
            row(GRANDPA, family="birthdays", register="family", emoji=["🎂", "🥳", "☺"]),
        ],
    )
    write_part(
        root / "w2",
        "part-02.jsonl",
        [row(KEYS, family="everyday-mishaps", emoji=["😬"], abstain_ok=True, intents=[])],
    )
    write_part(
        root / "test",
        "part-01.jsonl",
        [
            row("My sister just got into MEDICAL school!", family="test-family"),  # seen in train
            row(CAT, family="pets"),
            row("Our cat learned how to open the fridge door by herself!!", family="pets"),
            row(["not", "a", "string"]),
        ],
    )
    return root


def test_assemble(raw: Path) -> None:
    result = assemble(raw)
    splits = result.splits
    assert [r["text"] for r in splits["train"]] == [SISTER, GRANDPA, KEYS]
    assert [r["text"] for r in splits["dev"]] == [BUS, PIPELINE]
    assert [r["text"] for r in splits["test"]] == [CAT]
    assert dict(result.dropped) == {
        "malformed": 8,
        "near-duplicate in train/dev": 1,
        "near-duplicate within test": 1,
        "test near-duplicate of train/dev": 1,
    }


def test_dev_is_made_of_whole_dev_families(raw: Path) -> None:
    splits = assemble(raw).splits
    assert splits["dev"] and all(r["family"] in DEV_FAMILIES for r in splits["dev"])
    assert not any(r["family"] in DEV_FAMILIES for r in splits["train"])
    # one dev family per training writer
    assert {r["writer"] for r in splits["dev"]} == {"w1", "w2"}


def test_emoji_are_written_fully_qualified(raw: Path) -> None:
    splits = assemble(raw).splits
    sister, grandpa, _ = splits["train"]
    assert sister["emoji"] == ["🎉", "❤️", "👏"]  # ❤ and ❤️ are one emoji, kept once
    assert grandpa["emoji"] == ["🎂", "🥳", "☺️"]
    for rows in splits.values():
        for r in rows:
            assert all(e in REACTION_LABELS for e in r["emoji"]), r["text"]
    assert sister["mood"] == ["joy", "love"] and sister["writer"] == "w1"
    assert splits["test"][0]["writer"] == "test"


def test_clean_row() -> None:
    cleaned = clean_row(row("  padded text  ", emoji=["❤", "❤️", "👍"]), "w9")
    assert cleaned == {
        "text": "padded text",
        "emoji": ["❤️", "👍"],
        "mood": ["joy"],
        "abstain_ok": False,
        "intents": ["congratulate"],
        "family": "jobs-careers",
        "register": "work",
        "writer": "w9",
    }
    assert clean_row(row("fine to abstain", emoji=[], abstain_ok=True), "w9") is not None
    for bad in (
        "not a dict",
        row("x", abstain_ok="no"),
        row("x", family=None),
        row("x", mood=["joy", "ennui"]),
        row("x", emoji="🎉"),
        {**GOOD},
    ):
        assert clean_row(bad, "w9") is None, bad


def test_without_test_writer(tmp_path: Path) -> None:
    write_part(tmp_path / "w1", "part-01.jsonl", [row(SISTER), row(GRANDPA)])
    result = assemble(tmp_path)
    assert [r["text"] for r in result.splits["train"]] == [SISTER, GRANDPA]
    assert result.splits["dev"] == [] and result.splits["test"] == []


def run_main(monkeypatch: pytest.MonkeyPatch, *args: object) -> None:
    """Runs the tool's command line with ``args``."""
    monkeypatch.setattr(sys, "argv", ["response_data", *map(str, args)])
    response_data.main()


def test_main_writes_splits_the_readers_accept(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "response"
    run_main(monkeypatch, raw, out)
    printed = capsys.readouterr().out
    assert "train: 3 rows" in printed and "dev: 2 rows" in printed and "test: 1 rows" in printed
    train = read_dataset("reaction", out / "train.jsonl")
    assert train.texts == [SISTER, GRANDPA, KEYS]
    heart = REACTION_LABELS.index("❤️")
    assert heart in train.examples[0].labels
    trigger = read_dataset("trigger", out / "train.jsonl")
    assert [e.labels for e in trigger.examples] == [(0,), (0,), ()]
    assert len(read_dataset("mood", out / "dev.jsonl")) == 2
    line = (out / "test.jsonl").read_text(encoding="utf-8").splitlines()[0]
    assert "🎉" in line  # emoji written as they are, not \u escapes


def test_extend_adds_new_rows_to_train_and_leaves_dev_and_test_alone(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "response"
    run_main(monkeypatch, raw, out)
    before = {s: (out / f"{s}.jsonl").read_text(encoding="utf-8") for s in ("train", "dev", "test")}
    fresh = tmp_path / "more"
    new = "we adopted a rescue greyhound today and he already stole my sandwich"
    write_part(
        fresh / "w9",
        "part-01.jsonl",
        [
            row(new, family="dogs", mood=["joy"]),
            row(new.replace("today", "this morning"), family="dogs"),  # near-copy of a new row
            row("Our cat learned how to open the fridge door by herself", family="x"),  # in test
            row("my sister just got into medical school!!!", family="y"),  # in train
            row("the tram was late again, I walked in the snow", family="commute-transport"),  # dev
            row("no emoji", emoji=[]),  # malformed
        ],
    )
    run_main(monkeypatch, fresh, out, "--extend")
    printed = capsys.readouterr().out
    assert "train: 3 + 1 rows" in printed
    train = read_dataset("reaction", out / "train.jsonl")
    assert train.texts == [SISTER, GRANDPA, KEYS, new]
    added = json.loads((out / "train.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert added["writer"] == "w9"
    for split in ("dev", "test"):
        assert (out / f"{split}.jsonl").read_text(encoding="utf-8") == before[split]

    assert "'near-duplicate of a new row': 1" in printed
    assert "'near-duplicate of a row already in the dataset': 2" in printed
    result = response_data.extend(fresh, {"train": [], "dev": [], "test": []}, DEV_FAMILIES)
    assert result.dropped["in a dev family"] == 1
    assert result.dropped["malformed"] == 1
