"""The embedded default model as shipped: loading, shapes, thresholds, determinism, sanity."""

from __future__ import annotations

import numpy as np
import pytest

from moodmoji.inference.analyzer import Analyzer
from moodmoji.inference.datasets import EMOTION_LABELS, GOEMOTIONS_LABELS, TWEETEVAL_EMOJI
from moodmoji.inference.default_model import DEFAULT_MODEL_DIR, resolve_model_dir
from moodmoji.inference.engine import Engine
from moodmoji.inference.manifest import HeadKind, HeadRole
from moodmoji.inference.topics import GATE_FILE
from moodmoji.inference.vocabulary import EmojiVocabulary, Tone

MAX_BUNDLE_BYTES = 30 * 1024 * 1024
PLAYFUL_OR_PARTY = {"😂", "🤣", "😆", "😜", "🎉", "🥳", "🎊", "🤡", "😹"}


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer.from_engine(Engine.from_path(resolve_model_dir(None)))


def test_default_bundle_is_complete_and_small() -> None:
    assert resolve_model_dir(None) == DEFAULT_MODEL_DIR
    model = DEFAULT_MODEL_DIR / "model.onnx"
    assert model.stat().st_size <= MAX_BUNDLE_BYTES
    for name in ("tokenizer.json", "manifest.json", "MODEL_CARD.md", GATE_FILE):
        assert (DEFAULT_MODEL_DIR / name).is_file(), name


def test_manifest_heads_and_provenance(analyzer: Analyzer) -> None:
    manifest = analyzer.engine.manifest
    heads = {h.name: h for h in manifest.heads}
    assert heads["goemotions"].kind is HeadKind.SIGMOID
    assert heads["goemotions"].labels == GOEMOTIONS_LABELS
    thresholds = heads["goemotions"].thresholds
    assert thresholds is not None and len(thresholds) == 28 and len(set(thresholds)) > 1
    assert heads["emotion"].labels == EMOTION_LABELS
    assert heads["emoji"].labels == TWEETEVAL_EMOJI
    assert heads["embedding"].kind is HeadKind.EMBEDDING
    assert "all-MiniLM-L6-v2" in manifest.provenance["source"]
    assert {d["task"] for d in manifest.provenance["data"]} == {
        "goemotions",
        "emotion",
        "tweeteval-emoji",
        "facebook",
        "reaction, trigger, intent, mood",
    }
    quantization = manifest.provenance["quantization"]
    assert "int8" in quantization["method"]
    assert quantization["fused"]["MultiHeadAttention"] == 6
    assert set(manifest.metrics["dev"]) == {
        "goemotions",
        "emotion",
        "tweeteval-emoji",
        "facebook",
        "reaction",
        "trigger",
        "intent",
        "mood",
    }
    # the response model's heads, by role, and emoji spelled out before tokenizing
    assert {h.role for h in manifest.heads if h.role is not None} == set(HeadRole)
    assert [str(step) for step in manifest.text_steps] == ["emoji-names"]


def test_output_shapes_and_threshold_use(analyzer: Analyzer) -> None:
    texts = ["thank you so much, this is wonderful", "", "🍕🍕🍕", "so many words " * 400]
    predictions = analyzer.engine.predict(texts)
    goemotions = analyzer.engine.manifest.head("goemotions")
    assert goemotions.thresholds is not None
    cuts = np.asarray(goemotions.thresholds)
    for prediction in predictions:
        ge = prediction["goemotions"]
        assert ge.probabilities is not None and ge.probabilities.shape == (28,)
        decided = {GOEMOTIONS_LABELS[i] for i in np.flatnonzero(ge.probabilities >= cuts)}
        assert set(ge.predicted) == decided
        emotion = prediction["emotion"].probabilities
        assert emotion is not None and emotion.shape == (6,)
        assert float(emotion.sum()) == pytest.approx(1.0, abs=1e-4)
        vector = prediction["embedding"].embedding
        assert vector is not None and vector.shape == (384,)
        assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-4)
    assert "gratitude" in predictions[0]["goemotions"].predicted
    assert predictions[3].truncated


def test_predictions_are_deterministic(analyzer: Analyzer) -> None:
    texts = ["I can't believe we won the final!!", "the bus is late again"]
    first = analyzer.engine.predict(texts)
    again = analyzer.engine.predict(list(reversed(texts)))[::-1]
    for a, b in zip(first, again, strict=True):
        for head in ("goemotions", "emotion", "emoji"):
            np.testing.assert_allclose(
                a[head].probabilities, b[head].probabilities, rtol=0, atol=1e-5
            )


def test_pizza_message_gets_a_food_reaction_in_its_top_three(analyzer: Analyzer) -> None:
    (analysis,) = analyzer.analyze(["This pizza is absolutely incredible"])
    assert {"🍕", "😋", "🤤", "😍"} & {r.emoji for r in analysis.reactions[:3]}
    assert analysis.mood in ("joy", "love")


@pytest.mark.parametrize(
    "text",
    [
        "My grandmother passed away last night.",
        "We had to put our dog down this morning, I can't stop crying",
        "rest in peace dad, I miss you every day",
    ],
)
def test_bereavement_gets_sadness_and_no_playful_emoji(analyzer: Analyzer, text: str) -> None:
    vocabulary = EmojiVocabulary.load()
    (analysis,) = analyzer.analyze([text])
    assert analysis.mood == "sadness"
    for reaction in analysis.reactions:
        entry = vocabulary.get(reaction.emoji)
        assert entry is not None and entry.tone is not Tone.PLAYFUL
        assert reaction.emoji not in PLAYFUL_OR_PARTY


def test_clear_moods(analyzer: Analyzer) -> None:
    texts = {
        "I am so furious with them, this is outrageous": "anger",
        "I'm terrified of what the test results will show": "fear",
        "we won!!! best day ever": "joy",
        "I love you so much, you mean the world to me": "love",
    }
    analyses = analyzer.analyze(list(texts))
    assert [a.mood for a in analyses] == list(texts.values())


def test_logistics_message_stays_quiet(analyzer: Analyzer) -> None:
    (analysis,) = analyzer.analyze(["The meeting moved to 3pm"])
    assert [r.emoji for r in analysis.reactions[:1]] in ([], ["👍"])


@pytest.mark.parametrize(
    "text",
    ["", " ", "😂😂😂", "Z̷̢̛a̸͎͝l̵̰̓g̶̱̈o̸̜͝", "日本語のテキストです", "x" * 100_000, "\x00\u200b\ufeff"],
)
def test_odd_text_never_raises(analyzer: Analyzer, text: str) -> None:
    (analysis,) = analyzer.analyze([text])
    assert analysis.moods


def test_a_text_gets_the_same_prediction_whatever_its_batch(analyzer: Analyzer) -> None:
    # static int8 fixes activation scales in the graph; dynamic int8 (the response model's)
    # scales per run, so the engine runs its texts one by one: either way a text's result
    # never depends on its batch-mates
    engine = analyzer.engine
    text = "Running about 15 minutes late, sorry, traffic is bad"
    alone = engine.predict([text])[0]
    companies = [
        [text, "x " * 400],
        ["My grandmother passed away last night", text, "🎉🎉🎉"],
        [text] * 3,
    ]
    for batch in companies:
        inside = engine.predict(batch)[batch.index(text)]
        for name, result in alone.heads.items():
            other = inside[name]
            got = other.probabilities if other.probabilities is not None else other.embedding
            want = result.probabilities if result.probabilities is not None else result.embedding
            # padding changes float rounding in the last bits only
            np.testing.assert_allclose(got, want, atol=1e-6, err_msg=name)
