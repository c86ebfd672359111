"""The summary an export hands back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from moodmoji.inference.manifest import HeadKind


@dataclass(frozen=True)
class ExportReport:
    """What :func:`inference.export.export_checkpoint` produced.

    Attributes:
        source: The checkpoint directory that was read.
        output: The bundle directory that was written.
        architecture: Detected architecture, e.g. ``BertMoji`` or
            ``DistilBertForSequenceClassification``.
        model_type: The encoder's Hugging Face ``model_type`` (``deberta-v2``, ``bert``...).
        head_name: Name of the bundle's single head.
        head_kind: ``softmax`` or ``sigmoid``.
        num_labels: Number of labels (width of the ``logits`` output).
        inputs: Graph input names, in graph order.
        max_length: Longest token sequence written to the manifest.
        opset: ONNX opset of the written graph.
        quantization: ``None`` for fp32, else a short description such as ``dynamic-int8``.
        fp32_bytes: Size of the fp32 graph before any quantisation.
        model_bytes: Size of the written ``model.onnx``.
        tokenizer_bytes: Size of the written ``tokenizer.json``.
        int8_agreement: Top-1 agreement of the int8 graph with the fp32 graph on a small probe
            set of chat-like texts (``None`` without quantisation).
        seconds: Wall time of the whole export.
    """

    source: Path
    output: Path
    architecture: str
    model_type: str
    head_name: str
    head_kind: HeadKind
    num_labels: int
    inputs: tuple[str, ...]
    max_length: int
    opset: int
    quantization: str | None
    fp32_bytes: int
    model_bytes: int
    tokenizer_bytes: int
    int8_agreement: float | None
    seconds: float

    def summary(self) -> str:
        """One line a command-line tool can print."""
        quant = self.quantization or "fp32"
        agreement = (
            "" if self.int8_agreement is None else f", probe agreement {self.int8_agreement:.0%}"
        )
        return (
            f"{self.architecture} ({self.model_type}) -> {self.output}: head {self.head_name!r} "
            f"{self.head_kind} x{self.num_labels}, inputs {', '.join(self.inputs)}, "
            f"max_length {self.max_length}, opset {self.opset}, {quant} "
            f"{self.model_bytes / 1e6:.1f} MB{agreement}, {self.seconds:.1f} s"
        )
