"""Text hygiene: NFC, control characters, zalgo capping, length caps; never raises."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from moodmoji.inference.hygiene import clean_text
from moodmoji.inference.settings import HygieneSettings


def test_nfc_normalisation() -> None:
    assert clean_text("cafe\u0301") == "café"


def test_control_characters_and_surrogates_dropped() -> None:
    assert clean_text("a\x00b\x07c\x7f\ud800d") == "abcd"


def test_whitespace_collapsed() -> None:
    assert clean_text("  hello\n\n\tworld \r\n") == "hello world"


def test_combining_runs_capped_not_removed() -> None:
    zalgo = "q" + "\u0301\u0302\u0303\u0304\u0305\u0306" * 20 + "b"
    cleaned = clean_text(zalgo, HygieneSettings(max_combining_run=3))
    assert cleaned == "q\u0301\u0302\u0303b"  # q has no precomposed forms


def test_accents_and_emoji_sequences_survive() -> None:
    for text in ["Ñandú über naïve", "👨‍👩‍👧 ❤️ 👍🏽", "ต้อง ภาษาไทย", "नमस्ते"]:
        assert clean_text(text) == unicodedata.normalize("NFC", text)


def test_length_capped() -> None:
    assert len(clean_text("x" * 100_000, HygieneSettings(max_chars=2000))) == 2000


def test_empty_and_emoji_only_are_normal() -> None:
    assert clean_text("") == ""
    assert clean_text("\x00\x01") == ""
    assert clean_text("🎉🎉") == "🎉🎉"


def test_non_string_is_tolerated() -> None:
    assert clean_text(None) == ""  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None), max_size=500))
def test_arbitrary_unicode(text: str) -> None:
    limits = HygieneSettings(max_chars=100, max_combining_run=2)
    cleaned = clean_text(text, limits)
    assert len(cleaned) <= 100
    cleaned.encode("utf-8")  # always encodable
    run = 0
    for char in cleaned:
        run = run + 1 if unicodedata.category(char) in ("Mn", "Me") else 0
        assert run <= 2
    assert clean_text(cleaned, limits) == cleaned  # idempotent
