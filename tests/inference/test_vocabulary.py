"""The shipped emoji vocabulary and its loader."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import emoji as emoji_lib
import pytest

from moodmoji.inference.datasets import GOEMOTIONS_LABELS, TWEETEVAL_EMOJI
from moodmoji.inference.errors import InferenceError
from moodmoji.inference.vocabulary import (
    CATEGORIES,
    DEFAULT_VOCABULARY_FILE,
    MOODS,
    SOMBER_LABELS,
    SOMBER_MOODS,
    EmojiEntry,
    EmojiVocabulary,
    Tone,
    VocabularyError,
    emoji_key,
)

# The values of telegram.constants.ReactionEmoji in python-telegram-bot 22.8, in class order
# (copied as data: the inference tests must not import telegram).
TELEGRAM_REACTION_EMOJI: tuple[str, ...] = (
    "👍", "👎", "❤", "🔥", "🥰", "👏", "😁", "🤔", "🤯", "😱", "🤬", "😢", "🎉", "🤩", "🤮",
    "💩", "🙏", "👌", "🕊", "🤡", "🥱", "🥴", "😍", "🐳", "❤️‍🔥", "🌚", "🌭", "💯", "🤣", "⚡",
    "🍌", "🏆", "💔", "🤨", "😐", "🍓", "🍾", "💋", "🖕", "😈", "😴", "😭", "🤓", "👻",
    "👨‍💻", "👀", "🎃", "🙈", "😇", "😨", "🤝", "✍", "🤗", "🫡", "🎅", "🎄", "☃", "💅",
    "🤪", "🗿", "🆒", "💘", "🙉", "🦄", "😘", "💊", "🙊", "😎", "👾", "🤷‍♂️", "🤷", "🤷‍♀️",
    "😡",
)  # fmt: skip


@pytest.fixture(scope="module")
def vocabulary() -> EmojiVocabulary:
    return EmojiVocabulary.load()


def shipped_json() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULT_VOCABULARY_FILE.read_text(encoding="utf-8"))
    return data


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "vocabulary.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# --- the shipped file -------------------------------------------------------------------------


def test_the_default_file_is_package_data_and_loads(vocabulary: EmojiVocabulary) -> None:
    assert DEFAULT_VOCABULARY_FILE.name == "emoji_vocabulary.json"
    assert DEFAULT_VOCABULARY_FILE.parent.name == "data"
    assert DEFAULT_VOCABULARY_FILE.parent.parent.name == "inference"
    assert EmojiVocabulary.load(DEFAULT_VOCABULARY_FILE) == vocabulary


def test_it_is_broad_enough(vocabulary: EmojiVocabulary) -> None:
    assert len(vocabulary) >= 250  # BertMoji's breadth
    assert len(vocabulary) >= 300  # what we ship
    assert len(list(vocabulary)) == len(vocabulary.entries) == len(vocabulary)


def test_entries_are_unique_by_key(vocabulary: EmojiVocabulary) -> None:
    counts = Counter(emoji_key(entry.emoji) for entry in vocabulary)
    assert [key for key, n in counts.items() if n > 1] == []


def test_every_entry_is_one_fully_qualified_rgi_emoji(vocabulary: EmojiVocabulary) -> None:
    fully_qualified = emoji_lib.STATUS["fully_qualified"]
    bad = [
        entry.emoji
        for entry in vocabulary
        if not emoji_lib.is_emoji(entry.emoji)
        or emoji_lib.emoji_count(entry.emoji) != 1
        or emoji_lib.EMOJI_DATA[entry.emoji]["status"] != fully_qualified
    ]
    assert bad == []


def test_unqualified_forms_are_stored_fully_qualified(vocabulary: EmojiVocabulary) -> None:
    for bare, qualified in (("❤", "❤️"), ("☀", "☀️"), ("🕊", "🕊️"), ("✍", "✍️"), ("☃", "☃️")):
        entry = vocabulary.get(bare)
        assert entry is not None
        assert entry.emoji == qualified


def test_every_tweeteval_emoji_is_present(vocabulary: EmojiVocabulary) -> None:
    assert len(TWEETEVAL_EMOJI) == 20
    assert [e for e in TWEETEVAL_EMOJI if e not in vocabulary] == []


def test_every_telegram_reaction_emoji_is_present(vocabulary: EmojiVocabulary) -> None:
    assert len(TELEGRAM_REACTION_EMOJI) == 73
    assert len({emoji_key(e) for e in TELEGRAM_REACTION_EMOJI}) == 73
    assert [e for e in TELEGRAM_REACTION_EMOJI if e not in vocabulary] == []


def test_the_three_shrugs_are_distinct_entries(vocabulary: EmojiVocabulary) -> None:
    shrugs = [vocabulary.get(e) for e in ("🤷", "🤷‍♂️", "🤷‍♀️")]
    assert all(s is not None for s in shrugs)
    assert len({s.emoji for s in shrugs if s is not None}) == 3


def test_fields_are_well_formed(vocabulary: EmojiVocabulary) -> None:
    for entry in vocabulary:
        assert entry.name == entry.name.lower() and entry.name.strip() == entry.name, entry
        assert entry.description.strip(), entry
        assert 4 <= len(entry.keywords) <= 10, entry
        assert all(k and k == k.lower() and k.strip() == k for k in entry.keywords), entry
        assert len(set(entry.keywords)) == len(entry.keywords), entry
        assert entry.category in CATEGORIES, entry
        assert isinstance(entry.tone, Tone), entry
        assert set(entry.moods) <= set(MOODS), entry


def test_every_category_and_tone_is_used(vocabulary: EmojiVocabulary) -> None:
    assert {entry.category for entry in vocabulary} == set(CATEGORIES)
    assert {entry.tone for entry in vocabulary} == set(Tone)


def test_playful_emoji_never_suit_sadness_or_fear(vocabulary: EmojiVocabulary) -> None:
    bad = [e.emoji for e in vocabulary if e.tone is Tone.PLAYFUL and set(e.moods) & SOMBER_MOODS]
    assert bad == []


@pytest.mark.parametrize(
    ("emoji", "tone"),
    [
        ("😂", Tone.PLAYFUL),
        ("🤣", Tone.PLAYFUL),
        ("🎉", Tone.PLAYFUL),
        ("🥳", Tone.PLAYFUL),
        ("🤡", Tone.PLAYFUL),
        ("😜", Tone.PLAYFUL),
        ("💃", Tone.PLAYFUL),
        ("💩", Tone.PLAYFUL),
        ("❤️", Tone.WARM),
        ("🙏", Tone.WARM),
        ("🫂", Tone.WARM),
        ("🕯️", Tone.WARM),
        ("🥀", Tone.WARM),
        ("💐", Tone.WARM),
        ("🤍", Tone.WARM),
        ("😢", Tone.SOMBER),
        ("😭", Tone.SOMBER),
        ("💔", Tone.SOMBER),
        ("😔", Tone.SOMBER),
        ("👍", Tone.NEUTRAL),
        ("👀", Tone.NEUTRAL),
        ("✅", Tone.NEUTRAL),
        ("📷", Tone.NEUTRAL),
    ],
)
def test_tones_of_key_emoji(vocabulary: EmojiVocabulary, emoji: str, tone: Tone) -> None:
    entry = vocabulary.get(emoji)
    assert entry is not None
    assert entry.tone is tone


def test_every_mood_has_a_ranked_list(vocabulary: EmojiVocabulary) -> None:
    assert tuple(vocabulary.mood_emoji) == MOODS
    for mood, ranked in vocabulary.mood_emoji.items():
        assert 5 <= len(ranked) <= 10, mood
        assert all(e in vocabulary for e in ranked), mood
    assert vocabulary.mood_emoji["neutral"][0] == "👍"


def test_every_goemotions_label_has_a_ranked_list(vocabulary: EmojiVocabulary) -> None:
    assert len(GOEMOTIONS_LABELS) == 28
    assert tuple(vocabulary.label_emoji) == GOEMOTIONS_LABELS
    for label, ranked in vocabulary.label_emoji.items():
        assert 2 <= len(ranked) <= 6, label
        assert all(e in vocabulary for e in ranked), label
    assert vocabulary.label_emoji["gratitude"][0] == "🙏"
    assert vocabulary.label_emoji["grief"][0] == "💔"
    assert vocabulary.label_emoji["amusement"][0] == "😂"


def test_ranked_lists_use_the_entries_spelling(vocabulary: EmojiVocabulary) -> None:
    spelled = {entry.emoji for entry in vocabulary}
    for ranked in (*vocabulary.mood_emoji.values(), *vocabulary.label_emoji.values()):
        assert set(ranked) <= spelled
    assert vocabulary.mood_emoji["love"][0] == "❤️"


def test_mood_lists_agree_with_the_entries_moods(vocabulary: EmojiVocabulary) -> None:
    for mood, ranked in vocabulary.mood_emoji.items():
        for emoji in ranked:
            entry = vocabulary.get(emoji)
            assert entry is not None and mood in entry.moods, (mood, emoji)


def test_no_playful_emoji_in_sad_or_fearful_lists(vocabulary: EmojiVocabulary) -> None:
    assert {"grief", "sadness", "remorse", "fear", "nervousness"} <= SOMBER_LABELS
    assert {"disappointment", "embarrassment"} <= SOMBER_LABELS
    lists = [vocabulary.mood_emoji[m] for m in ("sadness", "fear")]
    lists += [vocabulary.label_emoji[label] for label in sorted(SOMBER_LABELS)]
    playful = [
        e for ranked in lists for e in ranked if (entry := vocabulary.get(e)) is None
        or entry.tone is Tone.PLAYFUL
    ]  # fmt: skip
    assert playful == []


def test_lookup_ignores_variation_selector(vocabulary: EmojiVocabulary) -> None:
    heart = vocabulary.get("❤️")
    assert heart is not None
    assert vocabulary.get("❤") is heart
    assert heart.emoji == "❤️"
    assert "❤" in vocabulary and "❤️" in vocabulary
    assert vocabulary.get("❤\ufe0f\u200d🔥") is vocabulary.get("❤\u200d🔥") is not None
    assert vocabulary.get("🦜") is None
    assert "🦜" not in vocabulary
    assert 42 not in vocabulary
    assert None not in vocabulary


def test_emoji_key_drops_every_fe0f() -> None:
    assert emoji_key("❤️") == "❤"
    assert emoji_key("❤️‍🔥") == "❤\u200d🔥"
    assert emoji_key("🤷‍♂️") == "🤷\u200d♂"
    assert emoji_key("🍕") == "🍕"


def test_phrase_format() -> None:
    entry = EmojiEntry(
        emoji="🍕",
        name="pizza",
        description="a slice of pizza",
        keywords=("pizza", "slice", "pepperoni"),
        category="food",
        tone=Tone.PLAYFUL,
        moods=(),
    )
    assert entry.phrase() == "pizza: a slice of pizza; pizza, slice, pepperoni"


def test_shipped_phrases(vocabulary: EmojiVocabulary) -> None:
    cake = vocabulary.get("🎂")
    assert cake is not None
    assert cake.phrase().startswith("birthday cake: ")
    assert "happy birthday" in cake.phrase()
    for entry in vocabulary:
        assert entry.phrase() == f"{entry.name}: {entry.description}; {', '.join(entry.keywords)}"


def test_the_vocabulary_is_immutable(vocabulary: EmojiVocabulary) -> None:
    with pytest.raises(TypeError):
        vocabulary.mood_emoji["joy"] = ("😂",)  # type: ignore[index]
    with pytest.raises(TypeError):
        vocabulary.label_emoji["joy"] = ("😂",)  # type: ignore[index]
    with pytest.raises(AttributeError):
        vocabulary.entries = ()  # type: ignore[misc]
    entry = vocabulary.entries[0]
    with pytest.raises(AttributeError):
        entry.tone = Tone.SOMBER  # type: ignore[misc]


# --- broken files ---------------------------------------------------------------------------


def assert_problem(path: Path, *fragments: str) -> None:
    with pytest.raises(VocabularyError) as info:
        EmojiVocabulary.load(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert info.value.path == path
    for fragment in fragments:
        assert fragment in message, message
    assert isinstance(info.value, InferenceError)


def test_a_missing_file(tmp_path: Path) -> None:
    assert_problem(tmp_path / "nope.json", "nope.json", "missing")


def test_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "vocabulary.json"
    path.write_text('{"entries": [', encoding="utf-8")
    assert_problem(path, "not a readable JSON file")


def test_a_copy_of_the_shipped_file_loads(tmp_path: Path, vocabulary: EmojiVocabulary) -> None:
    assert EmojiVocabulary.load(write(tmp_path, shipped_json())) == vocabulary


def test_a_duplicate_emoji(tmp_path: Path) -> None:
    data = shipped_json()
    twin = dict(data["entries"][0], emoji="❤")  # duplicates "❤️" once U+FE0F is dropped
    data["entries"].append(twin)
    assert_problem(write(tmp_path, data), "duplicate emoji", "'❤'")


def test_an_unknown_tone(tmp_path: Path) -> None:
    data = shipped_json()
    data["entries"][3]["tone"] = "funny"
    assert_problem(write(tmp_path, data), "entries[3]", "unknown tone 'funny'")


def test_an_unknown_category_and_mood(tmp_path: Path) -> None:
    data = shipped_json()
    data["entries"][1]["category"] = "stuff"
    assert_problem(write(tmp_path, data), "entries[1]", "unknown category 'stuff'")
    data = shipped_json()
    data["entries"][2]["moods"] = ["glee"]
    assert_problem(write(tmp_path, data), "entries[2]", "unknown mood 'glee'")


def test_a_missing_field(tmp_path: Path) -> None:
    data = shipped_json()
    del data["entries"][5]["keywords"]
    assert_problem(write(tmp_path, data), "entries[5]", "missing field 'keywords'")


def test_upper_case_keywords(tmp_path: Path) -> None:
    data = shipped_json()
    data["entries"][0]["keywords"] = ["Love"]
    assert_problem(write(tmp_path, data), "entries[0]", "'Love' is not lower-case")


def test_a_list_naming_an_absent_emoji(tmp_path: Path) -> None:
    data = shipped_json()
    data["labels"]["joy"].append("🦜")
    assert_problem(write(tmp_path, data), "labels.joy", "'🦜' is not in entries")
    data = shipped_json()
    data["moods"]["love"].insert(0, "🦜")
    assert_problem(write(tmp_path, data), "moods.love", "'🦜' is not in entries")


def test_a_missing_list(tmp_path: Path) -> None:
    data = shipped_json()
    del data["labels"]["grief"]
    assert_problem(write(tmp_path, data), "labels", "missing lists for ['grief']")
    data = shipped_json()
    del data["moods"]
    assert_problem(write(tmp_path, data), "missing section 'moods'")


def test_a_playful_emoji_in_a_grief_list(tmp_path: Path) -> None:
    data = shipped_json()
    data["labels"]["grief"].append("😂")
    assert_problem(write(tmp_path, data), "labels.grief", "playful emoji '😂'")
    data = shipped_json()
    data["moods"]["sadness"].append("🎉")
    assert_problem(write(tmp_path, data), "moods.sadness", "playful emoji '🎉'")


def test_a_playful_entry_suiting_sadness(tmp_path: Path) -> None:
    data = shipped_json()
    index = next(i for i, e in enumerate(data["entries"]) if e["emoji"] == "😂")
    data["entries"][index]["moods"] = ["joy", "sadness"]
    assert_problem(write(tmp_path, data), f"entries[{index}]", "playful", "sadness")


def test_not_an_object(tmp_path: Path) -> None:
    assert_problem(write(tmp_path, ["🍕"]), "top level must be a JSON object")
