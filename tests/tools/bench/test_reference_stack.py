"""The reference stacks of ``moodmoji bench``, on scaled-down copies of the five models.

The real sizes are checked without building weights (parameters counted on the meta device);
everything else runs on 1-layer, hidden-32 copies of each spec: the checkpoints are built,
loaded the way the model cards load them, run in PyTorch, exported to int8 bundles and run by
moodmoji's engine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from moodmoji.inference.export.bertmoji import BertMoji
from moodmoji.inference.export.checkpoint import CheckpointKind, inspect_checkpoint, load_model
from moodmoji.tools.bench.reference_models import (
    BUILD_RECORD,
    EXPORT_EXTRA_HINT,
    REFERENCE_SPECS,
    Architecture,
    ReferenceCheckpoint,
    ReferenceSpec,
    build_reference_module,
    ensure_reference_checkpoints,
    reference_corpus,
)
from moodmoji.tools.bench.reference_stack import OrtInt8Stack, PyTorchStack, ReferenceBundle

REPO = Path(__file__).resolve().parents[3]

TINY_SPECS = tuple(
    replace(
        spec,
        layers=1,
        hidden=32,
        heads=2,
        intermediate=64,
        vocab_size=64,
        position_buckets=16,
        initializer_range=0.2,  # wide weights, so that predictions depend on the text
    )
    for spec in REFERENCE_SPECS
)
TINY = {spec.name: spec for spec in TINY_SPECS}
NAMES = tuple(TINY)

MESSAGES = (
    "hello there 👋",
    "I love this so much ❤️",
    "ugh, my train is late AGAIN",
    "I'm so scared about tomorrow's exam",
    "congrats on the new job 🎉🎉",
    "meh, whatever",
    "my dog just ate my homework 🐶",
    "we won the match!! ⚽",
    "the funeral is on Saturday, still can't believe she's gone",
    "pizza tonight? 🍕",
)

PUBLISHED_PARAMETERS = {
    # DeBERTa-v3-small: 44M backbone + 98M embeddings; BertMoji adds a 0.8M head.
    "bertmoji": (141e6, 143e6),
    # distilbert-base-uncased 66M, plus the 0.6M pre-classifier/classifier.
    "distilbert-emotion": (66e6, 67.5e6),
    # bert-base-cased 108M (pooler included), plus a 6-way classifier.
    "bert-cased-emotion": (108e6, 109e6),
    # 4 layers of hidden 128 over a 30,522-token vocabulary: 3.9M embeddings + 0.8M layers.
    "bert-emotion13": (4.4e6, 5e6),
    "emoticare": (66e6, 67.5e6),
}


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench-cache")


@pytest.fixture(scope="module")
def checkpoints(cache: Path) -> tuple[ReferenceCheckpoint, ...]:
    return ensure_reference_checkpoints(cache / "checkpoints", TINY_SPECS, seed=3)


@pytest.fixture(scope="module")
def torch_stack(checkpoints: tuple[ReferenceCheckpoint, ...]) -> Iterator[PyTorchStack]:
    with PyTorchStack.from_checkpoints(c.path for c in checkpoints) as stack:
        yield stack


@pytest.fixture(scope="module")
def bundles(
    cache: Path, checkpoints: tuple[ReferenceCheckpoint, ...]
) -> tuple[ReferenceBundle, ...]:
    return OrtInt8Stack.export_bundles([c.path for c in checkpoints], cache / "bundles")


def _checkpoint(checkpoints: tuple[ReferenceCheckpoint, ...], name: str) -> ReferenceCheckpoint:
    return next(c for c in checkpoints if c.spec.name == name)


# --- real sizes -----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", REFERENCE_SPECS, ids=lambda s: s.name)
def test_real_sizes_have_the_published_parameter_counts(spec: ReferenceSpec) -> None:
    with torch.device("meta"):
        module = build_reference_module(spec)
    count = sum(p.numel() for p in module.parameters())
    low, high = PUBLISHED_PARAMETERS[spec.name]
    assert low <= count <= high, f"{spec.name}: {count / 1e6:.2f}M parameters"
    last = [m for m in module.modules() if isinstance(m, torch.nn.Linear)][-1]
    assert last.out_features == spec.num_labels


def test_the_five_specs_are_the_specified_models() -> None:
    by_name = {spec.name: spec for spec in REFERENCE_SPECS}
    bertmoji = by_name["bertmoji"]
    assert (bertmoji.num_labels, bertmoji.max_length, bertmoji.vocab_size) == (250, 96, 128100)
    assert len(set(bertmoji.labels)) == 250
    with torch.device("meta"):
        module = build_reference_module(bertmoji)
    assert isinstance(module, BertMoji)
    config = module.encoder.config
    assert config.position_buckets == 256
    assert config.max_relative_positions == -1
    assert config.pos_att_type == ["p2c", "c2p"]
    assert config.share_att_key and config.norm_rel_ebd == "layer_norm"
    assert not config.position_biased_input and config.type_vocab_size == 0
    assert by_name["emoticare"].multi_label and by_name["emoticare"].num_labels == 28
    assert by_name["bert-emotion13"].labels[0] == "Sadness"
    assert by_name["bert-emotion13"].num_labels == 13
    assert not by_name["bert-cased-emotion"].lowercase
    assert [s.architecture for s in REFERENCE_SPECS].count(Architecture.DISTILBERT) == 2


# --- checkpoints ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_checkpoint_loads_with_transformers_offline(
    checkpoints: tuple[ReferenceCheckpoint, ...], name: str
) -> None:
    checkpoint = _checkpoint(checkpoints, name)
    spec = TINY[name]
    assert not checkpoint.reused and checkpoint.size_bytes > 0
    assert (checkpoint.path / BUILD_RECORD).is_file()
    tokenizer = AutoTokenizer.from_pretrained(checkpoint.path, local_files_only=True)
    assert tokenizer.is_fast
    ids = tokenizer("I love this so much")["input_ids"]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    if spec.architecture is Architecture.BERTMOJI:
        # DeBERTa-v3's special ids, and the layout the exporter reads as BertMoji.
        assert [tokenizer.pad_token_id, tokenizer.cls_token_id, tokenizer.sep_token_id] == [0, 1, 2]
        assert tokenizer.unk_token_id == 3
        assert tokenizer.unk_token_id not in tokenizer(reference_corpus()[0])["input_ids"]
        found = inspect_checkpoint(checkpoint.path)
        assert found.kind is CheckpointKind.BERTMOJI
        loaded = load_model(found)
        assert loaded.labels == spec.labels
        assert loaded.vocab_size == max(spec.vocab_size, len(tokenizer))
        return
    model = AutoModelForSequenceClassification.from_pretrained(
        checkpoint.path, local_files_only=True
    )
    assert model.config.model_type == spec.architecture.value
    assert tuple(model.config.id2label[i] for i in range(spec.num_labels)) == spec.labels
    multi = model.config.problem_type == "multi_label_classification"
    assert multi is spec.multi_label
    assert model.config.vocab_size == max(spec.vocab_size, len(tokenizer)) == 30522
    assert tokenizer.model_max_length == 512
    cased = tokenizer.convert_ids_to_tokens(tokenizer("Hello")["input_ids"])[1]
    assert cased == ("hello" if spec.lowercase else "[UNK]")  # the vocabulary is uncased


def test_cache_reuses_complete_checkpoints_and_rebuilds_the_rest(tmp_path: Path) -> None:
    spec = TINY["bert-emotion13"]
    (first,) = ensure_reference_checkpoints(tmp_path, [spec])
    weights = first.path / "model.safetensors"
    stamp = weights.stat().st_mtime_ns

    (again,) = ensure_reference_checkpoints(tmp_path, [spec])
    assert again.reused and again.path == first.path
    assert weights.stat().st_mtime_ns == stamp
    assert again.build_seconds == pytest.approx(first.build_seconds)

    (first.path / BUILD_RECORD).unlink()  # an interrupted build: no record
    (rebuilt,) = ensure_reference_checkpoints(tmp_path, [spec])
    assert not rebuilt.reused and (rebuilt.path / BUILD_RECORD).is_file()

    (reseeded,) = ensure_reference_checkpoints(tmp_path, [spec], seed=1)
    assert not reseeded.reused
    (resized,) = ensure_reference_checkpoints(tmp_path, [replace(spec, layers=2)])
    assert not resized.reused


# --- stacks ---------------------------------------------------------------------------------


def test_pytorch_stack_gives_probabilities_per_model(torch_stack: PyTorchStack) -> None:
    assert torch_stack.names == NAMES
    for text in (*MESSAGES, "", "x" * 3000):
        scores = torch_stack.predict(text)
        assert [s.name for s in scores] == list(NAMES)
        for score in scores:
            spec = TINY[score.name]
            assert score.labels == spec.labels
            assert score.probabilities.shape == (spec.num_labels,)
            assert score.probabilities.dtype == np.float32
            assert np.all((score.probabilities >= 0) & (score.probabilities <= 1))
            assert score.multi_label is spec.multi_label
            if not spec.multi_label:
                assert float(score.probabilities.sum()) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.slow
def test_int8_bundles_agree_with_pytorch(
    torch_stack: PyTorchStack, bundles: tuple[ReferenceBundle, ...]
) -> None:
    assert [b.name for b in bundles] == list(NAMES)
    assert all(not b.reused and b.model_bytes > 0 for b in bundles)
    agree = total = 0
    with OrtInt8Stack.from_bundles(b.path for b in bundles) as ort_stack:
        assert ort_stack.names == NAMES
        for text in MESSAGES:
            pairs = zip(torch_stack.predict(text), ort_stack.predict(text), strict=True)
            for reference, int8 in pairs:
                assert int8.name == reference.name
                assert int8.labels == reference.labels
                assert int8.multi_label is reference.multi_label
                assert int8.probabilities.shape == reference.probabilities.shape
                assert np.abs(int8.probabilities - reference.probabilities).max() < 0.2
                agree += int8.top1 == reference.top1
                total += 1
    assert agree >= 0.8 * total, f"int8 top-1 agrees with PyTorch on {agree}/{total}"


@pytest.mark.slow
def test_export_cache_reuses_bundles_until_the_checkpoint_changes(
    cache: Path, checkpoints: tuple[ReferenceCheckpoint, ...], bundles: tuple[ReferenceBundle, ...]
) -> None:
    again = OrtInt8Stack.export_bundles([c.path for c in checkpoints], cache / "bundles")
    assert all(b.reused for b in again)
    assert [b.export_seconds for b in again] == [b.export_seconds for b in bundles]

    spec = TINY["bert-emotion13"]
    source = cache / "changing"
    (checkpoint,) = ensure_reference_checkpoints(source, [spec])
    (exported,) = OrtInt8Stack.export_bundles([checkpoint.path], cache / "changing-bundles")
    assert not exported.reused
    (rebuilt,) = ensure_reference_checkpoints(source, [spec], seed=9)
    (fresh,) = OrtInt8Stack.export_bundles([rebuilt.path], cache / "changing-bundles")
    assert not fresh.reused and (fresh.path / BUILD_RECORD).is_file()


# --- without the export extra ---------------------------------------------------------------


@pytest.mark.parametrize(
    "module", ["moodmoji.tools.bench.reference_models", "moodmoji.tools.bench.reference_stack"]
)
def test_missing_export_extra_names_the_pip_extra(module: str) -> None:
    code = (
        "import sys\n"
        "sys.modules['torch'] = None  # as if torch were not installed\n"
        "try:\n"
        f"    import {module}\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == EXPORT_EXTRA_HINT
