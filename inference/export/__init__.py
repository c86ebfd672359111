"""The exporter: a Hugging Face checkpoint directory -> a moodmoji model bundle.

Needs the ``export`` extra (torch, transformers, onnx, emoji...). Importing this package
without it raises :class:`~inference.errors.ExportError` with the install command; the heavy
libraries themselves are only imported when an export runs.

Example::

    from moodmoji.inference.export import export_checkpoint

    report = export_checkpoint(Path("ckpt/emoticare"), Path("models/emoticare"), int8=True)
    print(report.summary())
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path

from moodmoji.inference.errors import ExportError
from moodmoji.inference.export.report import ExportReport

__all__ = ["ExportReport", "export_checkpoint"]

INSTALL_HINT = "pip install 'moodmoji[export]'"
_REQUIRED = ("torch", "transformers", "onnx", "onnxscript", "emoji", "yaml")

_missing = [name for name in _REQUIRED if find_spec(name) is None]
if _missing:
    raise ExportError(f"the exporter needs {', '.join(_missing)}: {INSTALL_HINT}")


def export_checkpoint(
    src: Path,
    out: Path,
    *,
    int8: bool = False,
    labels: Sequence[str] | None = None,
    threshold: float | None = None,
    max_length: int | None = None,
) -> ExportReport:
    """Exports a Hugging Face checkpoint directory to a model bundle.

    Understands BertMoji (DeBERTa-v3 encoder + emoji classifier, labels in
    ``emoji_mappings.json``) and ``*ForSequenceClassification`` models of BERT, DistilBERT,
    RoBERTa and DeBERTa-v2/v3. Writes ``model.onnx`` (one file, dynamic batch and sequence
    axes, output ``logits``), ``tokenizer.json`` and ``manifest.json`` into ``out``, after
    validating them in a staging directory next to it, so a failed export leaves ``out``
    untouched.

    Args:
        src: The checkpoint directory.
        out: The bundle directory to write (created if needed; bundle files are replaced).
        int8: Quantise weights to int8 (dynamic quantisation) instead of writing fp32.
        labels: Label names in output order; replace the checkpoint's (required when those are
            generic ``LABEL_n``).
        threshold: Decision threshold of every label of a multi-label model (default 0.3).
        max_length: Longest token sequence (default: 96 for BertMoji, else the tokenizer's
            limit capped by the position embeddings, at most 512 when none is declared).

    Returns:
        What was written.

    Raises:
        ExportError: The checkpoint is missing, unknown or broken, an option does not fit the
            model, or the written bundle fails validation (one line naming the file or
            option).
    """
    try:
        from moodmoji.inference.export.pipeline import export_checkpoint as run
    except ImportError as exc:
        raise ExportError(f"the exporter cannot import {exc.name}: {INSTALL_HINT}") from None
    return run(
        Path(src),
        Path(out),
        int8=int8,
        labels=labels,
        threshold=threshold,
        max_length=max_length,
    )
