"""ONNX Runtime session policy: the one place where sessions are created.

Threads and providers come from :class:`inference.settings.SessionSettings`; graph optimisation
is on. Every load failure becomes a :class:`BundleError` naming the model file.
"""

from __future__ import annotations

import logging
from pathlib import Path

import onnxruntime as ort

from moodmoji.inference.errors import BundleError
from moodmoji.inference.settings import SessionSettings

logger = logging.getLogger(__name__)

_OPTIMIZATION = {
    "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}
_ORT_ERROR_LEVEL = 3


def session_options(settings: SessionSettings) -> ort.SessionOptions:
    """Builds ORT session options from settings."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = settings.intra_op_threads
    options.inter_op_num_threads = settings.inter_op_threads
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = _OPTIMIZATION[settings.graph_optimization]
    options.log_severity_level = _ORT_ERROR_LEVEL
    return options


def choose_providers(requested: tuple[str, ...]) -> list[str]:
    """Keeps the requested providers this ORT build offers, falling back to the CPU."""
    available = set(ort.get_available_providers())
    chosen = [p for p in requested if p in available]
    skipped = [p for p in requested if p not in available]
    if skipped:
        logger.warning("execution providers not available here, skipped: %s", skipped)
    if not chosen:
        chosen = ["CPUExecutionProvider"]
    return chosen


def create_session(model_path: Path, settings: SessionSettings) -> ort.InferenceSession:
    """Opens an ONNX model as an inference session.

    Args:
        model_path: Path of the ``.onnx`` file.
        settings: Threads, providers and optimisation level.

    Returns:
        A ready session.

    Raises:
        BundleError: The file is missing or ONNX Runtime cannot load it.

    """
    if not model_path.is_file():
        raise BundleError(model_path, "model file is missing")
    try:
        return ort.InferenceSession(
            str(model_path),
            sess_options=session_options(settings),
            providers=choose_providers(settings.providers),
            disabled_optimizers=list(settings.disabled_optimizers) or None,
        )
    except Exception as exc:  # ORT raises its own exception types for every load failure
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BundleError(model_path, f"not a loadable ONNX model ({first_line[:300]})") from None


_BATCH_COUPLED_OPS = (b"DynamicQuantizeLinear",)
_SCAN_CHUNK = 1 << 20


def batch_coupled(model_path: Path) -> bool:
    """Whether a graph quantises activations per run, coupling the rows of a batch.

    Dynamically quantised graphs (``onnxruntime.quantization.quantize_dynamic``, what
    ``moodmoji export --int8`` writes) compute one activation scale per tensor per run, so a
    text's probabilities shift with whatever it is batched with (measured on the previous
    default model: the best reaction changed for 7 % of GoEmotions dev messages between
    batches of 32 and single runs). Such a graph must run one text at a time to give every
    text one answer. Statically quantised graphs (QDQ) carry fixed scales and batch freely.

    The graph file is scanned for the operator's name, which the protobuf stores as plain
    bytes; a missing or unreadable file reads as not coupled (loading reports it).
    """
    longest = max(len(op) for op in _BATCH_COUPLED_OPS)
    try:
        with model_path.open("rb") as stream:
            tail = b""
            while chunk := stream.read(_SCAN_CHUNK):
                window = tail + chunk
                if any(op in window for op in _BATCH_COUPLED_OPS):
                    return True
                tail = window[-longest:]
    except OSError:
        return False
    return False
