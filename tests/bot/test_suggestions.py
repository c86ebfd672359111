"""Reply suggestions: the reply bank, and the real default model on a fresh set of chat messages.

The messages (``data/suggestion_messages.jsonl``) were written for these tests, by group:
bereavement, bad news, fear, anger, good news, logistics, questions, thanks, messages nothing in
the bank fits, and odd input. No mocks: the packaged reply bank and the embedded default model.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest

from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.core import MoodBot
from moodmoji.bot.decision import Decision, Tag
from moodmoji.bot.messages import IncomingMessage, Platform
from moodmoji.bot.policy import Sensitivity
from moodmoji.bot.suggestions import (
    ASKED_FLOOR,
    CASUAL_INTENTS,
    CHEERFUL_INTENTS,
    INTENTS,
    REPLY_BANK_FILE,
    Reply,
    ReplyBank,
    ReplyBankError,
    Suggester,
)
from moodmoji.inference.analyzer import Analyzer
from moodmoji.inference.default_model import resolve_model_dir
from moodmoji.inference.emoji_names import emoji_like
from moodmoji.inference.vocabulary import Tone

MESSAGES_FILE = Path(__file__).resolve().parent / "data" / "suggestion_messages.jsonl"

#: Least number of messages per group in the message set.
GROUP_MINIMUMS = {
    "bereavement": 10,
    "bad-news": 10,
    "fear": 6,
    "anger": 6,
    "good-news": 10,
    "logistics": 8,
    "question": 5,
    "thanks": 4,
    "nothing-fits": 8,
    "odd": 6,
}
#: Groups whose messages must never get anything cheerful or playful.
NEGATIVE_GROUPS = ("bereavement", "bad-news", "fear")
SAD_OR_FEARFUL = frozenset({"sadness", "fear"})
PARAPHRASE_COSINE = 0.8

BEREAVEMENT_INTENTS = frozenset({"sympathize", "comfort", "offer-help", "ask"})
GOOD_NEWS_INTENTS = frozenset({"congratulate", "celebrate", "compliment", "wish-well", "ask"})
LOGISTICS_INTENTS = frozenset(
    {"acknowledge", "accept", "decline", "ask", "agree", "offer-help", "apologize"}
)


def _load_messages() -> list[tuple[str, str]]:
    rows = []
    for line in MESSAGES_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            rows.append((obj["group"], obj["text"]))
    return rows


MESSAGES = _load_messages()
BANK = ReplyBank.load()
BY_TEXT: dict[str, Reply] = {r.text: r for r in BANK.replies}


def _group(name: str) -> list[str]:
    return [text for group, text in MESSAGES if group == name]


def _message(text: str, index: int = 0) -> IncomingMessage:
    return IncomingMessage(Platform.GENERIC, "suggestions-test", str(index), "u1", text)


def _short(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _describe(text: str, decision: Decision) -> str:
    """One failing message: what it got, its leading moods and the explanation's steps."""
    suggestions = [(s.intent, s.text, s.score) for s in decision.suggestions]
    moods = [(m.label, m.score) for m in decision.moods[:3]]
    steps = [f"{s.rule}: {s.detail}" for s in decision.why.steps]
    return f"{_short(text)}\n    suggestions={suggestions}\n    moods={moods}\n    steps={steps}"


def _report(failures: Iterable[str]) -> str:
    return "\n" + "\n".join(failures)


def _is_blank_or_gibberish(text: str) -> bool:
    """No letters, digits or emoji at all, or one character repeated (``aaaa...``)."""
    letters = {ch.casefold() for ch in text if unicodedata.category(ch)[0] in "LN"}
    return len(letters) <= 1 and not emoji_like(text)


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer.from_path(resolve_model_dir(None))


@pytest.fixture(scope="module")
def bot(analyzer: Analyzer) -> MoodBot:
    return MoodBot.from_analyzer(analyzer)


