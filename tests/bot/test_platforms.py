"""Platform reaction rules: Telegram's list and fallbacks, Discord's custom emoji, counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moodmoji.adapters.discord.info import discord_rules
from moodmoji.adapters.telegram.info import (
    TELEGRAM_FALLBACKS_FILE,
    load_telegram_fallbacks,
    load_telegram_reactions,
    telegram_rules,
)
from moodmoji.bot.decision import Candidate
from moodmoji.bot.messages import Platform
from moodmoji.bot.platforms import PlatformDataError, PlatformRules
from moodmoji.inference.vocabulary import EmojiVocabulary, Tone, emoji_key

VOCABULARY = EmojiVocabulary.load()
TELEGRAM = telegram_rules()


def test_telegram_list_equals_ptb_enum_verbatim() -> None:
    constants = pytest.importorskip("telegram.constants")
    assert load_telegram_reactions() == tuple(e.value for e in constants.ReactionEmoji)


def test_telegram_list_has_73_distinct_emoji_all_in_the_vocabulary() -> None:
    emoji = load_telegram_reactions()
    assert len(emoji) == len({emoji_key(e) for e in emoji}) == 73
    assert all(e in VOCABULARY for e in emoji)


def test_every_vocabulary_emoji_outside_telegram_has_a_fallback_entry() -> None:
    allowed = {emoji_key(e) for e in load_telegram_reactions()}
    fallbacks = {emoji_key(k) for k in load_telegram_fallbacks()}
    outside = {emoji_key(e.emoji) for e in VOCABULARY} - allowed
    assert fallbacks == outside


@pytest.mark.parametrize("source, target", sorted(load_telegram_fallbacks().items()))
def test_every_fallback_lands_inside_the_allowed_list_and_keeps_the_tone(
    source: str, target: str | None
) -> None:
    if target is None:
        return  # no Telegram emoji keeps the meaning: the candidate is skipped
    assert target in load_telegram_reactions()  # verbatim, U+FE0F and all
    before, after = VOCABULARY.get(source), VOCABULARY.get(target)
    assert before is not None and after is not None
    if before.tone is not Tone.PLAYFUL:
        assert after.tone is not Tone.PLAYFUL
    if before.tone is Tone.SOMBER:
        assert after.tone in (Tone.SOMBER, Tone.WARM)
    # fitting a lone candidate of the source gives exactly the fallback
    reactions, steps = TELEGRAM.fit([Candidate(source, 0.9, ("emotion",))])
    assert [r.emoji for r in reactions] == [target]
    assert reactions[0].stands_for == source
    assert [s.rule for s in steps] == ["telegram-fallback"]


@pytest.mark.parametrize(
    "candidates, expected, rules",
    [
        (["🎂"], ["🎉"], ["telegram-fallback"]),
        (["🐶"], ["🥰"], ["telegram-fallback"]),
        (["❤️"], ["❤"], []),  # the verbatim Telegram form, without U+FE0F
        (["❤‍🔥"], ["❤️‍🔥"], []),  # and with it, where Telegram's has it
        (["🔥", "🎉"], ["🔥"], []),  # one reaction per message
        (["✈️", "🎉"], ["🎉"], ["telegram-unavailable"]),  # no meaning-keeping fallback
        (["🥳", "🎉"], ["🎉"], ["telegram-fallback"]),  # two candidates, one emoji
    ],
)
def test_telegram_fit(candidates: list[str], expected: list[str], rules: list[str]) -> None:
    reactions, steps = TELEGRAM.fit([Candidate(e, 0.9) for e in candidates])
    assert [r.emoji for r in reactions] == expected
    assert [s.rule for s in steps] == rules


def test_telegram_chat_available_reactions_narrow_the_list() -> None:
    candidates = [Candidate("🔥", 0.9), Candidate("🎂", 0.8), Candidate("👍", 0.7)]
    reactions, steps = TELEGRAM.fit(candidates, available={"👍", "❤"})
    assert [r.emoji for r in reactions] == ["👍"]
    assert [s.rule for s in steps] == ["chat-reactions", "telegram-fallback", "chat-reactions"]
    nothing, _ = TELEGRAM.fit(candidates, available=set())
    assert nothing == ()


def test_discord_takes_any_unicode_emoji_up_to_the_count() -> None:
    candidates = [Candidate(e, 0.9 - i / 10) for i, e in enumerate(["🍕", "😍", "🎉", "👏"])]
    one, _ = discord_rules().fit(candidates)
    three, _ = discord_rules(max_reactions=3).fit(candidates)
    assert [r.emoji for r in one] == ["🍕"]
    assert [r.emoji for r in three] == ["🍕", "😍", "🎉"]


def test_discord_custom_emoji_by_emoji_and_by_mood() -> None:
    parrot, pepe = "<a:partyparrot:123456789012345678>", "<:pepehappy:223456789012345678>"
    candidates = [Candidate("🍕", 0.9, ("topic",)), Candidate("🎉", 0.8, ("mood",))]
    rules = discord_rules(max_reactions=2)
    by_emoji, steps = rules.fit(candidates, custom_emoji={"🎉": parrot})
    assert [(r.emoji, r.stands_for) for r in by_emoji] == [("🍕", None), (parrot, "🎉")]
    assert [s.rule for s in steps] == ["custom-emoji"]
    # a mood map replaces the first mood-borne candidate only, never a topical one
    by_mood, _ = rules.fit(candidates, mood="joy", custom_emoji={"joy": pepe})
    assert [r.emoji for r in by_mood] == ["🍕", "🎉"]
    mood_first = [Candidate("😍", 0.9, ("emotion",)), Candidate("🎉", 0.8, ("mood",))]
    by_mood, _ = rules.fit(mood_first, mood="joy", custom_emoji={"joy": pepe})
    assert [r.emoji for r in by_mood] == [pepe, "🎉"]


def test_generic_and_telegram_never_send_custom_emoji() -> None:
    custom = {"🎉": "<:x:123456789012345678>"}
    for rules in (PlatformRules.generic(), TELEGRAM):
        reactions, _ = rules.fit([Candidate("🎉", 0.9)], custom_emoji=custom)
        assert [r.emoji for r in reactions] == ["🎉"]


def test_rules_refuse_zero_reactions() -> None:
    with pytest.raises(ValueError, match="max_reactions"):
        PlatformRules(Platform.DISCORD, max_reactions=0)


def test_a_broken_data_file_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "fallbacks.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(PlatformDataError, match=r"fallbacks\.json"):
        load_telegram_fallbacks(broken)
    wrong = tmp_path / "reactions.json"
    wrong.write_text(json.dumps({"emoji": [1, 2]}), encoding="utf-8")
    with pytest.raises(PlatformDataError, match=r"reactions\.json"):
        load_telegram_reactions(wrong)
    assert TELEGRAM_FALLBACKS_FILE.is_file()
