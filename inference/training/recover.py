"""Float weights recovered from a bundle that ``moodmoji train`` wrote, to warm-start a new run.

The default bundle ships only its int8 graph; the float ``final.pt`` it came from is not kept.
A new run that should keep the old heads' quality (GoEmotions, dair-ai emotion, TweetEval
emoji, the distilled embedding) can start from the graph's own weights instead of from the
pretrained encoder: every quantised tensor is dequantised (``(q - zero_point) * scale``, per
channel where the graph has it), MatMul weights are transposed back into ``nn.Linear`` layout,
and the fused attention's packed Q/K/V bias is split again.

The names follow the graph :func:`inference.training.bundle.build_bundle` writes (PyTorch's
ONNX export of :class:`~inference.training.model.MultiTaskModel`, fused by ONNX Runtime's
transformer optimizer). A graph of another shape raises :class:`InferenceError` naming what was
not found. Usage::

    python -m moodmoji.inference.training.recover \
        inference/models/default/model.onnx scratch/init.pt
    moodmoji train --init scratch/init.pt ...
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from moodmoji.inference.errors import InferenceError

_MATMUL = re.compile(r"^/encoder/encoder/(layer\.\d+)/(.+)/MatMul_output_0$")
_QKV_BIAS = re.compile(r"^Attention_(\d+)_qkv_bias$")


def recover_state_dict(graph_path: Path) -> dict[str, torch.Tensor]:
    """The float state dict of a :class:`MultiTaskModel` whose bundle graph is ``graph_path``.

    Raises:
        InferenceError: The file cannot be read or is not a graph of that shape.
    """
    import onnx
    from onnx import numpy_helper

    try:
        graph = onnx.load(str(graph_path)).graph
    except Exception as exc:  # onnx raises several types for a missing or corrupt file
        raise InferenceError(f"{graph_path}: not a readable ONNX graph ({exc})") from None
    tensors = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    dequantised: dict[str, npt.NDArray[np.float32]] = {}
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0] in tensors:
            dequantised[node.output[0]] = _dequantise(tensors, node)
    state: dict[str, npt.NDArray[np.float32]] = {}
    for name, value in tensors.items():
        if name.startswith("model.") and value.dtype == np.float32 and value.ndim >= 1:
            state[name.removeprefix("model.")] = value
    for output, value in dequantised.items():
        source = output.removesuffix("_DequantizeLinear_Output").removesuffix("_quantized")
        if source.startswith("model."):
            state[source.removeprefix("model.")] = value
    for node in graph.node:
        # int8 graphs: a dequantised weight; the fp32 graph: a float initializer
        weight = dequantised.get(node.input[1]) if node.op_type == "MatMul" else None
        if node.op_type == "MatMul" and weight is None:
            plain = tensors.get(node.input[1])
            weight = plain if plain is not None and plain.dtype == np.float32 else None
        if node.op_type == "MatMul" and weight is None:
            raise InferenceError(
                f"{graph_path}: MatMul {node.output[0]!r} has no constant weight to recover "
                "(only fp32 and static int8 graphs of moodmoji train can be read)"
            )
        if weight is not None:
            match = _MATMUL.match(node.output[0])
            if match is None:
                raise InferenceError(f"{graph_path}: unexpected MatMul {node.output[0]!r}")
            layer, module = match.groups()
            key = f"encoder.encoder.{layer}.{module.replace('/', '.')}.weight"
            state[key] = weight.T.copy()
        if node.op_type == "MultiHeadAttention":
            bias = _QKV_BIAS.match(node.input[3])
            if bias is None or node.input[3] not in tensors:
                raise InferenceError(f"{graph_path}: attention without a packed Q/K/V bias")
            packed = tensors[node.input[3]]
            for part, values in zip(("query", "key", "value"), np.split(packed, 3), strict=True):
                state[f"encoder.encoder.layer.{bias.group(1)}.attention.self.{part}.bias"] = values
    return {
        key: torch.from_numpy(np.array(v, dtype=np.float32, order="C")) for key, v in state.items()
    }


def _dequantise(tensors: dict[str, Any], node: Any) -> npt.NDArray[np.float32]:
    quantised = tensors[node.input[0]].astype(np.float32)
    scale = tensors[node.input[1]].astype(np.float32)
    zero = tensors[node.input[2]].astype(np.float32) if len(node.input) > 2 else np.float32(0)
    axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
    if scale.ndim == 1 and quantised.ndim > 1:
        shape = [1] * quantised.ndim
        shape[axis] = -1
        scale, zero = scale.reshape(shape), np.reshape(zero, shape)
    out: npt.NDArray[np.float32] = (quantised - zero) * scale
    return out


def main() -> None:
    """Writes a ``final.pt``-like file holding the recovered weights (for ``--init``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graph", type=Path, help="a bundle's model.onnx")
    parser.add_argument("out", type=Path, help="weights file to write")
    args = parser.parse_args()
    state = recover_state_dict(args.graph)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": state, "source": str(args.graph)}, args.out)
    print(f"recovered {len(state)} tensors from {args.graph} into {args.out}")


if __name__ == "__main__":
    main()
