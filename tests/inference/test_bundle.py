"""Bundle loading: every way a bundle can be broken gives one error naming the file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from moodmoji.inference.bundle import ModelBundle
from moodmoji.inference.errors import BundleError
from tests.inference.tiny_bundle import build_tiny_bundle


def _edit_manifest(bundle: Path, edit: Any) -> None:
    path = bundle / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def _load_error(bundle: Path) -> BundleError:
    with pytest.raises(BundleError) as info:
        ModelBundle.load(bundle)
    assert "\n" not in str(info.value)
    return info.value


def test_valid_bundle_loads(tiny_bundle: Path) -> None:
    bundle = ModelBundle.load(tiny_bundle)
    assert [h.name for h in bundle.manifest.heads] == ["emotion", "tags", "embedding"]
    assert bundle.encoder.input_names == ("input_ids", "attention_mask")


def test_bundle_with_token_type_ids_loads(tmp_path: Path) -> None:
    bundle = ModelBundle.load(build_tiny_bundle(tmp_path / "tt", token_type_ids=True))
    assert "token_type_ids" in bundle.encoder.input_names


def test_missing_directory(tmp_path: Path) -> None:
    err = _load_error(tmp_path / "nope")
    assert err.path == tmp_path / "nope"
    assert "does not exist" in str(err)


@pytest.mark.parametrize("name", ["model.onnx", "tokenizer.json", "manifest.json"])
def test_missing_file_is_named(bundle_copy: Path, name: str) -> None:
    (bundle_copy / name).unlink()
    err = _load_error(bundle_copy)
    assert err.path.name == name
    assert name in str(err) and "missing" in str(err)


def test_corrupt_onnx(bundle_copy: Path) -> None:
    data = (bundle_copy / "model.onnx").read_bytes()
    (bundle_copy / "model.onnx").write_bytes(data[: len(data) // 2])
    err = _load_error(bundle_copy)
    assert err.path.name == "model.onnx"
    assert "not a loadable ONNX model" in str(err)


def test_garbage_onnx(bundle_copy: Path) -> None:
    (bundle_copy / "model.onnx").write_bytes(b"this is not a protobuf at all \x00\xff" * 10)
    assert _load_error(bundle_copy).path.name == "model.onnx"


def test_corrupt_tokenizer(bundle_copy: Path) -> None:
    (bundle_copy / "tokenizer.json").write_text('{"version": "1.0", "model": 42}')
    err = _load_error(bundle_copy)
    assert err.path.name == "tokenizer.json"


def test_manifest_not_json(bundle_copy: Path) -> None:
    (bundle_copy / "manifest.json").write_text("{not json")
    err = _load_error(bundle_copy)
    assert err.path.name == "manifest.json" and "JSON" in str(err)


def test_label_count_differs_from_output_width(bundle_copy: Path) -> None:
    _edit_manifest(bundle_copy, lambda m: m["heads"][0]["labels"].append("surprise"))
    err = _load_error(bundle_copy)
    assert err.path.name == "manifest.json"
    assert "declares 5 labels" in str(err) and "width 4" in str(err)


def test_unknown_head_kind(bundle_copy: Path) -> None:
    _edit_manifest(bundle_copy, lambda m: m["heads"][0].update(kind="argmax"))
    err = _load_error(bundle_copy)
    assert err.path.name == "manifest.json"
    assert "heads.0.kind" in str(err) and "softmax" in str(err)


def test_declared_output_missing_from_graph(bundle_copy: Path) -> None:
    _edit_manifest(bundle_copy, lambda m: m["heads"][1].update(output="mood_logits"))
    err = _load_error(bundle_copy)
    assert err.path.name == "model.onnx"
    assert "'mood_logits'" in str(err) and "'tags'" in str(err)


def test_declared_inputs_must_match_graph(bundle_copy: Path) -> None:
    _edit_manifest(bundle_copy, lambda m: m["inputs"].append("token_type_ids"))
    err = _load_error(bundle_copy)
    assert "token_type_ids" in str(err) and err.path.name == "model.onnx"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda m: m["heads"][1].update(thresholds=[0.5]), "one threshold per label"),
        (lambda m: m["heads"][1].update(thresholds=[0.5, 1.5, 0.2]), "between 0 and 1"),
        (lambda m: m["heads"][0].update(thresholds=[0.5] * 4), "only sigmoid heads"),
        (lambda m: m["heads"][0]["emoji"].update(glee="😁"), "unknown labels"),
        (lambda m: m["heads"][0].update(labels=[]), "needs labels"),
        (lambda m: m["heads"][2].update(labels=["x"]), "embedding head has no labels"),
        (lambda m: m.update(max_length=0), "max_length"),
        (lambda m: m.update(format_version=9), "format_version"),
        (lambda m: m.update(inputs=["attention_mask", "pixels"]), "unknown input names"),
        (lambda m: m.update(colour="blue"), "colour"),
        (lambda m: m["heads"].append(dict(m["heads"][0])), "not unique"),
        (lambda m: m.update(caution=0), "caution"),
        (lambda m: m.update(caution=1.5), "caution"),
    ],
)
def test_manifest_validation(bundle_copy: Path, edit: Any, expected: str) -> None:
    _edit_manifest(bundle_copy, edit)
    err = _load_error(bundle_copy)
    assert err.path.name == "manifest.json"
    assert expected in str(err)


def test_bundle_directory_removed_after_copy(tmp_path: Path, tiny_bundle: Path) -> None:
    target = tmp_path / "copy"
    shutil.copytree(tiny_bundle, target)
    ModelBundle.load(target)
    shutil.rmtree(target)
    assert "does not exist" in str(_load_error(target))
