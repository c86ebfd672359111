"""What the invoking user reads (never the message text)."""

from __future__ import annotations

from moodmoji.adapters.discord.texts import MAX_CONTENT, clip, settings_text, suggestions_text
from moodmoji.bot.decision import Decision, Suggestion, Tag


def test_suggestions_list_up_to_three_replies_and_the_moods() -> None:
    decision = Decision(
        moods=(Tag("joy", 0.9), Tag("love", 0.06)),
        suggestions=tuple(Suggestion(f"reply {i}", "cheer", 0.8) for i in range(4)),
    )
    assert suggestions_text(decision).splitlines() == [
        "Suggested replies:",
        "1. reply 0",
        "2. reply 1",
        "3. reply 2",
        "Mood: joy 90%, love 6%",
    ]


def test_no_fitting_reply_and_skipped_messages_say_so() -> None:
    plain = suggestions_text(Decision(moods=(Tag("neutral", 0.8),)))
    assert plain.splitlines() == [
        "No reply fits this message well enough to suggest one.",
        "Mood: neutral 80%",
    ]
    skipped = Decision.skip("opt-out", "the author opted out; the message was not analysed")
    assert suggestions_text(skipped) == "The author opted out; the message was not analysed."


def test_clip_keeps_within_discords_limit() -> None:
    assert clip("short") == "short"
    long = clip("x" * 5000)
    assert len(long) == MAX_CONTENT and long.endswith("…")


def test_settings_mark_the_channels_own_changes() -> None:
    text = settings_text({"mode": "off", "custom_emoji": {}, "max_suggestions": 3}, {"mode": "off"})
    assert text.splitlines() == [
        "moodmoji in this channel (* = changed here):",
        "mode: off *",
        "custom_emoji: none",
        "max_suggestions: 3",
    ]
