"""Labels, emoji names, moods, thresholds and the written manifests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from moodmoji.inference.errors import ExportError
from moodmoji.inference.export import export_checkpoint
from moodmoji.inference.export.labels import (
    build_head,
    final_labels,
    head_name,
    is_generic,
    mood_map,
    parse_labels_option,
    resolve_emoji,
)
from moodmoji.inference.manifest import HeadKind, read_manifest
from tests.inference.export.checkpoints import (
    BERT_EMOTION_LABELS,
    EMOTION_LABELS,
    GOEMOTIONS_LABELS,
    NAMED_EMOJI,
)
from tests.inference.export.conftest import Bundles, Checkpoints

# --- unit -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("pizza_emoji", "🍕"),
        (":dog:", "🐶"),
        ("red_heart", "❤️"),
        ("heart", "❤️"),
        (":face_with_tears_of_joy:", "😂"),
        ("Thumbs Up", "👍"),
        ("😂", "😂"),
        ("👍🏽", "👍🏽"),
        ("definitely_not_an_emoji", None),
        ("", None),
    ],
)
def test_resolve_emoji(value: str, expected: str | None) -> None:
    assert resolve_emoji(value) == expected


def test_generic_labels_are_replaced_by_given_ones() -> None:
    found = tuple(f"LABEL_{i}" for i in range(6))
    assert is_generic(found)
    assert final_labels(found, EMOTION_LABELS, found_in=Path("config.json")) == EMOTION_LABELS


def test_generic_labels_without_given_ones_are_an_error() -> None:
    found = tuple(f"LABEL_{i}" for i in range(6))
    with pytest.raises(ExportError, match=r"config\.json.*--labels with 6 names"):
        final_labels(found, None, found_in=Path("ckpt/config.json"))


def test_given_labels_override_named_ones() -> None:
    given = ("Sad", "Happy", "Loving", "Angry", "Scared", "Surprised")
    assert final_labels(EMOTION_LABELS, given, found_in=Path("config.json")) == given


def test_wrong_label_count_is_an_error() -> None:
    with pytest.raises(ExportError, match=r"^--labels: 5 labels given but the model has 6"):
        final_labels(EMOTION_LABELS, EMOTION_LABELS[:5], found_in=Path("config.json"))


def test_repeated_label_is_an_error() -> None:
    with pytest.raises(ExportError, match=r"^--labels: label 'joy' appears more than once"):
        final_labels(EMOTION_LABELS, ("joy",) * 6, found_in=Path("config.json"))


def test_parse_labels_option() -> None:
    assert parse_labels_option(" a, b ,c") == ("a", "b", "c")
    with pytest.raises(ExportError, match=r"^--labels"):
        parse_labels_option("a,,c")


def test_head_names() -> None:
    assert head_name(GOEMOTIONS_LABELS) == "goemotions"
    assert head_name(EMOTION_LABELS) == "emotion"
    assert head_name(tuple(label.title() for label in EMOTION_LABELS)) == "emotion"
    assert head_name(BERT_EMOTION_LABELS) == "labels"


def test_moods_of_bert_emotion_labels() -> None:
    moods = mood_map(BERT_EMOTION_LABELS)
    assert moods["Happiness"] == "joy"
    assert moods["Sadness"] == "sadness"
    assert moods["Neutral"] == "neutral"
    assert moods["Confusion"] == "surprise"
    assert "Sarcasm" not in moods


def test_moods_cover_goemotions() -> None:
    moods = mood_map(GOEMOTIONS_LABELS)
    assert set(moods) == set(GOEMOTIONS_LABELS)
    assert moods["annoyance"] == "anger"
    assert moods["caring"] == "love"
    assert moods["nervousness"] == "fear"
    assert moods["realization"] == "surprise"
    assert moods["remorse"] == "sadness"
    assert set(moods.values()) <= {
        "joy",
        "love",
        "sadness",
        "anger",
        "fear",
        "surprise",
        "disgust",
        "neutral",
    }


def test_multi_label_head_is_sigmoid_with_default_threshold() -> None:
    head = build_head(name="goemotions", labels=GOEMOTIONS_LABELS, multi_label=True, threshold=None)
    assert head.kind is HeadKind.SIGMOID
    assert head.thresholds == (0.3,) * 28


def test_threshold_option() -> None:
    head = build_head(name="x", labels=("a", "b"), multi_label=True, threshold=0.5)
    assert head.thresholds == (0.5, 0.5)
    with pytest.raises(ExportError, match=r"^--threshold"):
        build_head(name="x", labels=("a", "b"), multi_label=True, threshold=1.5)
    with pytest.raises(ExportError, match=r"^--threshold: only multi-label"):
        build_head(name="x", labels=("a", "b"), multi_label=False, threshold=0.5)


# --- exported bundles -----------------------------------------------------------------------


@pytest.mark.slow
def test_distilbert_generic_labels_need_labels_option(
    checkpoints: Checkpoints, tmp_path: Path
) -> None:
    built = checkpoints.get("distilbert-emotion")
    with pytest.raises(ExportError, match=r"config\.json: id2label holds generic names"):
        export_checkpoint(built.path, tmp_path / "out")
    with pytest.raises(ExportError, match=r"^--labels: 5 labels given but the model has 6"):
        export_checkpoint(built.path, tmp_path / "out", labels=EMOTION_LABELS[:5])
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_distilbert_emotion_manifest(bundles: Bundles) -> None:
    report = bundles.get("distilbert-emotion")
    manifest = read_manifest(report.output / "manifest.json")
    (head,) = manifest.heads
    assert head.name == "emotion"
    assert head.kind is HeadKind.SOFTMAX
    assert head.labels == EMOTION_LABELS
    assert head.thresholds is None
    assert head.mood == {label: label for label in EMOTION_LABELS}
    assert manifest.inputs == ("input_ids", "attention_mask")
    assert manifest.max_length == 512
    assert manifest.provenance["exporter"] == "moodmoji export"
    assert manifest.provenance["model_type"] == "distilbert"
    assert manifest.provenance["quantization"] is None


@pytest.mark.slow
def test_bert_emotion13_manifest(bundles: Bundles) -> None:
    manifest = read_manifest(bundles.get("bert-emotion13").output / "manifest.json")
    (head,) = manifest.heads
    assert head.name == "labels"
    assert head.labels == BERT_EMOTION_LABELS
    assert head.mood["Happiness"] == "joy"
    assert manifest.inputs == ("input_ids", "attention_mask", "token_type_ids")


@pytest.mark.slow
def test_emoticare_manifest_is_multi_label(bundles: Bundles) -> None:
    manifest = read_manifest(bundles.get("emoticare").output / "manifest.json")
    (head,) = manifest.heads
    assert head.name == "goemotions"
    assert head.kind is HeadKind.SIGMOID
    assert head.thresholds == (0.3,) * 28
    assert head.labels == GOEMOTIONS_LABELS
    assert manifest.provenance["licence"] == "mit"


@pytest.mark.slow
def test_emoticare_threshold_option(checkpoints: Checkpoints, tmp_path: Path) -> None:
    report = export_checkpoint(checkpoints.get("emoticare").path, tmp_path / "b", threshold=0.4)
    head = read_manifest(report.output / "manifest.json").heads[0]
    assert head.thresholds == (0.4,) * 28


@pytest.mark.slow
def test_bertmoji_manifest(checkpoints: Checkpoints, bundles: Bundles) -> None:
    built = checkpoints.get("bertmoji")
    manifest = read_manifest(bundles.get("bertmoji").output / "manifest.json")
    (head,) = manifest.heads
    assert head.name == "emoji"
    assert head.kind is HeadKind.SOFTMAX
    assert len(head.labels) == 250
    assert head.labels == built.labels
    assert head.labels[: len(NAMED_EMOJI)] == tuple(NAMED_EMOJI.values())
    assert head.emoji == {label: label for label in head.labels}
    assert manifest.max_length == 96
    assert manifest.inputs == ("input_ids", "attention_mask")
    assert manifest.provenance["architecture"] == "BertMoji"


@pytest.mark.slow
def test_bundles_load_in_the_engine(bundles: Bundles) -> None:
    bundle = pytest.importorskip("moodmoji.inference.bundle")
    for name in ("bertmoji", "emoticare", "bert-cased-emotion"):
        loaded = bundle.ModelBundle.load(bundles.get(name).output)
        assert loaded.manifest.heads[0].output == "logits"


def test_unresolvable_emoji_name_names_the_file(checkpoints: Checkpoints, tmp_path: Path) -> None:
    src = tmp_path / "bertmoji"
    shutil.copytree(checkpoints.get("bertmoji-noconfig").path, src)
    mappings = src / "emoji_mappings.json"
    raw = json.loads(mappings.read_text(encoding="utf-8"))
    raw["id_to_emoji"]["7"] = "definitely_not_an_emoji"
    mappings.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(
        ExportError,
        match=r"emoji_mappings\.json: cannot resolve emoji name 'definitely_not_an_emoji'",
    ):
        export_checkpoint(src, tmp_path / "out")


def test_duplicate_emoji_is_an_error(checkpoints: Checkpoints, tmp_path: Path) -> None:
    src = tmp_path / "bertmoji"
    shutil.copytree(checkpoints.get("bertmoji-noconfig").path, src)
    mappings = src / "emoji_mappings.json"
    raw = json.loads(mappings.read_text(encoding="utf-8"))
    raw["id_to_emoji"]["9"] = "🍕"
    mappings.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ExportError, match=r"emoji_mappings\.json: ids 0 and 9 both resolve"):
        export_checkpoint(src, tmp_path / "out")
