"""``benchmarks/dequantize_graph.py`` on a small real model quantised by ONNX Runtime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from benchmarks.dequantize_graph import MODEL_FILE, dequantize, main


def _fp32_model(path: Path) -> None:
    """x (batch x 8) -> MatMul 8x16 -> Relu -> MatMul 16x4 -> y."""
    rng = np.random.default_rng(7)
    first = numpy_helper.from_array(rng.normal(size=(8, 16)).astype(np.float32), "w1")
    second = numpy_helper.from_array(rng.normal(size=(16, 4)).astype(np.float32), "w2")
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w1"], ["h"]),
            helper.make_node("Relu", ["h"], ["r"]),
            helper.make_node("MatMul", ["r", "w2"], ["y"]),
        ],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
        [first, second],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, path)


def _run(path: Path | bytes, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(
        path if isinstance(path, bytes) else str(path), providers=["CPUExecutionProvider"]
    )
    out: np.ndarray = session.run(None, {"x": x})[0]
    return out


@pytest.mark.parametrize("per_channel", [False, True])
def test_the_rewritten_graph_multiplies_by_the_int8_weights_row_by_row(
    tmp_path: Path, per_channel: bool
) -> None:
    fp32, int8 = tmp_path / "fp32.onnx", tmp_path / "int8.onnx"
    _fp32_model(fp32)
    quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8, per_channel=per_channel)
    model = onnx.load(int8)
    assert "MatMulInteger" in {n.op_type for n in model.graph.node}

    assert dequantize(model) == 2
    ops = {n.op_type for n in model.graph.node}
    assert ops == {"MatMul", "Relu"}
    rewritten = model.SerializeToString()

    x = np.random.default_rng(3).normal(size=(5, 8)).astype(np.float32)
    x[4] *= 50  # a loud row: under dynamic int8 it changes the scale of the whole batch
    batch = _run(rewritten, x)
    # rows are independent: each row alone gives the same answer as in the batch
    for i in range(len(x)):
        assert np.allclose(_run(rewritten, x[i : i + 1])[0], batch[i], rtol=1e-5, atol=1e-5)
    # and it is the fp32 model up to the int8 rounding of the weights
    reference = _run(fp32, x)
    assert np.allclose(batch, reference, rtol=0.05, atol=0.05 * np.abs(reference).max())
    # the int8 graph couples rows: the quiet rows move when the loud one is in their batch
    coupled = _run(int8, x)
    alone = np.stack([_run(int8, x[i : i + 1])[0] for i in range(4)])
    assert not np.allclose(coupled[:4], alone, rtol=1e-4, atol=1e-4)


def test_the_command_copies_the_bundle_and_refuses_what_it_cannot_rewrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bundle"
    source.mkdir()
    _fp32_model(tmp_path / "fp32.onnx")
    quantize_dynamic(tmp_path / "fp32.onnx", source / MODEL_FILE, weight_type=QuantType.QInt8)
    (source / "manifest.json").write_text("{}", encoding="utf-8")

    assert main([str(source), str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "manifest.json").read_text(encoding="utf-8") == "{}"
    ops = {n.op_type for n in onnx.load(tmp_path / "out" / MODEL_FILE).graph.node}
    assert "MatMulInteger" not in ops and "DynamicQuantizeLinear" not in ops
    assert "2 MatMuls dequantised" in capsys.readouterr().out

    plain = tmp_path / "plain"
    plain.mkdir()
    _fp32_model(plain / MODEL_FILE)
    assert main([str(plain), str(tmp_path / "out2")]) == 1
    assert "no MatMulInteger" in capsys.readouterr().err
    assert not (tmp_path / "out2").exists()
