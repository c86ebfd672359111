"""A batch is decided exactly as its messages one by one, and replies rank as they did before.

``MoodBot.decide_many`` reads the store once per batch, ranks the replies of the whole batch
together and counts moods at once; none of that may change a decision. The messages: the 320
benchmark messages, odd and grave ones, on three platforms, seven chats (some with their own
settings, one opted out, one off) and eleven authors (one opted out, some bots). The model's
analyses are made once and handed back to every bot, so that only the bot's own work differs
between the paths; one test runs the real model on both paths.

``Suggester.suggest_many`` is checked against :func:`reference_suggest`, the one-message
ranking as it was written before replies were ranked a batch at once.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

from moodmoji.adapters.telegram.info import load_telegram_reactions
from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.core import MoodBot, read
from moodmoji.bot.decision import Step, Suggestion, Tag
from moodmoji.bot.messages import ChatContext, IncomingMessage, Platform
from moodmoji.bot.pacing import Pacer
from moodmoji.bot.policy import Sensitivity
from moodmoji.bot.store import SettingsStore
from moodmoji.bot.suggestions import (
    ASKED_FLOOR,
    ASKED_RUNNER_UP_OF_BEST,
    CASUAL_INTENTS,
    CHEERFUL_INTENTS,
    CONDOLENCE_INTENTS,
    EXAMPLES_AVERAGED,
    HAPPY_SHARE,
    INTENT_BASE,
    INTENT_MOOD,
    INTENT_SEMANTIC,
    MIN_MOOD_FIT,
    MOOD_BASE,
    PARAPHRASE_COSINE,
    RUNNER_UP_OF_BEST,
    SEMANTIC_FLOOR,
    SEMANTIC_FULL,
    SOMBER_SADNESS,
    Reply,
    ReplyBank,
    Suggested,
    Suggester,
    SuggestionRequest,
)
from moodmoji.inference.analyzer import Analysis, Analyzer
from moodmoji.inference.vocabulary import MOODS, Tone
from moodmoji.tools.bench.messages import load_messages
from tests.conftest import BotFactory

PLATFORMS = (Platform.GENERIC, Platform.TELEGRAM, Platform.DISCORD)
EXTRA = [
    "",
    "   \n\t ",
    "😂😂😂🔥🔥",
    "🎉",
    "aaaaaaaa",
    "ok",
    "مرحبا، كيف حالك اليوم؟",
    "今天天气很好，我们去公园吧",
    "\x00\x01\x02 control \u202e bidi",
    "word " * 3000,
    "My grandmother passed away last night",
    "The biopsy came back positive",
    "we had to put our old dog to sleep this morning",
    "I'm so nervous about my surgery tomorrow",
    "Happy birthday to my best friend!",
    "WE JUST GOT ENGAGED!!! 💍",
    "The meeting moved to 3pm",
]
TEXTS = [m.text for m in load_messages()] + EXTRA
BATCH = 64


class Ticking:
    """A clock that moves on 2.5 s at every reading, the same on every path."""

    def __init__(self) -> None:
        self._now = itertools.count(step=2.5)

    def __call__(self) -> float:
        return next(self._now)


class Replay:
    """Stands in for the analyzer: hands back the analyses the real one made."""

    def __init__(self, analyses: dict[str, Analysis]) -> None:
        self._analyses = analyses

    def analyze(self, texts: Sequence[str]) -> list[Analysis]:
        return [self._analyses[text] for text in texts]

    def reads(self, language: object) -> bool:
        """Every analysis came from the default analyzer: no language is read apart."""
        del language
        return False


@pytest.fixture(scope="module")
def replay(default_analyzer: Analyzer) -> Replay:
    return Replay(dict(zip(TEXTS, default_analyzer.analyze(TEXTS), strict=True)))


def messages(texts: Sequence[str] = TEXTS) -> list[IncomingMessage]:
    return [
        IncomingMessage(
            PLATFORMS[i % 3],
            f"chat{i % 7}",
            str(i),
            f"user{i % 11}",
            text,
            author_is_bot=i % 97 == 5,
        )
        for i, text in enumerate(texts)
    ]


def seeded(path: Path) -> SettingsStore:
    store = SettingsStore.open(path)
    store.update_chat("generic", "chat1", mode="react", reaction_threshold=0.5)
    store.update_chat(
        "telegram", "chat2", mode="suggest", suggestion_threshold=0.2, max_suggestions=2
    )
    store.update_chat(
        "discord",
        "chat3",
        custom_emoji={"joy": "<:pepe:123456789012345678>"},
        reaction_threshold=0.3,
    )
    store.update_chat("generic", "chat4", mode="off")
    store.update_chat("telegram", "chat5", max_suggestions=0)
    store.update_chat("discord", "chat6", suggestion_threshold=0.1, chat_cooldown_s=0)
    store.set_opt_out("generic", "user", "user3", True)
    store.set_opt_out("telegram", "chat", "chat0", True)
    return store


@pytest.fixture()
def stores(tmp_path: Path) -> Iterator[tuple[SettingsStore, SettingsStore]]:
    """Two stores with the same settings and opt-outs, one per path."""
    first, second = seeded(tmp_path / "batch.sqlite3"), seeded(tmp_path / "single.sqlite3")
    yield first, second
    first.close()
    second.close()


def replayed(make_bot: BotFactory, replay: Replay, **parts: Any) -> MoodBot:
    bot = make_bot(pacer=Pacer(Ticking()), **parts)
    bot.analyzer = cast(Analyzer, replay)
    return bot


def batched(bot: MoodBot, incoming: Sequence[IncomingMessage], **options: Any) -> list[Any]:
    decisions = []
    for start in range(0, len(incoming), BATCH):
        decisions += bot.decide_many(incoming[start : start + BATCH], **options)
    return [d.as_dict() for d in decisions]


def counts(store: SettingsStore) -> dict[str, dict[str, dict[str, int]]]:
    return {
        f"{platform}:chat{n}": store.mood_counts(platform, f"chat{n}")
        for platform in PLATFORMS
        for n in range(7)
    }


@pytest.mark.parametrize(
    "defaults",
    [ChatSettings(), ChatSettings(suggestion_threshold=0.3, reaction_threshold=0.6)],
    ids=["shipped", "eager"],
)
def test_messages_flowing_past_are_decided_in_a_batch_as_one_by_one(
    make_bot: BotFactory,
    replay: Replay,
    stores: tuple[SettingsStore, SettingsStore],
    defaults: ChatSettings,
) -> None:
    incoming = messages()
    many = replayed(make_bot, replay, store=stores[0], defaults=defaults)
    one = replayed(make_bot, replay, store=stores[1], defaults=defaults)

    got = batched(many, incoming)
    expected = [one.decide(m).as_dict() for m in incoming]

    assert got == expected
    assert counts(stores[0]) == counts(stores[1])
    # the set is diverse: every gate, paced and unpaced reactions, replies and none
    rules = {step["rule"] for d in expected for step in d["why"]["steps"]}
    assert {"ignored", "opt-out", "mode-off", "mode", "share", "sensitivity"} <= rules
    assert {"suggestion-gate", "suggestion-sensitivity", "suggestions"} <= rules
    assert any(d["reactions"] for d in expected) and any(d["suggestions"] for d in expected)


@pytest.mark.parametrize("suggest", [True, False, None])
def test_explicit_requests_with_a_chat_context_are_decided_in_a_batch_as_one_by_one(
    make_bot: BotFactory,
    replay: Replay,
    stores: tuple[SettingsStore, SettingsStore],
    suggest: bool | None,
) -> None:
    context = ChatContext(
        self_id="user7",
        available_reactions=frozenset(sorted(load_telegram_reactions())[:20]),
        custom_emoji={"sadness": "<:sad:123456789012345679>"},
    )
    incoming = messages()
    many = replayed(make_bot, replay, store=stores[0])
    one = replayed(make_bot, replay, store=stores[1])
    options = {"explicit": True, "suggest": suggest}

    got = batched(many, incoming, context=context, **options)
    expected = [one.decide(m, context, **options).as_dict() for m in incoming]

    assert got == expected
    for store in stores:  # explicit requests are never counted
        assert all(not days for days in counts(store).values())


def test_without_a_store_a_batch_is_decided_as_one_by_one(
    make_bot: BotFactory, replay: Replay
) -> None:
    incoming = messages()
    got = batched(replayed(make_bot, replay), incoming)
    one = replayed(make_bot, replay)
    assert got == [one.decide(m).as_dict() for m in incoming]


def test_the_real_model_decides_a_batch_as_one_by_one(make_bot: BotFactory) -> None:
    incoming = messages(TEXTS[::15])
    got = [d.as_dict() for d in make_bot().decide_many(incoming, explicit=True)]
    one = make_bot()
    assert got == [one.decide(m, explicit=True).as_dict() for m in incoming]


# --------------------------------------------------------------------------------------------
# Reply ranking against the one-message reference
# --------------------------------------------------------------------------------------------


def reference_fits(
    suggester: Suggester,
    moods: Sequence[Tag],
    embedding: np.ndarray | None,
    somber: bool,
    intents: Sequence[Tag],
) -> np.ndarray:
    """Every reply's fit to one message, as ranked one message at a time before batching."""
    shares = {m.label: m.score for m in moods}
    sad = shares.get("sadness", 0.0) + shares.get("fear", 0.0)
    if somber and sad < SOMBER_SADNESS:
        keep = (1.0 - SOMBER_SADNESS) / max(1.0 - sad, 1e-6)
        shares = {k: v * keep for k, v in shares.items() if k not in ("sadness", "fear")}
        shares["sadness"] = SOMBER_SADNESS
    mask = suggester._mood_mask
    mood_fit = mask @ np.array([shares.get(m, 0.0) for m in MOODS], np.float32)
    semantic = None
    examples = suggester._examples
    if embedding is not None and examples is not None:
        slots = suggester._slots
        cosines = examples @ embedding.astype(np.float32)
        per_reply = np.where(slots >= 0, cosines[np.maximum(slots, 0)], -1.0)
        best = -np.sort(-per_reply, axis=1)[:, :EXAMPLES_AVERAGED]
        taken = np.minimum((slots >= 0).sum(axis=1), EXAMPLES_AVERAGED)
        mean = np.where(best > -1.0, best, 0.0).sum(axis=1) / taken
        semantic = np.clip((mean - SEMANTIC_FLOOR) / (SEMANTIC_FULL - SEMANTIC_FLOOR), 0, 1).astype(
            np.float32
        )
    if intents:
        chance = {tag.label: tag.score for tag in intents}
        replies = suggester.bank.replies
        p = np.array([chance.get(r.intent, 0.0) for r in replies], np.float32)
        wording = INTENT_BASE + INTENT_MOOD * mood_fit
        if semantic is not None:
            wording = wording + INTENT_SEMANTIC * semantic
        return (p * wording).astype(np.float32)
    if semantic is None:
        fit = MOOD_BASE * mood_fit
    else:
        fit = semantic * (MOOD_BASE + (1.0 - MOOD_BASE) * mood_fit)
    return np.where(mood_fit >= MIN_MOOD_FIT, fit, 0.0).astype(np.float32)


