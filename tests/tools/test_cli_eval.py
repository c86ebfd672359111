"""``moodmoji eval`` as a real subprocess on real exported (tiny) bundles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moodmoji.inference.datasets import read_dataset
from moodmoji.inference.engine import Engine
from moodmoji.inference.evaluation import evaluate
from moodmoji.inference.export import export_checkpoint
from tests.inference.export.checkpoints import (
    CHAT_TEXTS,
    EMOTION_LABELS,
    build_distilbert_emotion,
    build_emoticare,
)
from tests.tools.test_cli import moodmoji

TEXTS = (*CHAT_TEXTS, *(f"{text} tbh" for text in CHAT_TEXTS))


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-eval")


@pytest.fixture(scope="module")
def emotion_bundle(root: Path) -> Path:
    built = build_distilbert_emotion(root / "emotion-checkpoint")
    return export_checkpoint(built.path, root / "emotion-bundle", labels=EMOTION_LABELS).output


@pytest.fixture(scope="module")
def goemotions_bundle(root: Path) -> Path:
    built = build_emoticare(root / "emoticare-checkpoint")
    return export_checkpoint(built.path, root / "emoticare-bundle").output


@pytest.fixture(scope="module")
def emotion_file(root: Path) -> Path:
    path = root / "val.txt"
    rows = [f"{text};{EMOTION_LABELS[i % 6]}" for i, text in enumerate(TEXTS)]
    path.write_text("text;label_name\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def goemotions_file(root: Path) -> Path:
    path = root / "dev.tsv"
    rows = [f"{text}\t{i % 28},{(i + 9) % 28}\tid{i}" for i, text in enumerate(TEXTS)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def last_json(stdout: str) -> dict[str, object]:
    result: dict[str, object] = json.loads(stdout.strip().splitlines()[-1])
    return result


def assert_one_line_error(stderr: str) -> str:
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("moodmoji: error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def test_eval_single_label(tmp_path: Path, emotion_bundle: Path, emotion_file: Path) -> None:
    result = moodmoji(
        "eval", "emotion", str(emotion_file), "--model", str(emotion_bundle), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    out = last_json(result.stdout)
    assert list(out) == ["task", "n", "accuracy", "macro_f1", "top3_accuracy"]
    assert out["task"] == "emotion" and out["n"] == len(TEXTS)
    expected = evaluate(Engine.from_path(emotion_bundle), read_dataset("emotion", emotion_file))
    assert out == {"task": "emotion", **expected.as_dict()}
    assert "eval emotion" in result.stderr
    assert f"{len(TEXTS)}/{len(TEXTS)}" in result.stderr  # the progress bar ran to the end
    assert "Traceback" not in result.stderr


def test_eval_multi_label(tmp_path: Path, goemotions_bundle: Path, goemotions_file: Path) -> None:
    result = moodmoji(
        "eval", "goemotions", str(goemotions_file), "--model", str(goemotions_bundle), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    out = last_json(result.stdout)
    assert list(out) == ["task", "n", "accuracy", "macro_f1", "micro_f1"]
    expected = evaluate(
        Engine.from_path(goemotions_bundle), read_dataset("goemotions", goemotions_file)
    )
    assert out == {"task": "goemotions", **expected.as_dict()}
    assert "eval goemotions" in result.stderr


def test_eval_missing_dataset_file(tmp_path: Path, emotion_bundle: Path) -> None:
    missing = tmp_path / "nope.txt"
    result = moodmoji("eval", "emotion", str(missing), "--model", str(emotion_bundle), cwd=tmp_path)
    assert result.returncode == 1
    assert assert_one_line_error(result.stderr) == f"moodmoji: error: {missing}: file not found"
    assert result.stdout == ""


def test_eval_malformed_dataset_names_file_and_line(tmp_path: Path, emotion_bundle: Path) -> None:
    path = tmp_path / "val.txt"
    path.write_text("text;label_name\nok;joy\nhmm;happiness\n", encoding="utf-8")
    result = moodmoji("eval", "emotion", str(path), "--model", str(emotion_bundle), cwd=tmp_path)
    assert result.returncode == 1
    line = assert_one_line_error(result.stderr)
    assert line == f"moodmoji: error: {path}: line 3: unknown label 'happiness'"


def test_eval_missing_model(tmp_path: Path, emotion_file: Path) -> None:
    missing = tmp_path / "no-bundle"
    result = moodmoji("eval", "emotion", str(emotion_file), "--model", str(missing), cwd=tmp_path)
    assert result.returncode == 1
    assert str(missing) in assert_one_line_error(result.stderr)


def test_eval_unknown_task(tmp_path: Path, emotion_bundle: Path, emotion_file: Path) -> None:
    result = moodmoji(
        "eval", "sst2", str(emotion_file), "--model", str(emotion_bundle), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "sst2" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_eval_bundle_without_a_matching_head(
    tmp_path: Path, emotion_bundle: Path, goemotions_file: Path
) -> None:
    result = moodmoji(
        "eval", "goemotions", str(goemotions_file), "--model", str(emotion_bundle), cwd=tmp_path
    )
    assert result.returncode == 1
    line = assert_one_line_error(result.stderr)
    assert "no head whose labels cover the goemotions labels" in line
    assert "emotion (6 labels)" in line
    assert result.stdout == ""
