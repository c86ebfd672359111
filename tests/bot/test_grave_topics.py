"""The word-level grave-topic check: death, illness, injury, crime and loss named; figures of
speech not."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from moodmoji.bot.decision import Tag
from moodmoji.bot.grave_topics import _GRAVE, _GRAVE_ASCII, GRAVE_PATTERNS, grave_topic
from moodmoji.bot.policy import assess
from moodmoji.tools.bench.messages import load_messages

SUGGESTION_MESSAGES = Path(__file__).resolve().parent / "data" / "suggestion_messages.jsonl"


@pytest.mark.parametrize(
    "text, topic",
    [
        ("My dad died this morning", "death"),
        ("grandma passed away peacefully last night", "death"),
        ("Our cat didn't make it through the surgery", "death"),
        ("I lost my mum last year and it still hurts", "death"),
        ("The funeral is on Thursday", "mourning"),
        ("I have to give the eulogy tomorrow", "mourning"),
        ("We had to have our old labrador put to sleep this afternoon", "pet loss"),
        ("our dog was put down yesterday", "pet loss"),
        ("The doctor called, the biopsy came back positive for cancer", "illness"),
        ("Got DIAGNOSED with diabetes today", "illness"),
        ("she had a miscarriage last week", "illness"),
        ("my brother was hit by a car on his bike", "harm"),
        ("A&E for stitches, the knife won", "injury"),
        ("broke my wrist falling off the bike", "injury"),
        ("torn ACL, out for the season", "injury"),
        ("burglars got in while we were away", "crime"),
        ("got mugged on the way home", "crime"),
        ("someone reversed into my car and drove off", "crime"),
        ("I got laid off today along with half of my team", "loss"),
        ("We broke up after four years", "loss"),
    ],
)
def test_grave_topics_are_named(text: str, topic: str) -> None:
    assert grave_topic(text) == topic


@pytest.mark.parametrize(
    "text",
    [
        "I almost died laughing at that video",
        "dying of laughter 😂",
        "You killed it on stage tonight!",
        "I'm dead tired after the gym",
        "put the phone down and come to dinner",
        "she stole the show tonight",
        "this song broke my heart in the best way",
        "Caring for mum is breaking me a bit",
        "er, not sure, ask Sam",
        "the new pitcher throws a wicked breaking ball",
        "finally put the kids to sleep",
        "The meeting moved to 3pm",
        "Happy birthday to my best friend!",
        "",
        "😂😂😂",
    ],
)
def test_figures_of_speech_and_ordinary_messages_are_left_alone(text: str) -> None:
    assert grave_topic(text) is None


def test_a_grave_topic_makes_any_message_somber() -> None:
    neutral = (Tag("neutral", 0.95), Tag("joy", 0.05))
    assert not assess(neutral, ()).negative
    judged = assess(neutral, (), grave="illness")
    assert judged.somber and judged.negative
    assert judged.reason == "the message mentions illness"


def test_the_patterns_are_lower_case_ascii_so_ascii_text_may_be_lower_cased_first() -> None:
    for name, pattern in GRAVE_PATTERNS.items():
        letters = re.sub(r"\\.", "", pattern)  # escapes such as \W keep their case
        assert letters.isascii() and letters == letters.lower(), name


def test_ascii_text_lower_cased_finds_what_ignorecase_finds() -> None:
    texts = [m.text for m in load_messages()]
    texts += [
        json.loads(line)["text"]
        for line in SUGGESTION_MESSAGES.read_text("utf-8").split("\n")
        if line
    ]
    cases = [t for text in texts for t in (text, text.upper(), text.title(), text.swapcase())]
    ascii_cases = [t for t in cases if t.isascii()]
    assert len(ascii_cases) > 1000
    found = 0
    for text in ascii_cases:
        expected = _GRAVE.search(text)
        got = _GRAVE_ASCII.search(text.lower())
        assert (got and got.lastgroup, got and got.span()) == (
            expected and expected.lastgroup,
            expected and expected.span(),
        ), text
        found += expected is not None
    assert found > 50  # the check saw grave topics, not only their absence
