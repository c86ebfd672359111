"""Suggestion buttons: copy the text, never post it; the dismiss button names the requester."""

from __future__ import annotations

from moodmoji.adapters.telegram.keyboard import dismiss_data, dismiss_owner, suggestion_keyboard
from moodmoji.bot.decision import Suggestion


def test_copy_buttons_then_dismiss() -> None:
    suggestions = [Suggestion(f"reply {i}", f"intent{i}", 0.9) for i in range(5)]
    suggestions.append(Suggestion("x" * 300, "long", 0.5))
    rows = suggestion_keyboard(suggestions, 42).to_dict()["inline_keyboard"]
    assert len(rows) == 4
    assert rows[0] == [{"text": "reply 0", "copy_text": {"text": "reply 0"}}]
    assert rows[-1] == [{"text": "✖ Dismiss", "callback_data": "moodmoji:dismiss:42"}]
    assert all("callback_data" not in row[0] for row in rows[:-1])  # nothing is sent for them


def test_copy_text_is_cut_to_telegrams_limit() -> None:
    (row, _) = suggestion_keyboard([Suggestion("y" * 300, "long", 0.5)], 1).inline_keyboard
    assert row[0].copy_text is not None and len(row[0].copy_text.text) == 256


def test_dismiss_data_round_trip() -> None:
    assert dismiss_owner(dismiss_data(123456789)) == 123456789
    for other in (None, "", "moodmoji:dismiss:", "moodmoji:dismiss:abc", "other:1"):
        assert dismiss_owner(other) is None