@pytest.fixture(scope="module")
def decided(bot: MoodBot) -> dict[str, list[tuple[str, Decision]]]:
    """Every test message, decided explicitly in one call, by group."""
    decisions = bot.decide_many(
        [_message(text, i) for i, (_, text) in enumerate(MESSAGES)], explicit=True
    )
    out: dict[str, list[tuple[str, Decision]]] = {}
    for (group, text), decision in zip(MESSAGES, decisions, strict=True):
        out.setdefault(group, []).append((text, decision))
    return out


def _all(decided: dict[str, list[tuple[str, Decision]]]) -> list[tuple[str, Decision]]:
    return [pair for pairs in decided.values() for pair in pairs]


# ---------------------------------------------------------------------------- the message set


def test_message_set_covers_every_group() -> None:
    counts = Counter(group for group, _ in MESSAGES)
    assert set(counts) == set(GROUP_MINIMUMS)
    short = {g: counts[g] for g, least in GROUP_MINIMUMS.items() if counts[g] < least}
    assert not short, f"groups with too few messages: {short}"
    assert len(MESSAGES) >= 70


def test_message_set_is_fresh() -> None:
    examples = {e.casefold().strip() for r in BANK.replies for e in r.examples}
    copied = [t for _, t in MESSAGES if t.strip() and t.casefold().strip() in examples]
    assert not copied, f"copied from the reply bank's examples: {copied}"
    texts = [t for _, t in MESSAGES]
    assert len(texts) == len(set(texts)), "a message appears twice"


def test_message_set_holds_the_odd_inputs() -> None:
    odd = _group("odd")
    assert "" in odd
    assert any(t and not t.strip() for t in odd), "whitespace only"
    assert any(len(t) >= 20_000 for t in odd), "a 20,000-character text"
    assert any(sum(unicodedata.combining(ch) > 0 for ch in t) > len(t) / 2 for t in odd if t), (
        "zalgo text"
    )
    for script in ("ARABIC", "CJK", "DEVANAGARI"):
        assert any(any(unicodedata.name(ch, "").startswith(script) for ch in t) for t in odd), (
            script
        )


# ---------------------------------------------------------------------------- the reply bank


def test_reply_bank_loads_and_is_large() -> None:
    bank = ReplyBank.load()
    assert len(bank) >= 300
    assert all(r.intent in INTENTS for r in bank.replies)


@pytest.mark.parametrize("intent", INTENTS)
def test_every_intent_has_replies(intent: str) -> None:
    count = sum(r.intent == intent for r in BANK.replies)
    assert count >= 8, f"{intent}: only {count} replies"


def test_reply_texts_are_unique() -> None:
    counts = Counter(" ".join(r.text.casefold().split()) for r in BANK.replies)
    duplicates = sorted(text for text, n in counts.items() if n > 1)
    assert not duplicates, f"duplicate replies: {duplicates}"


def test_cheerful_replies_are_never_tagged_sad_or_fearful() -> None:
    wrong = [
        (r.intent, r.text, r.moods)
        for r in BANK.replies
        if r.intent in CHEERFUL_INTENTS and SAD_OR_FEARFUL & set(r.moods)
    ]
    assert not wrong, f"cheerful replies tagged with sadness or fear: {wrong}"


def test_playful_replies_are_never_tagged_sad_or_fearful() -> None:
    wrong = [
        (r.intent, r.text, r.moods)
        for r in BANK.replies
        if r.tone is Tone.PLAYFUL and SAD_OR_FEARFUL & set(r.moods)
    ]
    assert not wrong, f"playful replies tagged with sadness or fear: {wrong}"


def _line(**fields: object) -> str:
    reply: dict[str, object] = {
        "text": "Good luck!",
        "intent": "encourage",
        "moods": ["fear"],
        "tone": "warm",
        "examples": ["Exam tomorrow"],
    }
    reply.update(fields)
    return json.dumps({k: v for k, v in reply.items() if v is not None})


BROKEN_LINES = {
    "bad JSON": '{"text": "Oops", "intent": ',
    "unknown intent": _line(intent="high-five"),
    "missing key": _line(tone=None),
    "unknown mood": _line(moods=["glee"]),
    "unknown tone": _line(tone="sarcastic"),
    "empty examples": _line(examples=[]),
    "not an object": "[1, 2, 3]",
}


