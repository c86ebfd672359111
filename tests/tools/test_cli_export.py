"""``moodmoji export`` end to end: a tiny checkpoint in, a bundle that ``analyze`` runs, out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.inference.export.checkpoints import (
    EMOTION_LABELS,
    Built,
    build_bertmoji,
    build_distilbert_emotion,
)
from tests.tools.test_cli import lines, moodmoji


@pytest.fixture(scope="module")
def distilbert(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_distilbert_emotion(tmp_path_factory.mktemp("ckpt") / "distilbert-emotion")


def test_export_then_analyze(tmp_path: Path, distilbert: Built) -> None:
    out = tmp_path / "bundle"
    result = moodmoji(
        "export", str(distilbert.path), str(out), "--labels", ",".join(EMOTION_LABELS), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["heads"][0]["labels"] == list(EMOTION_LABELS)
    analyzed = moodmoji("analyze", "--model", str(out), "--top", "6", "hello 👋", cwd=tmp_path)
    assert analyzed.returncode == 0, analyzed.stderr
    (obj,) = lines(analyzed.stdout)
    (head,) = obj["heads"].values()  # type: ignore[union-attr]
    assert sorted(item["label"] for item in head) == sorted(EMOTION_LABELS)


def test_export_generic_labels_need_labels_option(tmp_path: Path, distilbert: Built) -> None:
    result = moodmoji("export", str(distilbert.path), str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 1
    assert "LABEL_" in result.stderr and "--labels" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "model.onnx").exists()


def test_export_wrong_label_count(tmp_path: Path, distilbert: Built) -> None:
    result = moodmoji(
        "export", str(distilbert.path), str(tmp_path / "out"), "--labels", "a,b", cwd=tmp_path
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("moodmoji: error: --labels")
    assert "Traceback" not in result.stderr


def test_export_missing_source(tmp_path: Path) -> None:
    result = moodmoji("export", str(tmp_path / "nothing"), str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 1
    assert str(tmp_path / "nothing") in result.stderr and "Traceback" not in result.stderr


def test_bertmoji_int8_export_gives_emoji_labels(tmp_path: Path) -> None:
    built = build_bertmoji(tmp_path / "bertmoji", with_config=False)
    out = tmp_path / "bertmoji-bundle"
    result = moodmoji("export", str(built.path), str(out), "--int8", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["max_length"] == 96
    assert manifest["inputs"] == ["input_ids", "attention_mask"]
    (head,) = manifest["heads"]
    assert head["name"] == "emoji" and len(head["labels"]) == 250
    assert "🍕" in head["labels"]  # "pizza_emoji" in emoji_mappings.json
    analyzed = moodmoji("analyze", "--model", str(out), "pizza tonight?", cwd=tmp_path)
    assert analyzed.returncode == 0, analyzed.stderr
    (obj,) = lines(analyzed.stdout)
    assert all(item["label"] in head["labels"] for item in obj["heads"]["emoji"])  # type: ignore[index]
