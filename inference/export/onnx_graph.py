"""Torch module -> single-file ONNX graph, and dynamic int8 quantisation."""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import torch
from torch import nn

from moodmoji.inference.errors import ExportError
from moodmoji.inference.session import create_session
from moodmoji.inference.settings import SessionSettings

logger = logging.getLogger(__name__)

OPSET = 18
OUTPUT_NAME = "logits"
_TRACE_BATCH = 2
_TRACE_LENGTH = 12
_TRACE_PADDED_FROM = 7


@dataclass(frozen=True)
class QuantizedGraph:
    """The outcome of :func:`quantize_int8`.

    Attributes:
        path: The int8 graph.
        per_channel: Whether weights were quantised per channel.
        agreement: Top-1 agreement with the fp32 graph on the probe batch.
    """

    path: Path
    per_channel: bool
    agreement: float


def trace_inputs(input_names: Sequence[str], vocab_size: int) -> tuple[torch.Tensor, ...]:
    """Builds a traced batch of 2 where the second row is padded.

    Args:
        input_names: Graph inputs, in ``forward`` order.
        vocab_size: Upper bound for token ids.

    Returns:
        One int64 tensor per input name.
    """
    generator = torch.Generator().manual_seed(0)
    high = max(2, min(vocab_size, 1000))
    ids = torch.randint(1, high, (_TRACE_BATCH, _TRACE_LENGTH), generator=generator)
    mask = torch.ones_like(ids)
    ids[1, _TRACE_PADDED_FROM:] = 0
    mask[1, _TRACE_PADDED_FROM:] = 0
    available = {
        "input_ids": ids,
        "attention_mask": mask,
        "token_type_ids": torch.zeros_like(ids),
    }
    return tuple(available[name] for name in input_names)


def export_onnx(
    module: nn.Module,
    input_names: Sequence[str],
    vocab_size: int,
    path: Path,
    output_names: Sequence[str] = (OUTPUT_NAME,),
) -> int:
    """Exports a module to a single ONNX file with dynamic batch and length.

    The module is deep-copied first: tracing DeBERTa-v2 changes the traced module in place.
    The TorchScript exporter is used (fast and exact for BERT and DeBERTa); where it is not
    available the dynamo exporter takes over.

    Args:
        module: Module whose ``forward`` takes ``input_names`` positionally and returns logits
            (or a tuple with one tensor per output name).
        input_names: Graph input names, in ``forward`` order.
        vocab_size: Upper bound for the traced token ids.
        path: Output file.
        output_names: Graph output names, in ``forward`` order.

    Returns:
        The opset of the written graph.

    Raises:
        ExportError: Both exporters failed, or the written graph is invalid.
    """
    args = trace_inputs(input_names, vocab_size)
    target = copy.deepcopy(module).eval()
    axes = {name: {0: "batch", 1: "sequence"} for name in input_names}
    axes.update({name: {0: "batch"} for name in output_names})
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                target,
                args,
                str(path),
                dynamo=False,
                input_names=list(input_names),
                output_names=list(output_names),
                dynamic_axes=axes,
                opset_version=OPSET,
                do_constant_folding=True,
            )
    except Exception as exc:  # the legacy exporter may be gone or refuse a model
        logger.warning(
            "TorchScript ONNX export failed (%s); trying the dynamo exporter", _first(exc)
        )
        _export_dynamo(copy.deepcopy(module).eval(), args, input_names, output_names, path)
    return check_graph(path, input_names, output_names)


def _export_dynamo(
    module: nn.Module,
    args: tuple[torch.Tensor, ...],
    input_names: Sequence[str],
    output_names: Sequence[str],
    path: Path,
) -> None:
    batch = torch.export.Dim("batch", min=1, max=1024)
    sequence = torch.export.Dim("sequence", min=2, max=8192)
    shapes = {name: {0: batch, 1: sequence} for name in input_names}
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                module,
                args,
                dynamo=True,
                input_names=list(input_names),
                output_names=list(output_names),
                dynamic_shapes=shapes,
                opset_version=OPSET,
                external_data=False,
            )
            if program is None:
                raise RuntimeError("the exporter returned no program")
            program.save(str(path), external_data=False)
    except Exception as exc:  # torch.export raises many types
        raise ExportError(f"{path.name}: ONNX export failed ({_first(exc)})") from None


