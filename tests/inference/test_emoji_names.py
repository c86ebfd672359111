"""Emoji spelled out by their CLDR names: the packaged names file and the matching rules."""

from __future__ import annotations

import pytest

from moodmoji.inference.emoji_names import (
    MAX_REPEAT,
    NAMES_FILE,
    EmojiNamer,
    default_namer,
    emoji_like,
    normalise_emoji,
    spell_emoji,
)
from moodmoji.inference.hygiene import clean_text

JOY = ":face with tears of joy:"


def test_names_replace_emoji() -> None:
    assert spell_emoji("😂") == JOY
    assert spell_emoji("lol that's hilarious 😂") == f"lol that's hilarious {JOY}"
    assert spell_emoji("a😂b") == f"a {JOY} b"  # a name is a word of its own
    assert spell_emoji("congrats 🎉👏") == "congrats :party popper: :clapping hands:"
    assert spell_emoji("🧑‍💻 at 3am") == ":technologist: at 3am"  # a ZWJ sequence's own name


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("❤️", "❤"),  # with and without U+FE0F
        ("👍🏽", "👍"),  # with and without a skin tone
        ("👍🏿", "👍🏻"),
        ("☀️ morning", "☀ morning"),
        ("👩🏽‍🚀", "👩‍🚀"),  # a skin tone inside a ZWJ sequence
    ],
)
def test_variation_selectors_and_skin_tones_are_ignored(one: str, other: str) -> None:
    assert spell_emoji(one) == spell_emoji(other)
    assert spell_emoji(one) != one and ":" in spell_emoji(one)
    assert "\ufe0f" not in spell_emoji(one)


def test_known_names() -> None:
    assert spell_emoji("❤️") == ":red heart:"
    assert spell_emoji("👍🏽") == ":thumbs up:"
    assert spell_emoji("👩🏽‍🚀") == ":woman astronaut:"
    assert default_namer().name("❤️") == default_namer().name("❤") == "red heart"
    assert default_namer().name("not an emoji") is None


def test_runs_of_the_same_emoji_are_capped() -> None:
    assert MAX_REPEAT == 2
    twice = f"{JOY} {JOY}"
    assert spell_emoji("😂😂") == twice
    assert spell_emoji("😂😂😂😂😂😂") == twice
    assert spell_emoji("😂 😂 😂") == twice  # spaces do not break a run
    assert spell_emoji("😂😂😂 ok 😂😂😂") == f"{twice} ok {twice}"  # words do
    party = ":party popper:"
    assert spell_emoji("😂😂😂🎉🎉🎉") == f"{twice} {party} {party}"
    assert spell_emoji("😂🎉😂") == f"{JOY} {party} {JOY}"  # alternating is no run


def test_flags_read_flag() -> None:
    assert spell_emoji("🇺🇸") == ":flag:"
    assert spell_emoji("go 🇫🇷 go") == "go :flag: go"
    assert spell_emoji("🇺🇸🇺🇸🇺🇸") == ":flag: :flag:"  # a run like any other
    assert spell_emoji("🇫🇷🇩🇪") == ":flag: :flag:"


@pytest.mark.parametrize("family", ["👨‍👩‍👧‍👦", "👨‍👩‍👧", "👩‍👩‍👦"])
def test_zwj_sequences_without_a_name_leave_no_joiner(family: str) -> None:
    assert default_namer().name(family) is None
    spelled = spell_emoji(f"my {family} is here")
    assert "\u200d" not in spelled
    assert spelled.startswith("my :") and spelled.endswith(": is here")
    assert spell_emoji("👨‍👩‍👧‍👦") == ":man: :woman: :girl: :boy:"  # its members, named


@pytest.mark.parametrize(
    "text",
    [
        "hello there",
        "ugh, my train is late AGAIN",
        "  two  spaces\tand a tab\n",  # whitespace is kept when there is no emoji
        "café, naïve, 東京, привет",
        "x\u200dy",  # a joiner between letters
        "1 + 1 = 2 ; :smile: (c) ™",
        "",
    ],
)
def test_text_without_emoji_is_returned_as_it_is(text: str) -> None:
    assert not emoji_like(text)
    assert spell_emoji(text) is text


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\u200d",
        "\ufe0f",
        "\U0001f3fd",  # a lone skin tone
        "\u200d😂\u200d",
        "😂\u20e3",
        "🇺",  # half a flag
        "🇺🇸🇫",
        "#️⃣ 1️⃣ *",
        "\U0001faff\U0001f0a1",  # emoji-block characters without a name
        "😂" * 1000,
        "a" * 10_000 + "😂",
    ],
)
def test_odd_input_never_raises(text: str) -> None:
    spelled = spell_emoji(text)
    assert isinstance(spelled, str)
    assert spell_emoji(spelled) == spelled  # names hold no emoji: spelling twice changes nothing


def test_lone_surrogates_are_removed_by_hygiene_before_spelling() -> None:
    raw = "broken \ud83d text 😂"
    cleaned = clean_text(raw)
    assert "\ud83d" not in cleaned
    assert spell_emoji(cleaned) == f"broken text {JOY}"
    assert isinstance(spell_emoji("\ud83d x"), str)  # and a stray one does not break spelling


def test_characters_without_a_name_stay() -> None:
    namer = EmojiNamer({normalise_emoji("😂"): "joy"})
    assert namer("😂🐶") == ":joy: 🐶"
    assert namer("🐶🐶🐶") == "🐶🐶🐶"
    assert namer("👨‍💻") == "👨💻"  # unnamed parts stay, the joiner goes


def test_longest_sequence_wins() -> None:
    names = {"👨": "man", "💻": "laptop", "👨\u200d💻": "man technologist"}
    namer = EmojiNamer(names)
    assert namer("👨‍💻") == ":man technologist:"
    assert namer("👨🏽‍💻") == ":man technologist:"
    assert namer("👨💻") == ":man: :laptop:"
    assert namer("👨‍💻👨") == ":man technologist: :man:"


def test_normalise_emoji() -> None:
    assert normalise_emoji("❤️") == "❤"
    assert normalise_emoji("👍🏽") == "👍"
    assert normalise_emoji("🏳️‍🌈") == "🏳\u200d🌈"
    assert normalise_emoji("plain") == "plain"


def test_names_file() -> None:
    namer = EmojiNamer.load(NAMES_FILE)
    assert len(namer.names) > 1000
    for key, name in namer.names.items():
        assert key == normalise_emoji(key) and emoji_like(key), key
        assert name and name == name.lower() and name == name.strip(), key
        assert not emoji_like(name), key  # a name never needs spelling again
