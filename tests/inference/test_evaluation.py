"""Head matching and ``evaluate`` on real exported (tiny) bundles, checked against the engine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from moodmoji.inference.datasets import EMOTION, GOEMOTIONS, TWEETEVAL, Dataset, read_dataset
from moodmoji.inference.engine import Engine
from moodmoji.inference.errors import InferenceError
from moodmoji.inference.evaluation import EVAL_BATCH, match_head
from moodmoji.inference.evaluation import evaluate as evaluate_bundle
from moodmoji.inference.export import export_checkpoint
from moodmoji.inference.manifest import HeadKind, HeadSpec, Manifest
from moodmoji.inference.metrics import multi_label_scores, single_label_scores
from moodmoji.inference.results import Prediction
from tests.inference.export.checkpoints import (
    CHAT_TEXTS,
    EMOTION_LABELS,
    build_distilbert_emotion,
    build_emoticare,
)

TEXTS = (*CHAT_TEXTS, *(f"{text} {tail}" for text in CHAT_TEXTS for tail in ("!!", "tbh")))
"""66 texts of varied length: more than two evaluation batches."""


def manifest(*heads: HeadSpec, name: str = "m") -> Manifest:
    return Manifest(name=name, inputs=("input_ids",), max_length=16, heads=heads)


def softmax_head(name: str, labels: tuple[str, ...]) -> HeadSpec:
    return HeadSpec(name=name, output=name, kind=HeadKind.SOFTMAX, labels=labels)


EMBEDDING = HeadSpec(name="embedding", output="embedding", kind=HeadKind.EMBEDDING)


# --- match_head ---------------------------------------------------------------------------


def test_match_by_name_wins_over_manifest_order() -> None:
    other = softmax_head("mood", EMOTION_LABELS)
    named = softmax_head("emotion", (*EMOTION_LABELS, "neutral"))
    match = match_head(manifest(EMBEDDING, other, named), EMOTION)
    assert match.head is named
    assert match.columns == tuple(range(6))


def test_match_by_covering_labels_in_another_order_and_case() -> None:
    labels = ("Neutral", "SURPRISE", "Fear", "anger", "Love", "joy", "Sadness")
    too_few = softmax_head("first", EMOTION_LABELS[:5])
    head = softmax_head("feelings", labels)
    match = match_head(manifest(too_few, head), EMOTION)
    assert match.head is head
    assert [labels[c].lower() for c in match.columns] == list(EMOTION_LABELS)


def test_match_ignores_emoji_variation_selectors() -> None:
    # the head spells ❤ and ☀ with U+FE0F, the task without; 🇺🇸 has none either way
    shuffled = list(reversed(TWEETEVAL.labels))
    selected = [label + "\ufe0f" if label in ("❤", "☀") else label for label in shuffled]
    head_labels = (*selected, "🍕", "🐶")
    head = softmax_head("emoji", head_labels)
    match = match_head(manifest(head, EMBEDDING), TWEETEVAL)
    assert match.head is head
    assert [head_labels[c].replace("\ufe0f", "") for c in match.columns] == list(TWEETEVAL.labels)


def test_sigmoid_head_matches_goemotions() -> None:
    labels = tuple(reversed(GOEMOTIONS.labels))
    head = HeadSpec(
        name="tags", output="t", kind=HeadKind.SIGMOID, labels=labels, thresholds=(0.3,) * 28
    )
    match = match_head(manifest(head), GOEMOTIONS)
    assert match.columns == tuple(range(27, -1, -1))


def test_no_covering_head_names_model_task_and_heads() -> None:
    model = manifest(softmax_head("emotion", EMOTION_LABELS[:5]), EMBEDDING, name="tiny-mood")
    with pytest.raises(InferenceError) as caught:
        match_head(model, EMOTION)
    message = str(caught.value)
    assert "'tiny-mood'" in message
    assert "emotion labels" in message
    assert "emotion (5 labels)" in message
    assert "embedding" not in message.split("its heads:")[1]  # embeddings are never candidates


def test_embedding_only_bundle_has_no_heads_to_offer() -> None:
    with pytest.raises(InferenceError, match=r"its heads: none"):
        match_head(manifest(EMBEDDING), GOEMOTIONS)


# --- evaluate on real bundles ---------------------------------------------------------------


def probabilities_of(predictions: list[Prediction], head: str) -> npt.NDArray[np.float32]:
    rows = []
    for prediction in predictions:
        row = prediction[head].probabilities
        assert row is not None
        rows.append(row)
    return np.stack(rows)


def write_emotion(path: Path, texts: tuple[str, ...]) -> Dataset:
    rows = [f"{text};{EMOTION_LABELS[i % 6]}" for i, text in enumerate(texts)]
    path.write_text("text;label_name\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return read_dataset("emotion", path)


def write_goemotions(path: Path, texts: tuple[str, ...]) -> Dataset:
    rows = [f"{text}\t{i % 28},{(i * 7 + 3) % 28}\tc{i}" for i, text in enumerate(texts)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return read_dataset("goemotions", path)


@pytest.fixture(scope="module")
def emotion_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("evaluation")
    built = build_distilbert_emotion(root / "checkpoint")
    return export_checkpoint(built.path, root / "bundle", labels=EMOTION_LABELS).output


@pytest.fixture(scope="module")
def emoticare_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("evaluation-goemotions")
    built = build_emoticare(root / "checkpoint")
    return export_checkpoint(built.path, root / "bundle").output


def relabelled(bundle: Path, out: Path, **head: Any) -> Path:
    """A copy of a one-head bundle whose head entry is updated with ``head``."""
    shutil.copytree(bundle, out)
    raw = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    raw["heads"][0].update(head)
    (out / "manifest.json").write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return out


def test_evaluate_single_label_matches_engine(tmp_path: Path, emotion_bundle: Path) -> None:
    engine = Engine.from_path(emotion_bundle)
    dataset = write_emotion(tmp_path / "val.txt", TEXTS)
    done: list[int] = []
    scores = evaluate_bundle(engine, dataset, done.append)

    predictions = engine.predict(dataset.texts)
    probabilities = probabilities_of(predictions, "emotion")
    gold = np.array([e.labels[0] for e in dataset.examples])
    expected = single_label_scores(probabilities, gold)
    assert scores.as_dict() == expected.as_dict()
    assert scores.accuracy == pytest.approx(
        np.mean(
            [
                p["emotion"].predicted[0] == EMOTION_LABELS[g]
                for p, g in zip(predictions, gold, strict=True)
            ]
        )
    )
    assert scores.micro_f1 is None and scores.top3_accuracy is not None
    assert sum(done) == len(TEXTS) and len(done) == -(-len(TEXTS) // EVAL_BATCH)
    assert len({p["emotion"].predicted for p in predictions}) > 1  # not a constant model


def test_evaluate_maps_columns_by_label(tmp_path: Path, emotion_bundle: Path) -> None:
    order = [5, 3, 0, 4, 1, 2]
    labels = [EMOTION_LABELS[i].upper() for i in order]  # column j now means label order[j]
    bundle = relabelled(
        emotion_bundle, tmp_path / "b", name="feelings", labels=labels, mood={}, emoji={}
    )
    engine = Engine.from_path(bundle)
    dataset = write_emotion(tmp_path / "val.txt", TEXTS[:40])
    scores = evaluate_bundle(engine, dataset)

    raw = probabilities_of(engine.predict(dataset.texts), "feelings")
    in_task_order = np.zeros_like(raw)
    in_task_order[:, order] = raw
    gold = np.array([e.labels[0] for e in dataset.examples])
    assert scores == single_label_scores(in_task_order, gold)
    assert scores != single_label_scores(raw, gold)  # the mapping mattered


def test_evaluate_multi_label_uses_the_heads_thresholds(
    tmp_path: Path, emoticare_bundle: Path
) -> None:
    engine = Engine.from_path(emoticare_bundle)
    dataset = write_goemotions(tmp_path / "dev.tsv", TEXTS)
    scores = evaluate_bundle(engine, dataset)

    head = engine.manifest.head("goemotions")
    assert head.kind is HeadKind.SIGMOID
    predicted = np.zeros((len(dataset), 28), dtype=bool)
    gold = np.zeros_like(predicted)
    for row, (prediction, example) in enumerate(
        zip(engine.predict(dataset.texts), dataset.examples, strict=True)
    ):
        predicted[row, [GOEMOTIONS.labels.index(x) for x in prediction["goemotions"].predicted]] = (
            True
        )
        gold[row, list(example.labels)] = True
    assert predicted.any() and not predicted.all()
    assert scores == multi_label_scores(predicted, gold)
    assert scores.micro_f1 is not None and scores.top3_accuracy is None


def test_evaluate_multi_label_on_a_softmax_head(tmp_path: Path, emoticare_bundle: Path) -> None:
    bundle = relabelled(emoticare_bundle, tmp_path / "b", kind="softmax", thresholds=None)
    engine = Engine.from_path(bundle)
    dataset = write_goemotions(tmp_path / "dev.tsv", TEXTS[:30])
    scores = evaluate_bundle(engine, dataset)
    predicted = np.zeros((len(dataset), 28), dtype=bool)
    gold = np.zeros_like(predicted)
    for row, (prediction, example) in enumerate(
        zip(engine.predict(dataset.texts), dataset.examples, strict=True)
    ):
        (top,) = prediction["goemotions"].predicted  # the arg-max, one label per text
        predicted[row, GOEMOTIONS.labels.index(top)] = True
        gold[row, list(example.labels)] = True
    assert scores == multi_label_scores(predicted, gold)


def test_evaluate_without_a_matching_head(tmp_path: Path, emotion_bundle: Path) -> None:
    engine = Engine.from_path(emotion_bundle)
    dataset = write_goemotions(tmp_path / "dev.tsv", TEXTS[:3])
    with pytest.raises(InferenceError, match=r"no head whose labels cover the goemotions labels"):
        evaluate_bundle(engine, dataset)
