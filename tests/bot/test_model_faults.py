"""A model directory removed or corrupted before start, through the real CLI (reliability suite).

``moodmoji analyze``, ``moodmoji serve`` and ``moodmoji chat`` run as real subprocesses with
``--model`` pointing at a broken bundle. Each must exit 1 with one ``moodmoji: error: ...`` line
naming the directory or file at fault, print nothing on stdout, and never show a traceback.
``test_cli.py`` already covers ``analyze`` on a directory that never existed and on a garbage
``model.onnx``; ``test_bundle.py`` covers each fault in-process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from moodmoji.inference.default_model import resolve_model_dir

pytestmark = pytest.mark.reliability


def removed(bundle: Path) -> Path:
    shutil.rmtree(bundle)
    return bundle


def emptied(bundle: Path) -> Path:
    shutil.rmtree(bundle)
    bundle.mkdir()
    return bundle


def truncated_model(bundle: Path) -> Path:
    model = bundle / "model.onnx"
    data = model.read_bytes()
    model.write_bytes(data[: len(data) * 2 // 3])  # an interrupted copy
    return model


def truncated_default_model(bundle: Path) -> Path:
    """The real 23 MB int8 model, cut short (a partial download)."""
    shutil.rmtree(bundle)
    shutil.copytree(resolve_model_dir(None), bundle)
    return truncated_model(bundle)


def garbage_tokenizer(bundle: Path) -> Path:
    tokenizer = bundle / "tokenizer.json"
    tokenizer.write_bytes(b"\x89PNG\r\n\x1a\n not a tokenizer \xff\xfe")
    return tokenizer


def manifest_not_json(bundle: Path) -> Path:
    manifest = bundle / "manifest.json"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text[: len(text) // 2], encoding="utf-8")  # cut mid-object
    return manifest


FAULTS: dict[str, Callable[[Path], Path]] = {
    "removed": removed,
    "empty": emptied,
    "truncated-model": truncated_model,
    "truncated-default-model": truncated_default_model,
    "garbage-tokenizer": garbage_tokenizer,
    "manifest-not-json": manifest_not_json,
}
COMMANDS = ("analyze", "serve", "chat")
# analyze on a directory that is not there is test_cli.test_missing_model_names_the_directory.
CASES = [
    (command, fault)
    for command in COMMANDS
    for fault in FAULTS
    if (command, fault) != ("analyze", "removed")
]


def moodmoji(command: str, model: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    config = cwd / "config.yaml"
    config.write_text("http:\n  port: 0\nstore:\n  path: state.sqlite3\n", encoding="utf-8")
    extra = {"analyze": ["hello there, lovely day"], "serve": ["--port", "0"], "chat": []}
    env = {k: v for k, v in os.environ.items() if k != "MOODMOJI_HTTP_TOKEN"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "moodmoji.tools.cli",
            "--config",
            str(config),
            command,
            "--model",
            str(model),
            *extra[command],
        ],
        cwd=cwd,
        input="hello there\nhow are you?\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**env, "PYTHONIOENCODING": "utf-8"},
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(("command", "fault"), CASES)
def test_a_broken_model_directory_is_named_in_one_line(
    command: str, fault: str, bundle_copy: Path, tmp_path: Path
) -> None:
    culprit = FAULTS[fault](bundle_copy)
    workdir = tmp_path / "work"
    workdir.mkdir()
    result = moodmoji(command, bundle_copy, workdir)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert all(line.startswith("moodmoji: ") for line in lines), lines
    errors = [line for line in lines if line.startswith("moodmoji: error: ")]
    assert len(errors) == 1, lines
    assert str(culprit) in errors[0]
    assert len(lines) == (2 if command == "serve" else 1)  # serve says it is loading first
