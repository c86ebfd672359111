"""Broken inputs fail with one ExportError line naming the file or option."""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertModel

from moodmoji.inference.errors import ExportError
from moodmoji.inference.export import export_checkpoint
from moodmoji.inference.export.bertmoji import infer_config, load_bertmoji, load_state_dict
from tests.inference.export.conftest import Checkpoints


def test_missing_directory(tmp_path: Path) -> None:
    src = tmp_path / "nope"
    with pytest.raises(ExportError, match=rf"^{src}: checkpoint directory not found$"):
        export_checkpoint(src, tmp_path / "out")


def test_directory_without_config_or_weights(tmp_path: Path) -> None:
    src = tmp_path / "empty"
    src.mkdir()
    (src / "notes.txt").write_text("hello")
    with pytest.raises(ExportError, match=r"no config\.json and no pytorch_model\.bin"):
        export_checkpoint(src, tmp_path / "out")


def test_config_without_weights(tmp_path: Path) -> None:
    src = tmp_path / "cfg-only"
    BertConfig(architectures=["BertForSequenceClassification"]).save_pretrained(src)
    with pytest.raises(
        ExportError, match=r"no weights \(model\.safetensors or pytorch_model\.bin\)"
    ):
        export_checkpoint(src, tmp_path / "out")


def test_weights_without_config(tmp_path: Path) -> None:
    src = tmp_path / "bin-only"
    src.mkdir()
    torch.save({"w": torch.zeros(2)}, src / "pytorch_model.bin")
    with pytest.raises(ExportError, match=r"config\.json: missing"):
        export_checkpoint(src, tmp_path / "out")


def test_unknown_model_type(tmp_path: Path) -> None:
    src = tmp_path / "gpt"
    src.mkdir()
    (src / "config.json").write_text(
        json.dumps({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"]})
    )
    (src / "model.safetensors").write_bytes(b"")
    with pytest.raises(
        ExportError, match=r"config\.json: unknown architecture \(model_type 'gpt2'\)"
    ):
        export_checkpoint(src, tmp_path / "out")


def test_unreadable_config(tmp_path: Path) -> None:
    src = tmp_path / "bad"
    src.mkdir()
    (src / "config.json").write_text("{not json")
    with pytest.raises(ExportError, match=r"config\.json: not a readable JSON file"):
        export_checkpoint(src, tmp_path / "out")


def test_not_a_classifier(tmp_path: Path) -> None:
    src = tmp_path / "mlm"
    BertConfig(architectures=["BertForMaskedLM"]).save_pretrained(src)
    (src / "model.safetensors").write_bytes(b"")
    with pytest.raises(ExportError, match=r"BertForMaskedLM is not a \*ForSequenceClassification"):
        export_checkpoint(src, tmp_path / "out")


def test_base_model_without_classifier_weights(tmp_path: Path) -> None:
    src = tmp_path / "base"
    config = BertConfig(
        vocab_size=50,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
    )
    BertModel(config).save_pretrained(src)
    raw = json.loads((src / "config.json").read_text())
    raw["architectures"] = ["BertForSequenceClassification"]
    (src / "config.json").write_text(json.dumps(raw))
    with pytest.raises(ExportError, match=r"weights missing .*classifier.*not a fine-tuned"):
        export_checkpoint(src, tmp_path / "out")


def test_output_is_a_file(checkpoints: Checkpoints, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("occupied")
    with pytest.raises(ExportError, match=rf"^{out}: output exists and is not a directory"):
        export_checkpoint(checkpoints.get("emoticare").path, out)


def test_max_length_beyond_positions(checkpoints: Checkpoints, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"^--max-length: 600 must lie between 2 and 512"):
        export_checkpoint(checkpoints.get("emoticare").path, tmp_path / "out", max_length=600)


def test_missing_export_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.delitem(sys.modules, "moodmoji.inference.export")
    with pytest.raises(ExportError, match=r"needs torch.*pip install 'moodmoji\[export\]'"):
        importlib.import_module("moodmoji.inference.export")


# --- BertMoji state dicts -------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["deberta.", "model.", "module.encoder.", ""])
def test_bertmoji_encoder_prefixes(prefix: str, checkpoints: Checkpoints, tmp_path: Path) -> None:
    built = checkpoints.get("bertmoji-noconfig")
    state = load_state_dict(built.path / "pytorch_model.bin")
    renamed = {
        (prefix + key[len("encoder.") :] if key.startswith("encoder.") else key): value
        for key, value in state.items()
    }
    weights = tmp_path / "pytorch_model.bin"
    torch.save(renamed, weights)
    model, _ = load_bertmoji(built.path, weights, None)
    ids = torch.tensor([[1, 10, 20, 30, 2], [1, 40, 2, 0, 0]])
    mask = (ids != 0).long()
    mask[:, 0] = 1
    with torch.no_grad():
        got = model(ids, mask)
    expected = built.reference(input_ids=ids, attention_mask=mask)
    assert torch.allclose(got, expected, atol=1e-5)


def test_bertmoji_config_inferred_from_state_dict(checkpoints: Checkpoints) -> None:
    built = checkpoints.get("bertmoji-noconfig")
    state = load_state_dict(built.path / "pytorch_model.bin")
    encoder = {k[len("encoder.") :]: v for k, v in state.items() if k.startswith("encoder.")}
    config = infer_config(encoder)
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads) == (32, 2, 2)
    assert (config.intermediate_size, config.position_buckets) == (64, 16)
    assert config.vocab_size == encoder["embeddings.word_embeddings.weight"].shape[0]
    assert config.relative_attention and config.share_att_key
    assert config.norm_rel_ebd == "layer_norm"
    assert not config.position_biased_input
    assert config.type_vocab_size == 0
    assert config.pos_att_type == ["p2c", "c2p"]


def test_bertmoji_with_wrong_config_is_an_error(checkpoints: Checkpoints, tmp_path: Path) -> None:
    src = tmp_path / "bertmoji"
    shutil.copytree(checkpoints.get("bertmoji").path, src)
    raw = json.loads((src / "config.json").read_text())
    raw["hidden_size"] = 64
    (src / "config.json").write_text(json.dumps(raw))
    with pytest.raises(ExportError, match=r"pytorch_model\.bin: weights do not fit"):
        export_checkpoint(src, tmp_path / "out")


def test_failed_export_leaves_no_staging_dir(checkpoints: Checkpoints, tmp_path: Path) -> None:
    with pytest.raises(ExportError):
        export_checkpoint(checkpoints.get("emoticare").path, tmp_path / "out", labels=["a"])
    assert list(tmp_path.iterdir()) == []
