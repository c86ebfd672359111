"""``moodmoji train`` end to end as a real subprocess, then ``moodmoji eval`` on its bundle."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from moodmoji.inference.datasets import TASKS
from moodmoji.inference.engine import Engine
from moodmoji.inference.manifest import TextStep, read_manifest
from tests.inference.training.conftest import build_tiny_encoder, write_tiny_data
from tests.tools.test_cli import moodmoji

LIMIT = 20


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-train")


@pytest.fixture(scope="module")
def run(root: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One ``moodmoji train`` run of 3 steps on 20 examples per split; returns it and ``--out``."""
    encoder = build_tiny_encoder(root / "encoder")
    data = write_tiny_data(root / "data")
    out = root / "run"
    result = moodmoji(
        "train",
        "--encoder", str(encoder),
        "--data", str(data),
        "--response-data", str(data / "response"),
        "--out", str(out),
        "--limit", str(LIMIT),
        "--max-steps", "3",
        "--batch-size", "8",
        "--max-length", "32",
        "--device", "cpu",
        "--fp32",
        cwd=root,
    )  # fmt: skip
    return result, out


def first_lines(source: Path, target: Path, n: int, skip_header: bool = False) -> Path:
    lines = source.read_text(encoding="utf-8").splitlines()
    kept = lines[: n + 1] if skip_header else lines[:n]
    target.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return target


def test_train_writes_a_bundle(run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    result, out = run
    assert result.returncode == 0, result.stderr
    bundle = out / "bundle"
    assert "trained 3 steps on cpu" in result.stdout
    assert f"wrote {bundle} (" in result.stdout and "int8=False" in result.stdout
    for task in TASKS:
        assert f"dev {task}: " in result.stdout
    assert "Traceback" not in result.stderr
    assert (out / "final.pt").is_file() and (out / "checkpoint.pt").is_file()
    assert not list(out.glob(".stage-*"))
    engine = Engine.from_path(bundle)
    assert [h.name for h in engine.manifest.heads] == [
        "goemotions",
        "emotion",
        "emoji",
        "reader",
        "reaction",
        "trigger",
        "intent",
        "mood",
        "embedding",
    ]
    assert engine.manifest.text_steps == (TextStep.EMOJI_NAMES,)
    dev = engine.manifest.metrics["dev"]
    assert {task: scores["n"] for task, scores in dev.items()} == dict.fromkeys(TASKS, LIMIT)
    assert engine.manifest.provenance["training"]["steps"] == 3
    assert engine.manifest.provenance["quantization"] is None
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert set(metrics["final"]) == set(TASKS)


def test_eval_reproduces_the_bundles_dev_metrics(
    tmp_path: Path, root: Path, run: tuple[subprocess.CompletedProcess[str], Path]
) -> None:
    result, out = run
    assert result.returncode == 0, result.stderr
    bundle = out / "bundle"
    dev = read_manifest(bundle / "manifest.json").metrics["dev"]
    data = root / "data"
    first_lines(data / "tweeteval_emoji" / "val_labels.txt", tmp_path / "val_labels.txt", LIMIT)
    files = {
        "goemotions": first_lines(data / "goemotions" / "dev.tsv", tmp_path / "dev.tsv", LIMIT),
        "emotion": first_lines(
            data / "emotion" / "val.txt", tmp_path / "val.txt", LIMIT, skip_header=True
        ),
        "tweeteval-emoji": first_lines(
            data / "tweeteval_emoji" / "val_text.txt", tmp_path / "val_text.txt", LIMIT
        ),
    }
    # the four response tasks read the same rows of the response dataset
    response = first_lines(data / "response" / "dev.jsonl", tmp_path / "dev.jsonl", LIMIT)
    files.update(dict.fromkeys(("reaction", "trigger", "intent", "mood"), response))
    for task, path in files.items():
        evaluated = moodmoji("eval", task, str(path), "--model", str(bundle), cwd=tmp_path)
        assert evaluated.returncode == 0, evaluated.stderr
        scores = json.loads(evaluated.stdout.strip().splitlines()[-1])
        assert scores == {"task": task, **dev[task]}
        extra = "micro_f1" if TASKS[task].multi_label else "top3_accuracy"
        assert extra in scores


def test_train_refuses_an_existing_checkpoint(
    root: Path, run: tuple[subprocess.CompletedProcess[str], Path]
) -> None:
    result, out = run
    assert result.returncode == 0, result.stderr
    again = moodmoji(
        "train",
        "--encoder", str(root / "encoder"),
        "--data", str(root / "data"),
        "--out", str(out),
        "--limit", str(LIMIT),
        "--max-steps", "3",
        "--fp32",
        cwd=root,
    )  # fmt: skip
    assert again.returncode == 1
    assert "Traceback" not in again.stderr
    (line,) = [x for x in again.stderr.splitlines() if x.startswith("moodmoji: error: ")]
    assert line.startswith(f"moodmoji: error: {out / 'checkpoint.pt'}: ")
    assert "--resume" in line
    assert again.stdout == ""
