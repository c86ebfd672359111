"""The bot core end to end: the real default model, a real SQLite file, an injected clock."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from moodmoji.adapters.telegram.info import load_telegram_reactions
from moodmoji.bot.chat_settings import ChatSettings, Mode
from moodmoji.bot.chats import NoStoreError
from moodmoji.bot.core import read
from moodmoji.bot.decision import Decision
from moodmoji.bot.messages import ChatContext, IncomingMessage, Platform
from moodmoji.bot.pacing import Pacer
from moodmoji.bot.store import SettingsStore
from moodmoji.inference.analyzer import Analyzer
from moodmoji.inference.vocabulary import EmojiVocabulary, Tone
from tests.conftest import BotFactory

VOCABULARY = EmojiVocabulary.load()
TELEGRAM = set(load_telegram_reactions())

CELEBRATION = "Happy birthday to my best friend!"
#: Defaults under which the celebration gets replies unasked (the shipped threshold keeps
#: unasked suggestions for the surest fits; asked ones are not gated).
SUGGESTING = ChatSettings(suggestion_threshold=0.3)
GRIEF = "My grandmother passed away last night"
FOOD = "This pizza is absolutely incredible"
LOGISTICS = "The meeting moved to 3pm"
MESSAGES = {
    "celebration": CELEBRATION,
    "grief": GRIEF,
    "food": FOOD,
    "travel": "Just landed in Tokyo, the view from the hotel is unreal",
    "anger": "I am so angry, the airline lost my luggage again",
    "logistics": LOGISTICS,
    "question": "Does anyone know a good dentist around here?",
    "fear": "I'm so nervous about my surgery tomorrow",
    "bad news": "I failed my driving test for the third time",
}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def message(
    text: str,
    *,
    platform: Platform = Platform.GENERIC,
    chat: str = "chat",
    author: str = "alice",
    number: int = 1,
    bot: bool = False,
) -> IncomingMessage:
    return IncomingMessage(platform, chat, str(number), author, text, author_is_bot=bot)


def tones(decision: Decision) -> set[Tone]:
    found = set()
    for reaction in decision.reactions:
        entry = VOCABULARY.get(reaction.emoji)
        assert entry is not None, reaction.emoji
        found.add(entry.tone)
    return found


@pytest.fixture()
def store(tmp_path: Path) -> SettingsStore:
    with SettingsStore.open(tmp_path / "moodmoji.sqlite3") as opened:
        yield opened  # type: ignore[misc]


# --- decisions across moods and platforms -----------------------------------------------------


@pytest.mark.parametrize("platform", [Platform.GENERIC, Platform.DISCORD, Platform.TELEGRAM])
def test_every_decision_fits_its_platform(make_bot: BotFactory, platform: Platform) -> None:
    bot = make_bot(generic_max=3, discord_max=2)
    texts = list(MESSAGES.values())
    decisions = bot.decide_many(
        [message(t, platform=platform, number=i) for i, t in enumerate(texts)], explicit=True
    )
    limit = {Platform.GENERIC: 3, Platform.DISCORD: 2, Platform.TELEGRAM: 1}[platform]
    for text, decision in zip(texts, decisions, strict=True):
        assert len(decision.reactions) <= limit, text
        if platform is Platform.TELEGRAM:
            assert {r.emoji for r in decision.reactions} <= TELEGRAM, text
        assert len({r.emoji for r in decision.reactions}) == len(decision.reactions)
        assert decision.moods and decision.why.thresholds["reaction"] == 0.85


@pytest.mark.parametrize("platform", [Platform.GENERIC, Platform.DISCORD, Platform.TELEGRAM])
@pytest.mark.parametrize(
    "kind, expect_reaction, forbidden_tones",
    [
        ("celebration", True, set()),
        ("food", True, set()),
        # the learned reaction head answers worry and grief (🙏 💪 🫂): nothing playful
        ("grief", True, {Tone.PLAYFUL}),
        ("fear", None, {Tone.PLAYFUL}),
        ("bad news", None, {Tone.PLAYFUL}),
        ("anger", None, {Tone.PLAYFUL}),
        ("logistics", False, set()),
    ],
)
def test_decision_table(
    make_bot: BotFactory,
    platform: Platform,
    kind: str,
    expect_reaction: bool | None,
    forbidden_tones: set[Tone],
) -> None:
    decision = make_bot().decide(message(MESSAGES[kind], platform=platform), explicit=True)
    if expect_reaction is not None:
        assert bool(decision.reactions) is expect_reaction, decision.why.lines()
    assert not tones(decision) & forbidden_tones, decision.reactions
    if not decision.reactions:
        assert {"confidence-gate", f"{platform}-constraints"} & set(decision.why.rules())


def test_grief_gets_sympathy_and_celebration_gets_cheer(make_bot: BotFactory) -> None:
    bot = make_bot()
    grief, party = bot.decide_many([message(GRIEF), message(CELEBRATION)], explicit=True)
    assert grief.mood == "sadness" and "sensitivity" in grief.why.rules()
    assert grief.suggestions and grief.suggestions[0].intent in {
        "sympathize",
        "comfort",
        "offer-help",
    }
    assert not {s.intent for s in grief.suggestions} & {"congratulate", "celebrate", "laugh"}
    assert party.mood == "joy" and party.reactions
    assert {s.intent for s in party.suggestions} & {"wish-well", "celebrate", "congratulate"}


def test_the_decision_carries_the_value_that_passed_the_gate(make_bot: BotFactory) -> None:
    bot = make_bot()
    party, meeting = bot.decide_many([message(CELEBRATION), message(LOGISTICS)], explicit=True)
    trigger = bot.analyzer.analyze([CELEBRATION])[0].trigger
    assert party.reactions and party.gate is not None and trigger is not None
    # the trigger probability was compared with the threshold, not the reaction's own score
    assert (party.gate.basis, party.gate.threshold) == ("trigger", 0.85) and party.gate.passed
    assert party.gate.score == round(trigger, 4) != party.reactions[0].score
    gate_step = next(s for s in party.why.steps if s.rule == "confidence-gate")
    assert f"probability {party.gate.score:.2f} (threshold 0.85)" in gate_step.detail
    assert party.as_dict()["gate"] == {
        "basis": "trigger",
        "score": party.gate.score,
        "threshold": 0.85,
        "passed": True,
    }
    assert meeting.gate is not None and not meeting.gate.passed and not meeting.reactions
    off = make_bot(defaults=ChatSettings(mode=Mode.SUGGEST)).decide(message(CELEBRATION))
    assert off.gate is None and off.as_dict()["gate"] is None  # no reactions asked for


def test_chat_available_reactions_and_custom_emoji(make_bot: BotFactory) -> None:
    bot = make_bot()
    narrowed = bot.decide(
        message(CELEBRATION, platform=Platform.TELEGRAM),
        ChatContext(available_reactions=frozenset({"👍"})),
        explicit=True,
    )
    assert narrowed.reactions == ()
    assert "chat-reactions" in narrowed.why.rules()
    cake = "<:partycake:123456789012345678>"
    decision = bot.decide(
        message(CELEBRATION, platform=Platform.DISCORD),
        ChatContext(custom_emoji={"🎂": cake}),
        explicit=True,
    )
    assert [(r.emoji, r.stands_for) for r in decision.reactions] == [(cake, "🎂")]


# --- who is ignored, and before any inference --------------------------------------------------


def test_bots_and_itself_are_ignored_without_inference(make_bot: BotFactory) -> None:
    bot = make_bot()
    runs = bot.analyzer.engine.runs
    other_bot = bot.decide(message(CELEBRATION, bot=True))
    itself = bot.decide(message(CELEBRATION, author="me"), ChatContext(self_id="me"))
    assert other_bot.skipped == itself.skipped == "ignored"
    assert other_bot.reactions == () and other_bot.moods == ()
    assert bot.analyzer.engine.runs == runs


def test_opt_outs_are_honoured_before_inference(make_bot: BotFactory, store: SettingsStore) -> None:
    bot = make_bot(store=store)
    runs = bot.analyzer.engine.runs
    store.set_opt_out("generic", "user", "alice", True)
    store.set_opt_out("generic", "chat", "quiet-room", True)
    by_user = bot.decide(message(CELEBRATION, author="alice"))
    by_chat = bot.decide(message(CELEBRATION, chat="quiet-room", author="bob"))
    assert by_user.skipped == by_chat.skipped == "opt-out"
    assert by_user.moods == () and by_user.suggestions == ()
    assert bot.analyzer.engine.runs == runs  # the text never reached the model
    assert store.mood_counts("generic", "chat") == {}
    store.set_opt_out("generic", "user", "alice", False)
    assert bot.decide(message(CELEBRATION, author="alice")).skipped is None
    assert bot.analyzer.engine.runs == runs + 1


@pytest.mark.parametrize(
    "mode, reacts, suggests",
    [("react", True, False), ("suggest", False, True), ("both", True, True), ("off", False, False)],
)
def test_modes(
    make_bot: BotFactory, store: SettingsStore, mode: str, reacts: bool, suggests: bool
) -> None:
    store.update_chat("generic", "chat", mode=mode)
    bot = make_bot(store=store, defaults=SUGGESTING)
    decision = bot.decide(message(CELEBRATION))
    assert bool(decision.reactions) is reacts
    assert bool(decision.suggestions) is suggests
    assert (decision.skipped == "mode-off") is (mode == "off")


def test_chat_overrides_change_the_decision(make_bot: BotFactory, store: SettingsStore) -> None:
    bot = make_bot(store=store)
    store.update_chat("generic", "strict", reaction_threshold=1.0, max_suggestions=1)
    strict = bot.decide(message(CELEBRATION, chat="strict"))
    normal = bot.decide(message(CELEBRATION, chat="normal"))
    assert strict.reactions == () and len(strict.suggestions) <= 1
    assert normal.reactions
    assert strict.why.thresholds["reaction"] == 1.0


# --- pacing through the core -------------------------------------------------------------------


def test_cooldowns_pace_automatic_reactions_but_not_explicit_requests(
    make_bot: BotFactory,
) -> None:
    clock = Clock()
    settings = replace(SUGGESTING, chat_cooldown_s=20, budget_share=1.0)
    bot = make_bot(pacer=Pacer(clock), defaults=settings)
    first = bot.decide(message(CELEBRATION, author="a", number=1))
    clock.now += 5
    second = bot.decide(message(CELEBRATION, author="b", number=2))
    asked = bot.decide(message(CELEBRATION, author="b", number=3), explicit=True)
    clock.now += 30
    later = bot.decide(message(CELEBRATION, author="c", number=4))
    assert first.reactions and later.reactions
    assert second.reactions == () and "chat-cooldown" in second.why.rules()
    assert second.suggestions  # pacing holds reactions back, not suggestions
    assert asked.reactions
    # with the shipped share budget (a quarter of the messages in the window, one always
    # allowed), a message a minute gets a reaction on the first and again on the eighth
    shared = make_bot(pacer=Pacer(clock))
    got = []
    for number in range(8):
        clock.now += 60
        decision = shared.decide(message(CELEBRATION, author=f"u{number}", number=number))
        got.append(decision.reactions != ())
    assert got == [True, False, False, False, False, False, False, True]


# --- stats and privacy -------------------------------------------------------------------------


def test_moods_are_counted_and_no_text_is_stored(
    make_bot: BotFactory, store: SettingsStore
) -> None:
    bot = make_bot(store=store)
    secret = "My grandmother Zyxwvut passed away last night"
    bot.decide(message(secret, chat="family"))
    bot.decide(message(CELEBRATION, chat="family", number=2))
    bot.decide(message(CELEBRATION, chat="family", number=3), explicit=True)  # not counted
    (day,) = store.mood_counts("generic", "family").values()
    assert day == {"sadness": 1, "joy": 1}
    store.close()
    files = list(Path(store.path).parent.glob("moodmoji.sqlite3*"))
    assert files
    for path in files:
        data = path.read_bytes()
        assert b"Zyxwvut" not in data and b"grandmother" not in data


async def test_forget_user_and_chat(make_bot: BotFactory, store: SettingsStore) -> None:
    bot = make_bot(store=store)
    await bot.chats.opt_out("generic", "user", "alice")
    bot.decide(message(CELEBRATION, chat="c1", author="bob"))
    await bot.chats.update("generic", "c1", mode="react")
    assert (await bot.chats.forget_user(Platform.GENERIC, "alice")).total == 1
    report = await bot.chats.forget_chat(Platform.GENERIC, "c1")
    assert report.chats == 1 and report.mood_rows == 1
    assert store.mood_counts("generic", "c1") == {}
    assert bot.decide(message(CELEBRATION, author="alice")).skipped is None
    with pytest.raises(NoStoreError, match="no settings store"):
        await make_bot().chats.forget_user(Platform.GENERIC, "alice")


# --- odd input and the asynchronous path --------------------------------------------------------

ODD = [
    "",
    "   \n\t ",
    "😂😂😂🔥🔥",
    "Z̸̡̢̛̗̘̙̜̝̞̟̠̤̥̦̩̪̫̬̭̮̯̰̱̲̳̹̺̻̼͇͈͉͍͎̀́̂̃̄̅̆̇̈̉̊̋̌̍̎̏̐̑̒̓̔̽̾̿̀́͂̓̈́͆͊͋͌̕̚ͅ͏͓͔͕͖͙͚͐͑͒͗͛ͣͤͥͦͧͨͩͪͫͬͭͮͯ͘͜͟͢͝͞͠͡a̸lgo",
    "مرحبا، كيف حالك اليوم؟",
    "今天天气很好，我们去公园吧",
    "नमस्ते, आप कैसे हैं?",
    "word " * 20_000,
    "\x00\x01\x02 control \u202e bidi",
]


def test_odd_text_never_raises(make_bot: BotFactory) -> None:
    bot = make_bot()
    for platform in (Platform.GENERIC, Platform.DISCORD, Platform.TELEGRAM):
        decisions = bot.decide_many(
            [message(t, platform=platform, number=i) for i, t in enumerate(ODD)], explicit=True
        )
        assert len(decisions) == len(ODD)
        for decision in decisions:
            assert len(decision.suggestions) <= 3
    empty = bot.decide(message(""), explicit=True)
    assert empty.suggestions == ()


async def test_adecide_batches_and_matches_decide(make_bot: BotFactory) -> None:
    bot = make_bot()
    texts = list(MESSAGES.values())
    runs = bot.analyzer.engine.runs
    try:
        concurrent = await asyncio.gather(
            *(bot.adecide(message(t, number=i), explicit=True) for i, t in enumerate(texts))
        )
    finally:
        await bot.aclose()
    assert bot.analyzer.engine.runs - runs < len(texts)  # batched into fewer runs
    direct = make_bot().decide_many(
        [message(t, number=i) for i, t in enumerate(texts)], explicit=True
    )
    for a, b in zip(concurrent, direct, strict=True):
        assert [r.emoji for r in a.reactions] == [r.emoji for r in b.reactions]
        assert [s.text for s in a.suggestions] == [s.text for s in b.suggestions]


async def test_adecide_skips_opted_out_without_inference(
    make_bot: BotFactory, store: SettingsStore
) -> None:
    bot = make_bot(store=store)
    store.set_opt_out("generic", "chat", "chat", True)
    runs = bot.analyzer.engine.runs
    decision = await bot.adecide(message(CELEBRATION))
    assert decision.skipped == "opt-out" and bot.analyzer.engine.runs == runs


async def test_from_config_keeps_settings_across_restarts(tmp_path: Path) -> None:
    from moodmoji.bot.config import load_config
    from moodmoji.bot.core import MoodBot

    config_file = tmp_path / "config.yaml"
    config_file.write_text(
        "store:\n  path: state/moodmoji.sqlite3\nbot:\n  reaction_threshold: 0.5\n"
        "  suggestion_threshold: 0.3\n",
        encoding="utf-8",
    )
    config = load_config(config_file, environ={})
    first = MoodBot.from_config(config)
    assert first.defaults.reaction_threshold == 0.5
    assert first.chats.keeps_state
    await first.chats.update("telegram", "42", mode="suggest")
    await first.chats.opt_out("telegram", "user", "7")
    await first.aclose()
    assert (tmp_path / "state" / "moodmoji.sqlite3").is_file()

    again = MoodBot.from_config(config)
    try:
        muted = again.decide(message(CELEBRATION, platform=Platform.TELEGRAM, chat="42"))
        opted = again.decide(
            message(CELEBRATION, platform=Platform.TELEGRAM, chat="43", author="7")
        )
        assert muted.reactions == () and muted.suggestions
        assert opted.skipped == "opt-out"
    finally:
        await again.aclose()


def test_suggest_false_skips_ranking_replies_and_true_forces_it(make_bot: BotFactory) -> None:
    bot = make_bot()
    message = IncomingMessage(Platform.TELEGRAM, "c", "1", "u", "Happy birthday to my best friend!")
    usual = bot.decide(message, explicit=True)
    assert usual.suggestions
    quiet = bot.decide(message, explicit=True, suggest=False)
    assert quiet.suggestions == ()
    assert quiet.why.replies == ()
    assert quiet.reactions == usual.reactions
    assert "suggestion-gate" not in quiet.why.rules()
    off = make_bot(defaults=ChatSettings(mode=Mode.REACT))
    forced = off.decide(message, explicit=False, suggest=True)
    assert forced.suggestions == usual.suggestions


def test_a_platform_no_adapter_registered_gets_the_generic_rules(make_bot: BotFactory) -> None:
    bot = make_bot()
    assert Platform("slack") not in bot.platforms
    decision = bot.decide(message(CELEBRATION, platform=Platform("slack")), explicit=True)
    expected = bot.decide(message(CELEBRATION, platform=Platform.GENERIC), explicit=True)
    assert decision.reactions == expected.reactions
    assert any(s.rule == "platform" and "slack" in s.detail for s in decision.why.steps)


# --- language ---------------------------------------------------------------------------------

RUSSIAN = "Спасибо большое, ты меня очень выручил вчера"


async def test_the_decision_names_the_language_and_why_says_so(make_bot: BotFactory) -> None:
    bot = make_bot()
    russian = bot.decide(message(RUSSIAN), explicit=True)
    detail = f"ru ({russian.language_confidence:.2f})"
    assert russian.language == "ru" and russian.language_confidence > 0.9
    assert (russian.why.steps[0].rule, russian.why.steps[0].detail) == ("language", detail)
    assert f"language: {detail}" in russian.why.lines()
    shown = russian.as_dict()
    assert (shown["language"], shown["language_confidence"]) == ("ru", russian.language_confidence)
    assert shown["why"]["steps"][0] == {"rule": "language", "detail": detail}
    assert (await bot.adecide(message(RUSSIAN, number=2))).language == "ru"

    emoji = bot.decide(message("😂😂😂", number=3), explicit=True)
    assert (emoji.language, emoji.language_confidence) == ("und", 0.0)
    assert ("language", "und (emoji only)") in [(s.rule, s.detail) for s in emoji.why.steps]
    ignored = bot.decide(message(RUSSIAN, number=4, bot=True))  # not analysed: no language step
    assert ignored.language == "und" and "language" not in ignored.why.rules()


def test_a_bundle_with_its_own_caution_point_reads_somber_hints_from_there(
    default_analyzer: Analyzer,
) -> None:
    text = "we won the final tonight!!"
    (analysis,) = default_analyzer.analyze([text])
    hinted = replace(analysis, emotion_scores={**analysis.emotion_scores, "sadness": 0.2})
    assert read(text, hinted).sensitivity.reason == "a hint of sadness"
    calibrated = replace(hinted, caution=0.3)
    assert read(text, calibrated).sensitivity.reason is None
