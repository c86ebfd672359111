"""Float weights recovered from the bundles of the tiny run, loaded back into the model."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from moodmoji.inference.engine import Engine
from moodmoji.inference.errors import InferenceError
from moodmoji.inference.manifest import MODEL_FILE, read_manifest
from moodmoji.inference.training import recover
from moodmoji.inference.training.bundle import (
    HEAD_NAMES,
    LOGIT_ADJUSTMENT,
    BundleReport,
    build_bundle,
    load_final,
)
from moodmoji.inference.training.model import MultiTaskModel
from moodmoji.inference.training.recover import recover_state_dict
from moodmoji.inference.training.trainer import TrainResult
from tests.inference.export.checkpoints import CHAT_TEXTS

TEXTS = [*CHAT_TEXTS, "", "a much longer message " * 12]
NOT_IN_THE_GRAPH = {"encoder.pooler.dense.weight", "encoder.pooler.dense.bias"}
"""The BERT pooler feeds no head: the export drops it."""


@pytest.fixture(scope="module")
def fp32(tmp_path_factory: pytest.TempPathFactory, trained_run: TrainResult) -> BundleReport:
    return build_bundle(trained_run.final, tmp_path_factory.mktemp("recover") / "fp32", int8=False)


@pytest.fixture(scope="module")
def static_int8(tmp_path_factory: pytest.TempPathFactory, trained_run: TrainResult) -> BundleReport:
    """The int8 graph the default bundle ships: static int8 (QDQ), calibrated."""
    out = tmp_path_factory.mktemp("recover") / "int8"
    report = build_bundle(trained_run.final, out, int8=True, calibration=TEXTS)
    quantization = read_manifest(out / "manifest.json").provenance["quantization"]
    assert quantization["method"].startswith("static int8")
    return report


def untrained(tiny_encoder: Path, tasks: tuple[str, ...]) -> MultiTaskModel:
    """The model before training: pretrained encoder, fresh heads."""
    torch.manual_seed(99)
    return MultiTaskModel.from_pretrained(tiny_encoder, tasks).eval()


def graph_and_model(
    report: BundleReport, model: MultiTaskModel
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every graph output and the model's output of the same name, on the same batch."""
    engine = Engine.from_path(report.path)
    batch = engine.bundle.encoder.encode([engine.model_text(text) for text in TEXTS])
    names = [HEAD_NAMES[task] for task in model.tasks] + ["embedding"]
    graph = dict(zip(names, engine.bundle.session.run(names, batch.arrays), strict=True))
    with torch.no_grad():
        outputs = model(
            torch.from_numpy(batch.arrays["input_ids"]),
            torch.from_numpy(batch.arrays["attention_mask"]),
        )
    return graph, {name: out.numpy() for name, out in zip(names, outputs, strict=True)}


def recovered_and_trained(
    bundle: BundleReport, trained_run: TrainResult
) -> tuple[dict[str, torch.Tensor], MultiTaskModel]:
    """The weights recovered from a bundle's graph, and the trained model.

    The names agree but for what the graph does not hold (:data:`NOT_IN_THE_GRAPH`).
    """
    state = recover_state_dict(bundle.path / MODEL_FILE)
    trained, _ = load_final(trained_run.final)
    expected = trained.state_dict()
    assert set(expected) - set(state) == NOT_IN_THE_GRAPH
    assert set(state) <= set(expected)
    return state, trained


def test_fp32_graph_gives_back_the_trained_weights(
    fp32: BundleReport, trained_run: TrainResult
) -> None:
    state, trained = recovered_and_trained(fp32, trained_run)
    expected = trained.state_dict()
    for name, value in state.items():
        assert value.dtype == torch.float32 and value.shape == expected[name].shape, name
        torch.testing.assert_close(value, expected[name], rtol=0, atol=1e-6, msg=name)


def test_fp32_recovered_model_matches_the_graph(
    fp32: BundleReport, trained_run: TrainResult, tiny_encoder: Path
) -> None:
    trained, record = load_final(trained_run.final)
    model = untrained(tiny_encoder, trained.tasks)
    graph, before = graph_and_model(fp32, model)
    assert not np.allclose(before["goemotions"], graph["goemotions"], atol=1e-2)  # a real test
    missing, unexpected = model.load_state_dict(recover_state_dict(fp32.path / MODEL_FILE), False)
    assert set(missing) == NOT_IN_THE_GRAPH and not unexpected
    _, after = graph_and_model(fp32, model)
    _, reference = graph_and_model(fp32, trained)
    for task in trained.tasks:
        name = HEAD_NAMES[task]
        # logit-adjusted heads: the graph subtracts tau * log(prior), the weights do not
        tau = LOGIT_ADJUSTMENT.get(task, 0.0)
        offset = tau * np.log(np.asarray(record["priors"][task])) if tau else 0.0
        np.testing.assert_allclose(after[name] - offset, graph[name], atol=1e-4, err_msg=name)
        np.testing.assert_allclose(after[name], reference[name], atol=1e-5, err_msg=name)
    np.testing.assert_allclose(after["embedding"], graph["embedding"], atol=1e-4)


def test_static_int8_graph_gives_back_weights_within_a_quantisation_step(
    static_int8: BundleReport, trained_run: TrainResult, tiny_encoder: Path
) -> None:
    state, trained = recovered_and_trained(static_int8, trained_run)
    expected = trained.state_dict()
    for name, value in state.items():
        want = expected[name]
        assert value.shape == want.shape, name
        # int8 weights are off by at most half a step (1/254 of the largest magnitude)
        step = float(want.abs().max()) / 127
        assert float((value - want).abs().max()) <= step / 2 + 1e-6, name
    model = untrained(tiny_encoder, trained.tasks)
    model.load_state_dict(state, strict=False)
    _, recovered = graph_and_model(static_int8, model)
    _, reference = graph_and_model(static_int8, trained)
    for name, values in reference.items():
        assert np.abs(recovered[name] - values).max() < 0.05 * max(1.0, np.abs(values).max()), name


def test_main_writes_an_init_file(
    fp32: BundleReport,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "init" / "recovered.pt"
    monkeypatch.setattr(sys, "argv", ["recover", str(fp32.path / MODEL_FILE), str(out)])
    recover.main()
    saved = torch.load(out, map_location="cpu", weights_only=False)
    assert saved["source"] == str(fp32.path / MODEL_FILE)
    assert saved["model"].keys() == recover_state_dict(fp32.path / MODEL_FILE).keys()
    assert f"into {out}" in capsys.readouterr().out


def test_not_an_onnx_file(tmp_path: Path) -> None:
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"this is not a graph")
    with pytest.raises(InferenceError) as caught:
        recover_state_dict(bad)
    assert str(caught.value).startswith(f"{bad}: not a readable ONNX graph")
    missing = tmp_path / "missing.onnx"
    with pytest.raises(InferenceError, match=r"missing\.onnx: not a readable ONNX graph"):
        recover_state_dict(missing)