def check_graph(
    path: Path, input_names: Sequence[str], output_names: Sequence[str] = (OUTPUT_NAME,)
) -> int:
    """Checks a written graph: valid, one self-contained file, declared inputs and outputs.

    Args:
        path: The ONNX file.
        input_names: Inputs it must declare.
        output_names: Outputs it must declare.

    Returns:
        The graph's default-domain opset.

    Raises:
        ExportError: The graph is invalid or its inputs/outputs are not the expected ones.
    """
    try:
        model = onnx.load(str(path), load_external_data=False)
        onnx.checker.check_model(model)
    except Exception as exc:  # onnx raises its own error types
        raise ExportError(f"{path.name}: invalid ONNX graph ({_first(exc)})") from None
    external = [
        t.name for t in model.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL
    ]
    if external:
        raise ExportError(f"{path.name}: weights were written as external data ({external[0]})")
    inputs = [i.name for i in model.graph.input]
    outputs = [o.name for o in model.graph.output]
    if inputs != list(input_names) or not set(output_names) <= set(outputs):
        raise ExportError(
            f"{path.name}: graph has inputs {inputs} and outputs {outputs}; expected "
            f"{list(input_names)} and {list(output_names)}"
        )
    return next((int(o.version) for o in model.opset_import if o.domain in ("", "ai.onnx")), OPSET)


def run_graph(
    path: Path, feeds: dict[str, npt.NDArray[np.int64]], output: str = OUTPUT_NAME
) -> npt.NDArray[np.float32]:
    """Runs a graph once on the CPU and returns one output (by default ``logits``)."""
    session = create_session(path, SessionSettings())
    (logits,) = session.run([output], feeds)
    return np.asarray(logits, dtype=np.float32)


def quantize_weights(fp32_path: Path, path: Path, *, per_channel: bool) -> Path:
    """Writes a dynamically int8-quantised copy of a graph (weights int8, activations at run time).

    Args:
        fp32_path: The fp32 graph.
        path: Where to write the int8 graph.
        per_channel: Quantise weights per output channel instead of per tensor.

    Returns:
        ``path``.

    Raises:
        ExportError: Quantisation failed.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    hint_filter = _DropPreprocessHint()
    logging.getLogger().addFilter(hint_filter)
    try:
        quantize_dynamic(fp32_path, path, weight_type=QuantType.QInt8, per_channel=per_channel)
    except Exception as exc:  # onnxruntime raises plain exceptions here
        raise ExportError(f"{fp32_path.name}: int8 quantisation failed ({_first(exc)})") from None
    finally:
        logging.getLogger().removeFilter(hint_filter)
    return path


def quantize_int8(
    fp32_path: Path, out_dir: Path, probe: dict[str, npt.NDArray[np.int64]]
) -> QuantizedGraph:
    """Quantises weights to int8 (dynamic quantisation), keeping the more faithful variant.

    Per-tensor quantisation is tried first; if it changes any top-1 prediction on the probe
    batch, per-channel quantisation is tried too and the variant agreeing more with fp32 wins.

    Args:
        fp32_path: The fp32 graph.
        out_dir: Where the int8 candidates are written.
        probe: A tokenized probe batch.

    Returns:
        The chosen int8 graph.

    Raises:
        ExportError: Quantisation failed.
    """
    reference = run_graph(fp32_path, probe).argmax(axis=1)
    best: QuantizedGraph | None = None
    for per_channel in (False, True):
        path = out_dir / f"model.int8{'.pc' if per_channel else ''}.onnx"
        quantize_weights(fp32_path, path, per_channel=per_channel)
        agreement = float(np.mean(run_graph(path, probe).argmax(axis=1) == reference))
        logger.info(
            "int8 (%s) top-1 agreement with fp32 on %d probe texts: %.2f",
            "per-channel" if per_channel else "per-tensor",
            len(reference),
            agreement,
        )
        if best is None or agreement > best.agreement:
            best = QuantizedGraph(path=path, per_channel=per_channel, agreement=agreement)
        if best.agreement == 1.0:
            break
    assert best is not None
    return best


class _DropPreprocessHint(logging.Filter):
    """Drops the root-logger advice onnxruntime prints on every dynamic quantisation."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def _first(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
