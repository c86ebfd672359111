"""Properties of text hygiene over arbitrary Unicode (reliability suite).

``clean_text`` promises (see its docstring): it never raises; the result is cut to
``max_chars``; it is NFC; control characters, lone surrogates and non-characters are dropped;
whitespace runs become one space and the ends are stripped; combining-mark runs are capped at
``max_combining_run``, not removed. The existing unit tests hold one example per rule; these
properties throw everything chat clients produce at it: every code point (surrogates included),
stacked combining marks, C0/C1 controls, bidi overrides, ZWJ emoji sequences, strings of up to
20,000 characters, empty and whitespace-only text.

The strategies here (``chat_texts``, ``chat_batches``) are shared with the engine properties.
"""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moodmoji.inference.hygiene import clean_text
from moodmoji.inference.settings import HygieneSettings

pytestmark = pytest.mark.reliability

HYGIENE_EXAMPLES = 150
LONGEST = 20_000

# ---------------------------------------------------------------------------- strategies

ZWJ_SEQUENCES = (
    "👨‍👩‍👧‍👦",
    "🏳️‍🌈",
    "👩🏽‍💻",
    "🧑‍🤝‍🧑",
    "🏴‍☠️",
    "❤️‍🔥",
    "👁️‍🗨️",
    "🫱🏼‍🫲🏿",
    "🇺🇳",
    "1️⃣",
    "❤️",
    "❤",
    "👍🏿",
    "😂",
)
BIDI_AND_FORMAT = (
    "\u200b",  # zero width space
    "\u200c",  # ZWNJ
    "\u200d",  # ZWJ
    "\u200e",  # LRM
    "\u200f",  # RLM
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",  # RLO
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u2060",  # word joiner
    "\ufeff",  # BOM
    "\u00ad",  # soft hyphen
    "\ufe0e",
    "\ufe0f",
)
SPACES: tuple[str, ...] = (" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x85", "\xa0", "\u1680")
SPACES += ("\u2003", "\u2028", "\u2029", "\u3000", "\u202f")
NON_CHARACTERS = ("\ufffe", "\uffff", "\ufdd0", "\ufdef", "\U0001fffe", "\U0010ffff")
WORDS = (
    "hello",
    "I'm so happy today!!",
    "my dog died",
    "مرحبا بالعالم",
    "שלום",
    "日本語のテキスト",
    "ภาษาไทย",
    "नमस्ते",
    "Ñandú über naïve",
    "Z̷̢̛a̸͎͝l̵̰̓g̶̱̈o̸̜͝",
    "cafe\u0301",
    "x",
)

any_char = st.characters()  # every code point, lone surrogates included
combining = st.characters(categories=["Mn", "Me"])
controls = st.characters(categories=["Cc"])
surrogates = st.characters(categories=["Cs"])

zalgo = st.builds(
    lambda base, marks: base + "".join(marks),
    st.characters(categories=["L", "N", "P", "S", "Z"]),
    st.lists(combining, min_size=1, max_size=80),
)
piece = st.one_of(
    st.text(any_char, max_size=12),
    st.sampled_from(WORDS),
    st.sampled_from(ZWJ_SEQUENCES),
    st.sampled_from(BIDI_AND_FORMAT),
    st.sampled_from(SPACES),
    st.sampled_from(NON_CHARACTERS),
    controls,
    surrogates,
    zalgo,
)
mixed = st.lists(piece, max_size=40).map("".join)


