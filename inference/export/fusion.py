"""Fusing a BERT-family fp32 graph with ONNX Runtime's transformer optimizer.

The exported graph spells attention out in a dozen small operators (MatMul, Softmax, masks,
transposes) and layer norms and GELU in several more. ONNX Runtime's offline optimizer
(``onnxruntime.transformers.optimizer``) rewrites them into its fused CPU kernels:
``MultiHeadAttention`` and ``BiasGelu``. The Q, K and V
projections stay plain ``MatMul`` nodes (the optimizer's ``use_multi_head_attention`` option),
so int8 quantisation still reaches them.

The optimizer recognises the attention pattern of an "eager" attention export (see
:func:`inference.export.onnx_graph.export_onnx`); a graph it cannot fuse is reported, not
changed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import onnx
from onnx import TensorProto, helper

from moodmoji.inference.errors import ExportError

logger = logging.getLogger(__name__)

FUSED_ATTENTION = "MultiHeadAttention"
_CONTRIB_DOMAIN = "com.microsoft"


def fuse_bert(fp32_path: Path, path: Path, *, num_heads: int, hidden_size: int) -> dict[str, int]:
    """Writes the fused copy of a BERT-family graph.

    Args:
        fp32_path: The exported fp32 graph (eager attention).
        path: Where to write the fused graph.
        num_heads: Attention heads of the encoder.
        hidden_size: Hidden size of the encoder.

    Returns:
        How many of each fused operator the graph now has (only those present).

    Raises:
        ExportError: The optimizer failed, or it fused no attention layer.

    """
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    options = FusionOptions("bert")
    options.use_multi_head_attention = True
    # Word embeddings stay a plain Gather, which int8 quantisation reaches (a 30k x 384 table
    # kept in fp32 inside EmbedLayerNormalization would make the file 2.5 times larger).
    options.enable_embed_layer_norm = False
    # Residual adds and layer norms stay apart: ONNX Runtime's CPU SkipLayerNormalization
    # kernel took 181 ms of a 691 ms pass over the benchmark messages, plain Add +
    # LayerNormalization 53 ms (sessions also disable the runtime re-fusion, see
    # inference.settings.SessionSettings).
    options.enable_skip_layer_norm = False
    try:
        model = optimize_model(
            str(fp32_path),
            model_type="bert",
            num_heads=num_heads,
            hidden_size=hidden_size,
            optimization_options=options,
            opt_level=0,
        )
    except Exception as exc:  # the optimizer raises plain exceptions
        raise ExportError(f"{fp32_path.name}: transformer fusion failed ({exc})") from None
    fused = {op: n for op, n in model.get_fused_operator_statistics().items() if n}
    if not fused.get(FUSED_ATTENTION):
        raise ExportError(f"{fp32_path.name}: no attention layer could be fused ({fused})")
    declare_contrib_outputs(model.model)
    model.save_model_to_file(str(path))
    logger.info("fused graph: %s", fused)
    return fused


def declare_contrib_outputs(model: onnx.ModelProto) -> int:
    """Declares the element type of every output of an ONNX Runtime contrib operator.

    ONNX's shape inference knows nothing of ``com.microsoft`` operators, so without this the
    static quantizer cannot tell their float outputs are activations and leaves the MatMuls
    after them unquantised. ``EmbedLayerNormalization``'s second output (the mask index) is
    int32; every other contrib output here is float.

    Returns:
        How many outputs were declared.

    """
    known = {v.name for v in [*model.graph.value_info, *model.graph.output, *model.graph.input]}
    declared = 0
    for node in model.graph.node:
        if node.domain != _CONTRIB_DOMAIN:
            continue
        for position, name in enumerate(node.output):
            if not name or name in known:
                continue
            mask_index = node.op_type == "EmbedLayerNormalization" and position == 1
            kind = TensorProto.INT32 if mask_index else TensorProto.FLOAT
            model.graph.value_info.append(helper.make_tensor_value_info(name, kind, None))
            declared += 1
    return declared
