"""The export pipeline: checkpoint directory in, validated bundle directory out."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from moodmoji.inference.errors import ExportError
from moodmoji.inference.export.checkpoint import inspect_checkpoint, load_model
from moodmoji.inference.export.labels import build_head, final_labels, head_name
from moodmoji.inference.export.model_card import card_licence
from moodmoji.inference.export.onnx_graph import export_onnx, quantize_int8
from moodmoji.inference.export.report import ExportReport
from moodmoji.inference.export.tokenizer import choose_max_length, load_tokenizer, save_tokenizer
from moodmoji.inference.export.validate import validate_bundle
from moodmoji.inference.manifest import (
    MANIFEST_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    HeadSpec,
    Manifest,
)
from moodmoji.inference.text_encoder import TextEncoder

logger = logging.getLogger(__name__)

EXPORTER = "moodmoji export"

PROBE_TEXTS = (
    "hello there 👋",
    "I love this so much ❤️",
    "ugh, my train is late again",
    "thank you!! that was really kind",
    "lol that's hilarious 😂",
    "I'm so scared about tomorrow's exam",
    "wow, I did not expect that",
    "this is disgusting",
    "ok",
    "can't stop crying, I miss her",
    "pizza tonight? 🍕",
    "why would you do that?!",
    "congrats on the new job 🎉",
    "meh, whatever",
    "I'm furious right now",
    "good morning everyone ☀️",
)
"""Short chat-like lines used to compare the int8 graph with the fp32 one."""


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

    See :func:`inference.export.export_checkpoint` for the full description.
    """
    started = time.perf_counter()
    src, out = Path(src), Path(out)
    checkpoint = inspect_checkpoint(src)
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: output exists and is not a directory")
    loaded = load_model(checkpoint)
    final = final_labels(loaded.labels, labels, found_in=loaded.labels_file)
    if loaded.emoji is not None:
        name, emoji_map = "emoji", dict(zip(final, loaded.emoji, strict=True))
    else:
        name, emoji_map = head_name(final), {}
    head = build_head(
        name=name,
        labels=final,
        multi_label=loaded.multi_label,
        threshold=threshold,
        emoji_map=emoji_map,
    )
    tokenizer = load_tokenizer(src)
    if tokenizer.vocab_size > loaded.vocab_size:
        raise ExportError(
            f"{src}: the tokenizer has {tokenizer.vocab_size} tokens but the model's embedding "
            f"table only {loaded.vocab_size} rows"
        )
    length = choose_max_length(
        max_length,
        declared=tokenizer.declared_max_length,
        max_positions=loaded.max_positions,
        trained=loaded.default_max_length,
    )

    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.export-", dir=out.parent))
    try:
        tokenizer_bytes = save_tokenizer(tokenizer, stage / TOKENIZER_FILE, length)
        fp32_path = stage / "model.fp32.onnx"
        opset = export_onnx(loaded.module, loaded.input_names, loaded.vocab_size, fp32_path)
        fp32_bytes = fp32_path.stat().st_size
        quantization: dict[str, Any] | None = None
        agreement: float | None = None
        if int8:
            encoder = TextEncoder.from_file(stage / TOKENIZER_FILE, length, loaded.input_names)
            probe = encoder.encode(PROBE_TEXTS).arrays
            chosen = quantize_int8(fp32_path, stage, probe)
            os.replace(chosen.path, stage / MODEL_FILE)
            agreement = chosen.agreement
            quantization = {
                "method": "dynamic",
                "weight_type": "int8",
                "per_channel": chosen.per_channel,
                "probe_top1_agreement": round(agreement, 4),
                "tool": "onnxruntime.quantization.quantize_dynamic",
            }
        else:
            os.replace(fp32_path, stage / MODEL_FILE)
        manifest = _manifest(
            src,
            loaded.architecture,
            loaded.model_type,
            loaded.input_names,
            length,
            head,
            opset,
            quantization,
        )
        manifest.write(stage)
        validate_bundle(stage)
        _install(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)

    report = ExportReport(
        source=src,
        output=out,
        architecture=loaded.architecture,
        model_type=loaded.model_type,
        head_name=head.name,
        head_kind=head.kind,
        num_labels=len(head.labels),
        inputs=loaded.input_names,
        max_length=length,
        opset=opset,
        quantization="dynamic-int8" if int8 else None,
        fp32_bytes=fp32_bytes,
        model_bytes=(out / MODEL_FILE).stat().st_size,
        tokenizer_bytes=tokenizer_bytes,
        int8_agreement=agreement,
        seconds=time.perf_counter() - started,
    )
    logger.info("exported %s", report.summary())
    return report


def _manifest(
    src: Path,
    architecture: str,
    model_type: str,
    inputs: tuple[str, ...],
    max_length: int,
    head: HeadSpec,
    opset: int,
    quantization: dict[str, Any] | None,
) -> Manifest:
    import torch
    import transformers

    source = src.resolve().name or str(src)
    provenance: dict[str, Any] = {
        "source": source,
        "architecture": architecture,
        "model_type": model_type,
        "quantization": quantization,
        "exporter": EXPORTER,
        "opset": opset,
        "torch": str(torch.__version__),
        "transformers": str(transformers.__version__),
    }
    licence = card_licence(src)
    if licence:
        provenance["licence"] = licence
    return Manifest(
        name=source,
        inputs=inputs,
        max_length=max_length,
        heads=(head,),
        provenance=provenance,
    )


def _install(stage: Path, out: Path) -> None:
    """Moves the three bundle files from the staging directory into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for name in (MODEL_FILE, TOKENIZER_FILE, MANIFEST_FILE):
        os.replace(stage / name, out / name)