def _repeat(fragment: str, length: int) -> str:
    """``fragment`` repeated to exactly ``length`` characters (a paste, a flood, a zalgo wall)."""
    if not fragment:
        return ""
    return (fragment * (length // len(fragment) + 1))[:length]


long_text = st.builds(_repeat, mixed, st.integers(1, LONGEST) | st.integers(LONGEST - 50, LONGEST))

chat_texts = st.one_of(
    st.just(""),
    st.text(st.sampled_from(SPACES), min_size=1, max_size=60),  # whitespace only
    mixed,
    long_text,
)
"""Any text a chat client may hand over, up to 20,000 characters."""

chat_batches = st.lists(chat_texts, min_size=1, max_size=16)
"""Batches of 1 to 16 such texts."""

hygiene_limits = st.builds(
    HygieneSettings,
    max_chars=st.one_of(st.integers(1, 40), st.integers(1, 3000), st.just(2000)),
    max_combining_run=st.integers(1, 6),
)
"""Limits a config may set (``max_chars`` > 0); ``max_combining_run`` = 0 is a known gap."""

PROPERTY = settings(
    max_examples=HYGIENE_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_COLLAPSED = frozenset("\t\n\v\f\r\u2028\u2029 ")


def combining_runs(text: str) -> list[int]:
    """Lengths of the runs of combining marks (Mn, Me) in ``text``."""
    runs, run = [], 0
    for char in text:
        if unicodedata.category(char) in ("Mn", "Me"):
            run += 1
        else:
            if run:
                runs.append(run)
            run = 0
    if run:
        runs.append(run)
    return runs


# ---------------------------------------------------------------------------- properties


@PROPERTY
@given(text=chat_texts, limits=hygiene_limits)
def test_result_is_bounded_encodable_nfc_text(text: str, limits: HygieneSettings) -> None:
    cleaned = clean_text(text, limits)
    assert isinstance(cleaned, str)
    assert len(cleaned) <= limits.max_chars
    cleaned.encode("utf-8")  # no lone surrogates left
    assert unicodedata.is_normalized("NFC", cleaned)


@PROPERTY
@given(text=chat_texts, limits=hygiene_limits)
def test_no_control_characters_or_surrogates_survive(text: str, limits: HygieneSettings) -> None:
    cleaned = clean_text(text, limits)
    categories = {unicodedata.category(c) for c in cleaned}
    assert "Cc" not in categories  # C0 and C1 controls (tab, newline ... became spaces)
    assert "Cs" not in categories
    assert "\ufffe" not in cleaned and "\uffff" not in cleaned


@PROPERTY
@given(text=chat_texts, limits=hygiene_limits)
def test_whitespace_is_collapsed_and_stripped(text: str, limits: HygieneSettings) -> None:
    cleaned = clean_text(text, limits)
    assert cleaned == cleaned.strip()
    for a, b in itertools.pairwise(cleaned):
        assert not (a in _COLLAPSED and b in _COLLAPSED), (a, b)
    assert not (_COLLAPSED - {" "}) & set(cleaned)  # tabs, newlines ... are spaces now


@PROPERTY
@given(text=chat_texts, limits=hygiene_limits)
def test_combining_runs_are_capped(text: str, limits: HygieneSettings) -> None:
    cleaned = clean_text(text, limits)
    assert max(combining_runs(cleaned), default=0) <= limits.max_combining_run


@PROPERTY
@given(text=chat_texts, limits=hygiene_limits)
def test_cleaning_is_idempotent(text: str, limits: HygieneSettings) -> None:
    once = clean_text(text, limits)
    assert clean_text(once, limits) == once


@PROPERTY
@given(words=st.lists(st.sampled_from(WORDS + ZWJ_SEQUENCES), min_size=1, max_size=30))
def test_ordinary_text_and_emoji_sequences_pass_unchanged(words: list[str]) -> None:
    # Accents, RTL scripts, moderate zalgo and ZWJ emoji sequences, single-spaced: already clean
    # (after NFC), so hygiene must not touch them; reactions depend on the emoji surviving.
    text = " ".join(words)
    assert clean_text(text) == unicodedata.normalize("NFC", text)


@PROPERTY
@given(text=st.text(st.sampled_from(SPACES), max_size=200), limits=hygiene_limits)
def test_whitespace_only_text_becomes_empty(text: str, limits: HygieneSettings) -> None:
    assert clean_text(text, limits) == ""


# ---------------------------------------------------------------------------- known gaps


def test_every_non_character_is_dropped() -> None:
    assert clean_text("a" + "".join(NON_CHARACTERS) + "b") == "ab"


def test_removing_every_mark_keeps_whitespace_collapsed() -> None:
    limits = HygieneSettings(max_combining_run=0)
    cleaned = clean_text("\u0301 a \u0301 b", limits)
    assert cleaned == "a b"
    assert clean_text(cleaned, limits) == cleaned