@pytest.mark.parametrize("broken", BROKEN_LINES.values(), ids=BROKEN_LINES.keys())
def test_broken_bank_names_the_file_and_line(tmp_path: Path, broken: str) -> None:
    path = tmp_path / "bank.jsonl"
    path.write_text(f"{_line()}\n\n{_line(text='Break a leg!')}\n{broken}\n", encoding="utf-8")
    with pytest.raises(ReplyBankError) as caught:
        ReplyBank.load(path)
    assert f"{path}:4" in str(caught.value)


def test_missing_bank_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "bank.jsonl"
    with pytest.raises(ReplyBankError) as caught:
        ReplyBank.load(path)
    assert str(path) in str(caught.value)


def test_empty_bank_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bank.jsonl"
    path.write_text("\n   \n", encoding="utf-8")
    with pytest.raises(ReplyBankError) as caught:
        ReplyBank.load(path)
    assert str(path) in str(caught.value)


def test_packaged_bank_is_the_default() -> None:
    assert ReplyBank.load(REPLY_BANK_FILE) == BANK


# ---------------------------------------------------------------------------- diversity


def test_suggestions_are_few_and_diverse(
    bot: MoodBot, decided: dict[str, list[tuple[str, Decision]]]
) -> None:
    failures = []
    suggested = 0
    for text, decision in _all(decided):
        suggestions = decision.suggestions
        if not suggestions:
            continue
        suggested += 1
        intents = [s.intent for s in suggestions]
        texts = [s.text for s in suggestions]
        problems = []
        if len(suggestions) > 3:
            problems.append("more than 3")
        if len(set(intents)) != len(intents):
            problems.append("an intent twice")
        if len(set(texts)) != len(texts):
            problems.append("a text twice")
        if any(t not in BY_TEXT for t in texts):
            problems.append("a reply not in the bank")
        if len(texts) > 1:
            vectors = bot.analyzer.embed(texts)
            cosines = vectors @ vectors.T
            upper = cosines[np.triu_indices(len(texts), k=1)]
            if float(upper.max()) > PARAPHRASE_COSINE:
                problems.append(f"near-paraphrases (cosine {float(upper.max()):.2f})")
        if problems:
            failures.append(f"{', '.join(problems)}: {_describe(text, decision)}")
    assert suggested > 0, "no message got any suggestion"
    assert not failures, _report(failures)


def test_suggestions_are_scored_best_first(
    decided: dict[str, list[tuple[str, Decision]]],
) -> None:
    for text, decision in _all(decided):
        scores = [s.score for s in decision.suggestions]
        assert scores == sorted(scores, reverse=True), _describe(text, decision)
        if scores:  # asked for: the floor gates, not the chat's threshold
            assert scores[0] >= ASKED_FLOOR, _describe(text, decision)


# ---------------------------------------------------------------------------- gating


def test_nothing_fits_gets_no_suggestion_unasked(bot: MoodBot) -> None:
    texts = _group("nothing-fits")
    decisions = [
        bot.conclude(_message(t, i), bot.analyzer.analyze([t])[0], suggest=None)
        for i, t in enumerate(texts)
    ]
    failures = [
        _describe(text, decision)
        for text, decision in zip(texts, decisions, strict=True)
        if decision.suggestions or "suggestion-gate" not in decision.why.rules()
    ]
    assert not failures, _report(failures)


@pytest.mark.parametrize("text", _group("odd"), ids=[f"odd-{i}" for i in range(len(_group("odd")))])
def test_odd_input_is_decided(bot: MoodBot, text: str) -> None:
    decision = bot.decide(_message(text), explicit=True)
    assert isinstance(decision, Decision)
    assert decision.skipped is None
    assert len(decision.suggestions) <= 3
    if _is_blank_or_gibberish(text):
        assert not decision.suggestions, _describe(text, decision)
        assert "suggestion-gate" in decision.why.rules(), _describe(text, decision)


