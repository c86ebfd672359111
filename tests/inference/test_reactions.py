"""Reaction candidates: fusion of the emoji head, emotions, moods and topics, and mood safety.

The ranker itself only ranks; safety is the bot's sensitivity guard (``bot.policy``, the one
place for that rule), so the safety tests here pass the candidates through it as the bot does.
"""

from __future__ import annotations

import pytest

from moodmoji.bot.decision import Candidate, Tag
from moodmoji.bot.policy import ReactionPolicy, assess
from moodmoji.inference.moods import MoodFusion
from moodmoji.inference.reactions import MIN_SCORE, ReactionRanker
from moodmoji.inference.results import Prediction
from moodmoji.inference.topics import TopicMatch
from moodmoji.inference.vocabulary import EmojiVocabulary, Tone
from tests.inference.predictions import default_like_manifest, prediction


@pytest.fixture(scope="module")
def vocabulary() -> EmojiVocabulary:
    return EmojiVocabulary.load()


def rank(
    vocabulary: EmojiVocabulary, p: Prediction, topics: tuple[TopicMatch, ...] = ()
) -> list[tuple[str, Tone]]:
    manifest = default_like_manifest()
    moods = MoodFusion(manifest).fuse(p)
    ranked = ReactionRanker(manifest, vocabulary).rank(p, moods, topics)
    sensitivity = assess(tuple(Tag(m.mood, m.score) for m in moods), ())
    guarded = ReactionPolicy(vocabulary).allowed(
        [Candidate(c.emoji, c.score, c.sources) for c in ranked], sensitivity
    )
    out = []
    for candidate in guarded:
        entry = vocabulary.get(candidate.emoji)
        assert entry is not None
        assert MIN_SCORE <= candidate.score <= 1.0
        out.append((candidate.emoji, entry.tone))
    return out


def test_amusement_ranks_laughter_first(vocabulary: EmojiVocabulary) -> None:
    p = prediction({"amusement": 0.9, "joy": 0.6}, {"joy": 0.95}, {"😂": 0.6})
    ranked = rank(vocabulary, p)
    assert ranked[0][0] == "😂"
    candidate = ReactionRanker(default_like_manifest(), vocabulary).rank(
        p, MoodFusion(default_like_manifest()).fuse(p)
    )[0]
    assert {"emoji-head", "emotion"} <= set(candidate.sources)


def test_grief_gets_no_playful_emoji_even_when_the_emoji_head_laughs(
    vocabulary: EmojiVocabulary,
) -> None:
    p = prediction(
        {"grief": 0.8, "sadness": 0.7}, {"sadness": 0.9, "fear": 0.1}, {"😂": 0.7, "🎄": 0.2}
    )
    topics = (TopicMatch("🐶", 0.7, 0.3, 0.95),)  # "we lost our dog": topical, but not now
    ranked = rank(vocabulary, p, topics)
    assert ranked, "a sad message still gets a condolence candidate"
    assert all(tone in (Tone.WARM, Tone.SOMBER) for _, tone in ranked)
    assert "🐶" not in [e for e, _ in ranked]


def test_anger_drops_playful_emoji(vocabulary: EmojiVocabulary) -> None:
    p = prediction({"anger": 0.8, "annoyance": 0.6}, {"anger": 0.9}, {"😂": 0.5})
    ranked = rank(vocabulary, p)
    assert all(tone is not Tone.PLAYFUL for _, tone in ranked)


def test_neutral_message_gets_at_most_a_thumbs_up(vocabulary: EmojiVocabulary) -> None:
    p = prediction({"neutral": 0.9}, {"joy": 0.5, "surprise": 0.5})
    ranked = rank(vocabulary, p)
    assert [e for e, _ in ranked] in ([], ["👍"])


def test_weak_signals_abstain(vocabulary: EmojiVocabulary) -> None:
    p = prediction({"neutral": 0.3}, {"joy": 0.2, "sadness": 0.2, "anger": 0.2, "fear": 0.2})
    assert rank(vocabulary, p) == []


def test_a_gated_topic_joins_the_ranking(vocabulary: EmojiVocabulary) -> None:
    p = prediction({"admiration": 0.7, "joy": 0.5}, {"joy": 0.9})
    topics = (TopicMatch("🍕", 0.72, 0.25, 0.9),)
    ranked = [e for e, _ in rank(vocabulary, p, topics)]
    assert "🍕" in ranked[:3]


def test_agreeing_signals_reinforce(vocabulary: EmojiVocabulary) -> None:
    manifest = default_like_manifest()
    ranker = ReactionRanker(manifest, vocabulary)
    alone = prediction({"love": 0.9}, {"love": 0.9})
    agreed = prediction({"love": 0.9}, {"love": 0.9}, {"❤": 0.6})
    score_alone = {c.emoji: c.score for c in ranker.rank(alone, MoodFusion(manifest).fuse(alone))}
    score_agreed = {
        c.emoji: c.score for c in ranker.rank(agreed, MoodFusion(manifest).fuse(agreed))
    }
    assert score_agreed["❤️"] > score_alone["❤️"]