def _unsuitable(reply: Reply, sensitivity: Sensitivity, happy: bool) -> str | None:
    """Why a reply must not go on a message, or ``None``, as checked one reply at a time."""
    if sensitivity.negative and (reply.tone is Tone.PLAYFUL or reply.intent in CHEERFUL_INTENTS):
        return f"{reply.intent} ({sensitivity.reason})"
    if sensitivity.somber and reply.intent in CASUAL_INTENTS:
        return f"{reply.intent} ({sensitivity.reason})"
    if happy and not sensitivity.negative and reply.intent in CONDOLENCE_INTENTS:
        return f"{reply.intent} (a happy message)"
    return None


def reference_suggest(suggester: Suggester, request: SuggestionRequest) -> Suggested:
    """One message's suggestions, as ranked one message at a time before batching."""
    if request.limit <= 0:
        return (), (), (Step("suggestions", "this chat asks for no suggestions"),)
    sensitivity, moods = request.sensitivity, request.moods
    fits = reference_fits(suggester, moods, request.embedding, sensitivity.somber, request.intents)
    order = np.argsort(-fits, kind="stable")
    happy = bool(moods) and moods[0].label in ("joy", "love") and moods[0].score >= HAPPY_SHARE
    scored: list[tuple[int, float]] = []
    refused: list[str] = []
    for index in order[:60]:
        reply = suggester.bank.replies[int(index)]
        why = _unsuitable(reply, sensitivity, happy)
        if why is not None:
            refused.append(why)
            continue
        scored.append((int(index), round(float(fits[index]), 4)))
    replies = suggester.bank.replies
    considered = tuple(Suggestion(replies[i].text, replies[i].intent, f) for i, f in scored[:5])
    steps: list[Step] = []
    if refused:
        steps.append(Step("suggestion-sensitivity", "left out " + ", ".join(sorted(set(refused)))))
    gate = ASKED_FLOOR if request.asked else request.threshold
    if not scored or scored[0][1] < gate:
        top = f"{scored[0][1]:.2f}" if scored else "nothing"
        steps.append(
            Step(
                "suggestion-gate",
                f"best reply fits {top}, under the threshold {gate:g}: no suggestions",
            )
        )
        return (), considered, tuple(steps)
    if request.asked:
        steps.append(Step("suggestion-gate", f"asked for: best reply fits {scored[0][1]:.2f}"))
    chosen: list[tuple[int, float]] = []
    share = ASKED_RUNNER_UP_OF_BEST if request.asked else RUNNER_UP_OF_BEST
    bar = max(gate, scored[0][1] * share)
    vectors = suggester._replies
    for index, fit in scored:
        if len(chosen) >= request.limit or (chosen and fit < bar):
            break
        if any(replies[c].intent == replies[index].intent for c, _ in chosen):
            continue
        if vectors is not None and any(
            float(vectors[index] @ vectors[c]) > PARAPHRASE_COSINE for c, _ in chosen
        ):
            continue
        chosen.append((index, fit))
    suggestions = tuple(Suggestion(replies[i].text, replies[i].intent, f) for i, f in chosen)
    return suggestions, considered, tuple(steps)