def test_odd_input_in_one_batch(decided: dict[str, list[tuple[str, Decision]]]) -> None:
    odd = decided["odd"]
    assert len(odd) == len(_group("odd"))
    failures = [
        _describe(text, decision)
        for text, decision in odd
        if _is_blank_or_gibberish(text) and decision.suggestions
    ]
    assert not failures, _report(failures)


# ---------------------------------------------------------------------------- sensitivity


@pytest.mark.parametrize("group", NEGATIVE_GROUPS)
def test_no_cheer_or_play_on_bad_news(
    decided: dict[str, list[tuple[str, Decision]]], group: str
) -> None:
    failures = []
    for text, decision in decided[group]:
        wrong = [
            s
            for s in decision.suggestions
            if s.intent in CHEERFUL_INTENTS or BY_TEXT[s.text].tone is Tone.PLAYFUL
        ]
        if wrong:
            failures.append(_describe(text, decision))
    assert not failures, _report(failures)


def test_nothing_casual_on_bereavement(
    decided: dict[str, list[tuple[str, Decision]]],
) -> None:
    failures = [
        _describe(text, decision)
        for text, decision in decided["bereavement"]
        if any(s.intent in CASUAL_INTENTS for s in decision.suggestions)
    ]
    assert not failures, _report(failures)


def test_no_sympathy_for_good_news(decided: dict[str, list[tuple[str, Decision]]]) -> None:
    failures = [
        _describe(text, decision)
        for text, decision in decided["good-news"]
        if any(s.intent == "sympathize" for s in decision.suggestions)
    ]
    assert not failures, _report(failures)


def test_sensitive_messages_are_explained(
    decided: dict[str, list[tuple[str, Decision]]],
) -> None:
    """A message judged negative says so, names what it left out, and gets nothing cheerful."""
    for text, decision in _all(decided):
        steps = {s.rule: s.detail for s in reversed(decision.why.steps)}
        if "suggestion-sensitivity" in steps:
            assert steps["suggestion-sensitivity"].startswith("left out "), _describe(
                text, decision
            )
        if "sensitivity" in steps:
            for s in decision.suggestions:
                assert s.intent not in CHEERFUL_INTENTS, _describe(text, decision)
                assert BY_TEXT[s.text].tone is not Tone.PLAYFUL, _describe(text, decision)


# ---------------------------------------------------------------------------- usefulness


def _rate(
    decided: dict[str, list[tuple[str, Decision]]], group: str, intents: frozenset[str]
) -> tuple[float, str]:
    """Share of a group's messages with a suggestion whose intent is among ``intents``.

    Returns:
        The share, and a message that gives it and lists the messages that missed.
    """
    pairs = decided[group]
    misses = [
        _describe(text, decision)
        for text, decision in pairs
        if not any(s.intent in intents for s in decision.suggestions)
    ]
    got = len(pairs) - len(misses)
    rate = got / len(pairs)
    summary = f"{group}: {got}/{len(pairs)} = {rate:.0%} get a suggestion among {sorted(intents)}"
    return rate, summary + _report(misses)


def test_bereavement_gets_a_suggestion(
    decided: dict[str, list[tuple[str, Decision]]],
) -> None:
    pairs = decided["bereavement"]
    got = sum(bool(d.suggestions) for _, d in pairs)
    rate = got / len(pairs)
    misses = [_describe(t, d) for t, d in pairs if not d.suggestions]
    assert rate >= 0.7, (
        f"bereavement: {got}/{len(pairs)} = {rate:.0%} get a suggestion (want >= 70 %)"
        + _report(misses)
    )


def test_bereavement_suggestions_start_with_sympathy(
    decided: dict[str, list[tuple[str, Decision]]],
) -> None:
    failures = [
        _describe(text, decision)
        for text, decision in decided["bereavement"]
        if decision.suggestions and decision.suggestions[0].intent not in BEREAVEMENT_INTENTS
    ]
    assert not failures, _report(failures)


