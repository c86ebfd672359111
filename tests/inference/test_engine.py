"""The engine on a real tiny ONNX bundle: meaning, shapes, odd text, by-name outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodmoji.inference.engine import Engine, sigmoid, softmax
from moodmoji.inference.manifest import HeadKind
from moodmoji.inference.settings import EngineSettings, HygieneSettings, SessionSettings
from tests.inference.tiny_bundle import EMOTIONS, TAGS, build_tiny_bundle

ODD_TEXTS = [
    "",
    "   ",
    "x" * 100_000,
    "Z̸̧̛̮̯̙̟͈̜̣͇̻̗̟͍̖̥̞̯̓̇͗̋̍̑̆͐̅̿͂͋͌̕͘͠a̷̢̛̗̟̯͔̯͓̣̺͚̹̞̻̭͈͇̐̆̈́̋͆̈́̄̽̍̌̚͠l̴g̵o",
    "🎉🎉🎉👨‍👩‍👧❤️",
    "Привет мир 你好世界 مرحبا שלום नमस्ते",
    "nul\x00byte\x01\x7f",
    "lone \ud800 surrogate",
    "\u202etext\u202c with bidi",
]


@pytest.fixture(scope="module")
def engine(tiny_bundle: Path) -> Engine:
    return Engine.from_path(tiny_bundle)


def test_predictions_carry_meaning(engine: Engine) -> None:
    happy, sad, scared = engine.predict(
        ["I am so happy today, yay we won!", "my dog died and I cry", "so scared and worried"]
    )
    assert happy["emotion"].predicted == ("joy",)
    assert sad["emotion"].predicted == ("sadness",)
    assert scared["emotion"].predicted == ("fear",)
    assert "excitement" in happy["tags"].predicted
    assert sad["tags"].predicted == ()


def test_head_results_are_well_formed(engine: Engine) -> None:
    (pred,) = engine.predict(["thanks, great party"])
    emotion = pred["emotion"]
    assert emotion.kind is HeadKind.SOFTMAX
    assert sorted(s.label for s in emotion.scores) == sorted(EMOTIONS)
    assert [s.score for s in emotion.scores] == sorted(
        (s.score for s in emotion.scores), reverse=True
    )
    assert sum(s.score for s in emotion.scores) == pytest.approx(1.0, abs=1e-5)
    tags = pred["tags"]
    assert tags.kind is HeadKind.SIGMOID and len(tags.scores) == len(TAGS)
    thresholds = dict(zip(TAGS, engine.manifest.head("tags").thresholds or (), strict=True))
    assert set(tags.predicted) == {s.label for s in tags.scores if s.score >= thresholds[s.label]}
    assert "gratitude" in tags.predicted
    vector = pred["embedding"].embedding
    assert vector is not None and vector.shape == (7,)
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError):
        vector[0] = 1.0  # read-only
    assert pred.tokens == 6 and not pred.truncated  # [CLS] thanks , great party [SEP]


def test_batch_equals_one_by_one(engine: Engine) -> None:
    texts = ["happy", "I hate this stupid meeting at 3pm", "", "sad sad sad", "🎉"]
    batched = engine.predict(texts)
    for text, pred in zip(texts, batched, strict=True):
        single = engine.predict_one(text)
        for head in ("emotion", "tags"):
            for a, b in zip(pred[head].scores, single[head].scores, strict=True):
                assert a.label == b.label
                assert a.score == pytest.approx(b.score, abs=1e-6)


def test_one_run_per_batch(tiny_bundle: Path) -> None:
    engine = Engine.from_path(tiny_bundle)
    engine.predict(["a", "b", "c", "d"])
    engine.predict(["e"])
    assert engine.runs == 2
    assert engine.predict([]) == [] and engine.runs == 2


@pytest.mark.parametrize("text", ODD_TEXTS, ids=range(len(ODD_TEXTS)))
def test_odd_text_never_raises(engine: Engine, text: str) -> None:
    (pred,) = engine.predict([text])
    assert pred["emotion"].predicted[0] in EMOTIONS
    assert all(np.isfinite(s.score) for s in pred["emotion"].scores)


def test_odd_texts_in_one_batch(engine: Engine) -> None:
    preds = engine.predict(ODD_TEXTS)
    assert len(preds) == len(ODD_TEXTS)


def test_truncation_at_max_length(tiny_bundle: Path) -> None:
    engine = Engine.from_path(tiny_bundle)
    (long, short) = engine.predict(["happy " * 50, "happy"])
    assert long.tokens == engine.manifest.max_length and long.truncated
    assert not short.truncated


def test_token_type_ids_are_fed_when_declared(tmp_path: Path) -> None:
    engine = Engine.from_path(build_tiny_bundle(tmp_path / "tt", token_type_ids=True))
    assert engine.predict_one("happy yay")["emotion"].predicted == ("joy",)


def test_hygiene_and_session_settings_apply(tiny_bundle: Path) -> None:
    settings = EngineSettings(
        session=SessionSettings(intra_op_threads=1, graph_optimization="basic"),
        hygiene=HygieneSettings(max_chars=5),
    )
    engine = Engine.from_path(tiny_bundle, settings)
    # Cut to five characters "I am " the sad word falls away: no sadness signal left.
    pred = engine.predict_one("I am sad sad sad")
    assert pred.tokens == 4  # [CLS] i am [SEP]


def test_unavailable_provider_falls_back_to_cpu(tiny_bundle: Path) -> None:
    settings = EngineSettings(session=SessionSettings(providers=("NoSuchExecutionProvider",)))
    engine = Engine.from_path(tiny_bundle, settings)
    assert engine.bundle.session.get_providers() == ["CPUExecutionProvider"]


def test_softmax_and_sigmoid_are_stable() -> None:
    logits = np.array([[1000.0, 0.0, -1000.0]], dtype=np.float32)
    assert np.allclose(softmax(logits), [[1.0, 0.0, 0.0]])
    assert np.allclose(sigmoid(logits), [[1.0, 0.5, 0.0]])


def test_top_k_agrees_with_full_ranking(engine: Engine) -> None:
    result = engine.predict_one("happy but a bit scared and sad")["emotion"]
    full = result.scores
    for k in range(len(EMOTIONS) + 2):
        assert result.top(k) == full[: max(0, k)]
    for item in full:
        assert result.score_of(item.label) == pytest.approx(item.score)
    with pytest.raises(KeyError):
        result.score_of("glee")
    assert result.probabilities is not None and not result.probabilities.flags.writeable


def test_an_fp32_graph_runs_batches_whole(tiny_bundle: Path) -> None:
    from moodmoji.inference.session import batch_coupled

    assert not batch_coupled(tiny_bundle / "model.onnx")
    assert not Engine.from_path(tiny_bundle).bundle.row_wise


def test_batch_coupling_is_found_across_read_chunks(tmp_path: Path) -> None:
    from moodmoji.inference import session

    graph = tmp_path / "model.onnx"
    op = b"DynamicQuantizeLinear"
    graph.write_bytes(b"\x00" * (session._SCAN_CHUNK - 7) + op + b"\x00" * 100)
    assert session.batch_coupled(graph)
    graph.write_bytes(b"\x00" * (session._SCAN_CHUNK * 2))
    assert not session.batch_coupled(graph)
    assert not session.batch_coupled(tmp_path / "absent.onnx")


def test_a_row_wise_engine_counts_one_run_per_call(tiny_bundle: Path) -> None:
    import dataclasses

    from moodmoji.inference.bundle import ModelBundle

    engine = Engine(dataclasses.replace(ModelBundle.load(tiny_bundle), row_wise=True))
    batched = engine.predict(["happy", "sad and scared", ""])
    assert engine.runs == 1
    whole = Engine.from_path(tiny_bundle).predict(["happy", "sad and scared", ""])
    for a, b in zip(batched, whole, strict=True):
        assert a.tokens == b.tokens
        for name in a.heads:
            left, right = a[name], b[name]
            if left.probabilities is not None:
                assert np.allclose(left.probabilities, right.probabilities, atol=1e-5)


@pytest.mark.parametrize("parallel_runs", [1, 2, 4])
def test_parallel_bucketed_runs_give_every_text_its_own_answer(
    tiny_bundle: Path, parallel_runs: int
) -> None:
    from moodmoji.inference.buckets import BucketSettings

    texts = ["happy " * n + "sad" * (n % 3) for n in range(1, 40)] + ["", "🎉", "sad sad sad"]
    settings = EngineSettings(
        buckets=BucketSettings(max_rows=4, max_padding=0.1), parallel_runs=parallel_runs
    )
    engine = Engine.from_path(tiny_bundle, settings)
    assert engine.parallel_runs == parallel_runs
    batched = engine.predict(texts)
    assert engine.runs == 1
    reference = Engine.from_path(tiny_bundle, EngineSettings(parallel_runs=1))
    for text, pred in zip(texts, batched, strict=True):
        (alone,) = reference.predict([text])
        assert pred.tokens == alone.tokens
        for name in pred.heads:
            if pred[name].probabilities is not None:
                np.testing.assert_allclose(
                    pred[name].probabilities, alone[name].probabilities, atol=1e-6
                )


def test_default_parallel_runs_is_one_per_cpu(tiny_bundle: Path) -> None:
    import os

    assert Engine.from_path(tiny_bundle).parallel_runs == (os.cpu_count() or 1)
