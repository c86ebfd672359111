"""The word-level grave-topic check: death, illness, injury, crime and loss named; figures of
speech not."""

from __future__ import annotations

import pytest

from moodmoji.bot.decision import Tag
from moodmoji.bot.grave_topics import grave_topic
from moodmoji.bot.policy import assess


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