def test_good_news_gets_congratulations(
    decided: dict[str, list[tuple[str, Decision]]],
) -> None:
    rate, summary = _rate(decided, "good-news", GOOD_NEWS_INTENTS)
    assert rate >= 0.6, f"(want >= 60 %) {summary}"


def test_logistics_gets_an_acknowledgement(
    decided: dict[str, list[tuple[str, Decision]]],
) -> None:
    rate, summary = _rate(decided, "logistics", LOGISTICS_INTENTS)
    assert rate >= 0.6, f"(want >= 60 %) {summary}"


# ---------------------------------------------------------------------------- settings


def _decide_all(bot: MoodBot, *, explicit: bool) -> list[tuple[str, Decision]]:
    texts = [text for _, text in MESSAGES]
    decisions = bot.decide_many([_message(t, i) for i, t in enumerate(texts)], explicit=explicit)
    return list(zip(texts, decisions, strict=True))


def test_max_suggestions_one(analyzer: Analyzer) -> None:
    bot = MoodBot.from_analyzer(analyzer, defaults=ChatSettings(max_suggestions=1))
    pairs = _decide_all(bot, explicit=True)
    assert any(d.suggestions for _, d in pairs), "no message got any suggestion"
    failures = [_describe(t, d) for t, d in pairs if len(d.suggestions) > 1]
    assert not failures, _report(failures)


def test_max_suggestions_zero(analyzer: Analyzer) -> None:
    bot = MoodBot.from_analyzer(analyzer, defaults=ChatSettings(max_suggestions=0))
    for text, decision in _decide_all(bot, explicit=True):
        assert not decision.suggestions, _describe(text, decision)
        # a message in a language without a reply bank is left out before the limit applies
        rule = "suggestions" if decision.language in ("en", "und") else "language"
        assert rule in decision.why.rules(), _describe(text, decision)


def test_threshold_one_suggests_nothing_unasked(analyzer: Analyzer) -> None:
    bot = MoodBot.from_analyzer(analyzer, defaults=ChatSettings(suggestion_threshold=1.0))
    texts = [text for _, text in MESSAGES]
    decisions = [
        bot.conclude(_message(t, i), a, suggest=None)
        for i, (t, a) in enumerate(zip(texts, bot.analyzer.analyze(texts), strict=True))
    ]
    failures = [_describe(t, d) for t, d in zip(texts, decisions, strict=True) if d.suggestions]
    assert not failures, _report(failures)
    asked = _decide_all(bot, explicit=True)
    assert any(d.suggestions for _, d in asked), "asking got no suggestion at a threshold of 1"


def test_react_mode_suggests_only_when_asked(
    analyzer: Analyzer, decided: dict[str, list[tuple[str, Decision]]]
) -> None:
    bot = MoodBot.from_analyzer(analyzer, defaults=ChatSettings(mode="react"))
    for text, decision in _decide_all(bot, explicit=False):
        assert not decision.suggestions, _describe(text, decision)
        assert any(s.rule == "mode" and "no suggestions" in s.detail for s in decision.why.steps), (
            _describe(text, decision)
        )
    asked = _decide_all(bot, explicit=True)
    assert any(d.suggestions for _, d in asked), "explicit requests got no suggestion"
    expected = {text: d.suggestions for text, d in _all(decided)}
    for text, decision in asked:
        assert decision.suggestions == expected[text], _describe(text, decision)


# ---------------------------------------------------------------------------- no embedding head


SAD = (Tag("sadness", 0.95), Tag("neutral", 0.05))


def test_mood_only_suggester_follows_a_clear_mood() -> None:
    suggester = Suggester(BANK)
    suggestions, considered, _ = suggester.suggest(SAD, None, Sensitivity(), threshold=0.4)
    assert suggestions, "a clear mood with a low threshold should suggest"
    assert len(suggestions) <= 3
    assert len({s.intent for s in suggestions}) == len(suggestions)
    for s in suggestions:
        assert "sadness" in BY_TEXT[s.text].moods, s
        assert s.score >= 0.4 * 0.8, s
    assert considered


