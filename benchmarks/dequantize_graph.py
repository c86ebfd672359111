"""A dynamically quantised bundle with its int8 weights dequantised into fp32 MatMuls.

``onnxruntime.quantization.quantize_dynamic`` (what ``moodmoji export --int8`` and the shipped
response model use) writes each projection as ``DynamicQuantizeLinear`` on the activation,
``MatMulInteger`` with int8 weights, then ``Cast`` and a ``Mul`` by the two scales. The
activation's scale is computed per run over the whole batch, which couples the rows of a batch,
so the engine runs such a graph one text at a time. This tool writes a copy of a bundle whose
projections are plain ``MatMul`` on fp32 weights equal to ``(int8 - zero_point) * scale``: the
same weights the int8 graph multiplies by, without quantising the activations, so rows are
independent and the engine batches them (length buckets, parallel runs).

It answers one question of ``docs/benchmarks.md`` ("The model nearer the machine's limit"):
on a CPU without VNNI, does batching fp32 beat int8 one text at a time? Measure with::

    python benchmarks/dequantize_graph.py inference/models/default /tmp/fp32
    python benchmarks/engine_latency.py --model /tmp/fp32
    python benchmarks/engine_latency.py --model inference/models/default

The copy keeps the bundle's other files; its embeddings are recomputed on first use (the
model's fingerprint changes).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

MODEL_FILE = "model.onnx"


def dequantize(model: onnx.ModelProto) -> int:
    """Rewrites every dynamically quantised MatMul of ``model`` in place as an fp32 MatMul.

    Returns:
        How many MatMuls were rewritten.

    Raises:
        ValueError: A ``MatMulInteger`` is not in the pattern ``quantize_dynamic`` writes.
    """
    graph = model.graph
    initializers = {t.name: t for t in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    def only_consumer(name: str, op_type: str) -> onnx.NodeProto:
        found = consumers.get(name, [])
        if len(found) != 1 or found[0].op_type != op_type:
            raise ValueError(f"{name!r} is not read by exactly one {op_type}")
        return found[0]

    rewritten: dict[int, onnx.NodeProto] = {}
    dropped: set[int] = set()
    weights: list[onnx.TensorProto] = []
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        activation, weight, _, weight_zero = node.input
        quantize = producer.get(activation)
        if quantize is None or quantize.op_type != "DynamicQuantizeLinear":
            raise ValueError(f"{node.name!r}: its input is not a DynamicQuantizeLinear")
        if weight not in initializers or weight_zero not in initializers:
            raise ValueError(f"{node.name!r}: its weights are not constants")
        cast = only_consumer(node.output[0], "Cast")
        rescale = only_consumer(cast.output[0], "Mul")
        scales = producer.get(rescale.input[1])
        if scales is None or scales.op_type != "Mul" or scales.input[1] not in initializers:
            raise ValueError(f"{node.name!r}: its output scale is not activation x weight scale")
        quantized = numpy_helper.to_array(initializers[weight]).astype(np.float32)
        zero = numpy_helper.to_array(initializers[weight_zero]).astype(np.float32)
        scale = numpy_helper.to_array(initializers[scales.input[1]]).astype(np.float32)
        name = f"{weight}_dequantized"
        weights.append(numpy_helper.from_array((quantized - zero) * scale, name))
        rewritten[id(node)] = helper.make_node(
            "MatMul",
            [quantize.input[0], name],
            [rescale.output[0]],
            name=f"{rescale.output[0]}/MatMul_fp32",  # outputs are unique, node names need not be
        )
        dropped |= {id(cast), id(rescale), id(scales)}
    nodes = [rewritten.get(id(n), n) for n in graph.node if id(n) not in dropped]
    read = {name for n in nodes for name in n.input} | {o.name for o in graph.output}
    nodes = [
        n
        for n in nodes
        if n.op_type != "DynamicQuantizeLinear" or any(out in read for out in n.output)
    ]
    read = {name for n in nodes for name in n.input}
    kept = [t for t in graph.initializer if t.name in read]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend([*kept, *weights])
    onnx.checker.check_model(model)
    return len(rewritten)


def main(argv: Sequence[str] | None = None) -> int:
    """Copies the bundle in ``SOURCE`` to ``TARGET`` with its graph dequantised."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a bundle folder with a dynamic int8 graph")
    parser.add_argument("target", type=Path, help="where the copy goes (must not exist)")
    args = parser.parse_args(argv)
    if args.target.exists():
        parser.error(f"{args.target} exists")
    model = onnx.load(args.source / MODEL_FILE)
    try:
        count = dequantize(model)
    except ValueError as exc:
        print(f"dequantize_graph: {args.source / MODEL_FILE}: {exc}", file=sys.stderr)
        return 1
    if not count:
        print(f"dequantize_graph: {args.source / MODEL_FILE}: no MatMulInteger", file=sys.stderr)
        return 1
    shutil.copytree(args.source, args.target, ignore=shutil.ignore_patterns(MODEL_FILE))
    onnx.save(model, args.target / MODEL_FILE)
    print(f"{count} MatMuls dequantised: {args.target / MODEL_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