def requests(analyzer: Replay, suggester: Suggester) -> list[SuggestionRequest]:
    """Every text under varied settings, and with no embedding or no intents now and then."""
    out = []
    for i, text in enumerate(TEXTS):
        (analysis,) = analyzer.analyze([text])
        reading = read(text, analysis)
        sensitivity = reading.sensitivity
        if i % 9 == 4:  # a somber flag without a negative one, as a test might build it
            sensitivity = Sensitivity(somber=True, reason="a test said so")
        out.append(
            SuggestionRequest(
                reading.moods,
                None if i % 13 == 6 else analysis.embedding,
                sensitivity,
                threshold=(0.55, 0.3, 0.0, 0.9)[i % 4],
                limit=(3, 2, 1, 0, 3)[i % 5],
                intents=() if i % 7 == 3 else reading.intents,
                asked=i % 3 == 0,
            )
        )
    return out


def test_replies_rank_a_batch_at_once_as_one_message_at_a_time_did(
    replay: Replay, default_suggester: Suggester
) -> None:
    wanted = requests(replay, default_suggester)
    got = []
    for start in range(0, len(wanted), BATCH):
        got += default_suggester.suggest_many(wanted[start : start + BATCH])
    expected = [reference_suggest(default_suggester, r) for r in wanted]
    assert got == expected
    assert sum(bool(suggestions) for suggestions, _, _ in got) > 50