def test_mood_only_suggester_needs_a_low_threshold() -> None:
    suggester = Suggester(BANK)
    suggestions, _, steps = suggester.suggest(SAD, None, Sensitivity(), threshold=0.6)
    assert suggestions == ()
    assert "suggestion-gate" in [s.rule for s in steps]


def test_mood_only_suggester_stays_sensitive() -> None:
    suggester = Suggester(BANK)
    somber = Sensitivity(True, True, "sadness leads")
    joyful_but_somber = (Tag("joy", 0.6), Tag("sadness", 0.4))
    suggestions, _, _ = suggester.suggest(joyful_but_somber, None, somber, threshold=0.2)
    assert suggestions
    for s in suggestions:
        assert s.intent not in CHEERFUL_INTENTS | CASUAL_INTENTS, s
        assert BY_TEXT[s.text].tone is not Tone.PLAYFUL, s


def test_a_somber_message_counts_as_half_sad_in_the_mood_fit() -> None:
    # "the biopsy came back positive": the model may say neutral, the word check says grave
    plain = Suggester(ReplyBank.load())
    neutral = (Tag("neutral", 0.95), Tag("joy", 0.05))
    somber = Sensitivity(True, True, "the message mentions illness")
    calm, _, _ = plain.suggest(neutral, None, Sensitivity(), threshold=0.2)
    careful, _, _ = plain.suggest(neutral, None, somber, threshold=0.2)
    bank = {r.text: r for r in ReplyBank.load().replies}
    assert careful and all("sadness" in bank[s.text].moods for s in careful)
    assert all("sadness" not in bank[s.text].moods for s in calm)


# ---------------------------------------------------------------------------- learned intents

HAPPY = (Tag("joy", 0.9), Tag("neutral", 0.1))
NEWS_INTENTS = (Tag("congratulate", 0.5), Tag("ask", 0.3), Tag("celebrate", 0.2))


def test_asked_suggestions_ignore_the_threshold_and_offer_several_kinds() -> None:
    suggester = Suggester(BANK)
    unasked, _, steps = suggester.suggest(
        HAPPY, None, Sensitivity(), threshold=0.9, intents=NEWS_INTENTS
    )
    assert unasked == ()
    assert "suggestion-gate" in [s.rule for s in steps]
    asked, _, steps = suggester.suggest(
        HAPPY, None, Sensitivity(), threshold=0.9, intents=NEWS_INTENTS, asked=True
    )
    kinds = [s.intent for s in asked]
    assert kinds[0] == "congratulate", asked
    assert 2 <= len(asked) <= 3 and len(set(kinds)) == len(kinds), asked
    assert set(kinds) <= {"congratulate", "ask", "celebrate"}, asked
    assert any(s.rule == "suggestion-gate" and "asked" in s.detail for s in steps)


def test_asked_suggestions_still_respect_a_somber_message() -> None:
    suggester = Suggester(BANK)
    somber = Sensitivity(True, True, "the message mentions death")
    intents = (Tag("celebrate", 0.6), Tag("laugh", 0.2), Tag("sympathize", 0.2))
    asked, _, steps = suggester.suggest(
        HAPPY, None, somber, threshold=0.9, intents=intents, asked=True
    )
    assert [s.intent for s in asked] == ["sympathize"], asked
    assert "suggestion-sensitivity" in [s.rule for s in steps]


def test_no_playful_reply_on_a_negative_message_even_when_laughter_is_likely() -> None:
    # some anger in the mood and the intent head says laugh: the laughing replies (all
    # playful) stay out, a reply of the next likely kind is offered
    suggester = Suggester(BANK)
    annoyed = Sensitivity(False, True, "anger in the mood")
    intents = (Tag("laugh", 0.8), Tag("relate", 0.2))
    asked, _, _ = suggester.suggest(
        (Tag("joy", 0.6), Tag("anger", 0.4)),
        None,
        annoyed,
        threshold=0.35,
        intents=intents,
        asked=True,
    )
    assert [s.intent for s in asked] == ["relate"], asked
    assert all(BY_TEXT[s.text].tone is not Tone.PLAYFUL for s in asked), asked
