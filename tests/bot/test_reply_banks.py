"""The reply banks written in other languages (``bot/data/reply_banks/``) are valid banks.

They are the groundwork of the languages issue: the suggester does not route to them yet.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from moodmoji.bot.suggestions import INTENTS, REPLY_BANK_FILE, ReplyBank

BANKS = REPLY_BANK_FILE.parent / "reply_banks"
LANGUAGES = ("de", "es", "fr", "it", "pl", "pt", "ru", "tr", "uk")


def _normal(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


def test_every_language_of_the_issue_has_a_bank() -> None:
    assert sorted(p.stem for p in BANKS.glob("*.jsonl")) == sorted(LANGUAGES)
    assert (BANKS / "README.md").is_file()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_bank_loads_and_covers_every_intent(language: str) -> None:
    bank = ReplyBank.load(BANKS / f"{language}.jsonl")  # validates every line, names a bad one
    per_intent = Counter(r.intent for r in bank.replies)
    assert set(per_intent) == set(INTENTS)
    assert min(per_intent.values()) >= 8, per_intent
    texts = [_normal(r.text) for r in bank.replies]
    assert len(set(texts)) == len(texts), "a reply is written twice"
    examples = [_normal(e) for r in bank.replies for e in r.examples]
    assert len(set(examples)) == len(examples), "an example answers two replies"
    assert all(len(r.examples) >= 4 for r in bank.replies)
    playful_on_sad = [r.text for r in bank.replies if r.tone == "playful" and "sadness" in r.moods]
    assert playful_on_sad == []


@pytest.mark.parametrize(
    ("language", "own", "foreign"),
    [
        ("ru", "ыэъ", "іїєґ"),
        ("uk", "іїєґ", "ыэъё"),
        ("tr", "ğış", ""),
        ("pl", "ąęłż", ""),
        ("de", "äöüß", ""),
    ],
)
def test_a_bank_is_written_in_its_own_alphabet(language: str, own: str, foreign: str) -> None:
    text = Path(BANKS / f"{language}.jsonl").read_text(encoding="utf-8")
    assert [letter for letter in own if letter not in text] == []
    assert [letter for letter in foreign if letter in text] == []