def test_fits_of_a_mixed_batch_are_bit_for_bit_those_of_each_message(
    replay: Replay, default_suggester: Suggester
) -> None:
    wanted = requests(replay, default_suggester)[:BATCH]
    assert {r.embedding is None for r in wanted} == {True, False}
    assert {bool(r.intents) for r in wanted} == {True, False}
    fits = default_suggester.fits_many(wanted)
    for row, request in zip(fits, wanted, strict=True):
        expected = reference_fits(
            default_suggester,
            request.moods,
            request.embedding,
            request.sensitivity.somber,
            request.intents,
        )
        assert row.tobytes() == expected.tobytes()


def test_a_bank_without_vectors_ranks_a_batch_as_one_message_at_a_time(
    replay: Replay, default_suggester: Suggester
) -> None:
    plain = Suggester(default_suggester.bank)
    wanted = requests(replay, plain)[:BATCH]
    assert plain.suggest_many(wanted) == [reference_suggest(plain, r) for r in wanted]


def test_a_bank_with_uneven_examples_ranks_a_batch_as_one_message_at_a_time(
    replay: Replay, default_suggester: Suggester
) -> None:
    vectors = default_suggester._examples
    assert vectors is not None
    replies, rows = [], []
    for i, reply in enumerate(default_suggester.bank.replies[:120]):
        kept = 1 + i % len(reply.examples)  # one to all of its examples
        replies.append(replace(reply, examples=reply.examples[:kept]))
        rows += [int(default_suggester._slots[i, j]) for j in range(kept)]
    uneven = Suggester(ReplyBank(tuple(replies)), vectors[rows], default_suggester._replies[:120])
    wanted = requests(replay, uneven)
    assert uneven.suggest_many(wanted) == [reference_suggest(uneven, r) for r in wanted]


def test_a_batch_asks_the_store_once_per_platform_and_counts_its_moods_at_once(
    make_bot: BotFactory,
    replay: Replay,
    stores: tuple[SettingsStore, SettingsStore],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = stores[0]
    reader = store._reader
    assert reader is not None
    queries: list[str] = []
    reader.set_trace_callback(lambda sql: queries.append(sql) if "SELECT" in sql else None)
    counted: list[int] = []
    count_moods = store.count_moods

    def spy(counts: Iterable[tuple[str, str | int, str]]) -> None:
        counts = list(counts)
        counted.append(len(counts))
        count_moods(counts)

    monkeypatch.setattr(store, "count_moods", spy)
    decisions = replayed(make_bot, replay, store=store).decide_many(messages()[:BATCH])
    # per platform: the opt-outs of its chats and authors, then its chats' settings
    assert len(queries) == 2 * len(PLATFORMS)
    assert counted == [sum(1 for d in decisions if d.moods)]
