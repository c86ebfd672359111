"""Command answers read well and never need the message text."""

from __future__ import annotations

from moodmoji.adapters.common.answers import (
    FORGET_USER_NOTE,
    forget_text,
    mood_counts_text,
    mood_text,
    why_text,
)
from moodmoji.bot.decision import Decision, Explanation, Reaction, Step, Tag
from moodmoji.bot.store import DeletionReport


def decision() -> Decision:
    return Decision(
        reactions=(Reaction("🎉", 0.8),),
        moods=(Tag("joy", 0.87), Tag("love", 0.09), Tag("anger", 0.01)),
        emotions=(Tag("excitement", 0.7),),
        why=Explanation(steps=(Step("confidence-gate", "🎉 clears 0.65"),)),
    )


def test_mood_text_lists_moods_above_five_percent_and_emotions() -> None:
    assert mood_text(decision()) == "Mood: joy 87%, love 9% · excitement"
    assert mood_text(Decision.skip("opt-out", "the author opted out")) == ("The author opted out.")


def test_why_text_says_whether_it_was_remembered() -> None:
    remembered = why_text(decision(), remembered=True).splitlines()
    assert remembered[0] == "When this message arrived:"
    assert "reaction: 🎉" in remembered
    assert "confidence-gate: 🎉 clears 0.65" in remembered
    assert why_text(decision(), remembered=False).startswith("Looking at this message now:")


def test_mood_counts_text_sums_days_and_orders_by_count() -> None:
    text = mood_counts_text(
        {"2026-11-20": {"joy": 3, "sadness": 1}, "2026-11-21": {"joy": 1, "neutral": 5}}, days=7
    )
    lines = text.splitlines()
    assert lines[0] == "Mood of this chat over the last 7 days (10 messages):"
    assert lines[1].startswith("neutral") and lines[1].endswith("50%")
    assert lines[2].startswith("joy") and lines[2].endswith("40%")
    assert mood_counts_text({}, days=1) == "No moods counted in this chat today."


def test_forget_text_mentions_the_deleted_opt_out() -> None:
    assert forget_text(DeletionReport(0, 0, 0), user=True) == "Nothing was stored about you."
    text = forget_text(DeletionReport(0, 1, 0), user=True)
    assert text.startswith("Deleted 1 opt-out.")
    assert FORGET_USER_NOTE in text
    assert forget_text(DeletionReport(2, 0, 5), user=False) == (
        "Deleted 2 chat settings, 5 daily mood counts."
    )
