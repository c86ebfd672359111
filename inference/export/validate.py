"""Checking a freshly written bundle before it replaces anything."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import numpy as np

from inference.errors import BundleError, ExportError
from inference.export.tokenizer import encode
from inference.manifest import MANIFEST_FILE, MODEL_FILE, TOKENIZER_FILE, HeadKind, read_manifest

logger = logging.getLogger(__name__)

_PROBE = ("", "hello there 👋", "this is fine")


def validate_bundle(directory: Path) -> None:
    """Validates a written bundle the way the engine will load it.

    Reads the manifest back, opens the graph with ONNX Runtime, checks that its inputs are the
    declared ones and that every head's output exists and is as wide as the head's labels on
    a probe batch. When the engine's own loader (``inference.bundle.ModelBundle``) is present
    it is run as well.

    Args:
        directory: The bundle directory.

    Raises:
        ExportError: Any check failed (the message names the file).
    """
    import onnxruntime as ort

    try:
        manifest = read_manifest(directory / MANIFEST_FILE)
    except BundleError as exc:
        raise ExportError(f"written bundle is invalid: {exc}") from None
    model_path = directory / MODEL_FILE
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    graph_inputs = {i.name for i in session.get_inputs()}
    if graph_inputs != set(manifest.inputs):
        raise ExportError(
            f"{model_path}: graph inputs {sorted(graph_inputs)} differ from manifest inputs "
            f"{sorted(manifest.inputs)}"
        )
    graph_outputs = [o.name for o in session.get_outputs()]
    feeds = encode(directory / TOKENIZER_FILE, _PROBE, manifest.inputs)
    for head in manifest.heads:
        if head.output not in graph_outputs:
            raise ExportError(f"{model_path}: no output {head.output!r} (outputs: {graph_outputs})")
        (value,) = session.run([head.output], feeds)
        value = np.asarray(value)
        if value.shape[0] != len(_PROBE) or (
            head.kind is not HeadKind.EMBEDDING and value.shape[-1] != len(head.labels)
        ):
            raise ExportError(
                f"{model_path}: output {head.output!r} has shape {value.shape}; head "
                f"{head.name!r} has {len(head.labels)} labels"
            )
    _engine_check(directory)


def _engine_check(directory: Path) -> None:
    try:
        bundle_module = importlib.import_module("inference.bundle")
    except ModuleNotFoundError as exc:
        if exc.name != "inference.bundle":
            raise
        logger.debug("inference.bundle not available; skipped the engine's own bundle check")
        return
    try:
        bundle_module.ModelBundle.load(directory)
    except BundleError as exc:
        raise ExportError(f"written bundle does not load: {exc}") from None
