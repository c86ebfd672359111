"""The two reference stacks ``moodmoji bench`` measures the default pipeline against.

- :class:`PyTorchStack`: the stack this project was specified against, run the way the models'
  cards tell users to run them: transformers + PyTorch on the CPU, the five models one after
  another for each message.
- :class:`OrtInt8Stack`: the same five checkpoints exported by ``moodmoji export --int8`` and
  run one after another by moodmoji's ONNX Runtime :class:`~inference.engine.Engine`.

Both return, per message, one :class:`ModelScores` per model, in the same order.

Example::

    checkpoints = ensure_reference_checkpoints(cache / "checkpoints")
    dirs = [c.path for c in checkpoints]
    with PyTorchStack.from_checkpoints(dirs) as torch_stack:
        scores = torch_stack.predict("pizza tonight? 🍕")
    bundles = OrtInt8Stack.export_bundles(dirs, cache / "bundles")
    with OrtInt8Stack.from_bundles([b.path for b in bundles]) as ort_stack:
        scores = ort_stack.predict("pizza tonight? 🍕")
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from moodmoji.inference.engine import Engine
from moodmoji.inference.errors import ExportError
from moodmoji.inference.manifest import MODEL_FILE, HeadKind
from moodmoji.inference.settings import EngineSettings
from moodmoji.tools.bench.reference_models import (
    BERTMOJI_WEIGHTS,
    BUILD_RECORD,
    EXPORT_EXTRA_HINT,
    directory_bytes,
    fingerprint_of,
    read_build_record,
    write_build_record,
)

try:
    import onnxruntime
    import torch
    import transformers
    from torch import nn
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, DebertaV2Config
    from transformers.utils import logging as hf_logging

    from moodmoji.inference.export import export_checkpoint
    from moodmoji.inference.export.bertmoji import BERTMOJI_MAX_LENGTH, MAPPINGS_FILE, BertMoji
except (ImportError, ExportError) as exc:  # inference.export raises ExportError without it
    raise ImportError(EXPORT_EXTRA_HINT) from exc

logger = logging.getLogger(__name__)

__all__ = [
    "ModelScores",
    "OrtInt8Stack",
    "PyTorchStack",
    "ReferenceBundle",
    "TorchReference",
    "load_torch_reference",
]

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ModelScores:
    """What one model of a stack says about one message.

    Attributes:
        name: The model (its checkpoint or bundle directory name).
        labels: Its labels, in output order.
        probabilities: One probability per label: softmax over the labels, or independent
            sigmoids when ``multi_label``.
        multi_label: Whether the head is multi-label.
    """

    name: str
    labels: tuple[str, ...]
    probabilities: FloatArray = field(compare=False)
    multi_label: bool = False

    @property
    def top1(self) -> int:
        """Index of the most probable label."""
        return int(np.argmax(self.probabilities))


class _Stack:
    """Context-manager plumbing shared by both stacks."""

    def close(self) -> None:
        """Releases the models (nothing else holds resources)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --- PyTorch --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TorchReference:
    """One model loaded for the PyTorch stack.

    Attributes:
        name: The model.
        labels: Its labels, in output order.
        multi_label: Sigmoid multi-label head (else softmax).
        tokenizer: Its transformers tokenizer (fast).
        module: The model in eval mode.
        bertmoji: Whether ``module`` is a BertMoji (else a ``*ForSequenceClassification``).
        max_length: Truncation length passed to the tokenizer; ``None``: the tokenizer's own.
    """

    name: str
    labels: tuple[str, ...]
    multi_label: bool
    tokenizer: Any
    module: nn.Module
    bertmoji: bool
    max_length: int | None

    def scores(self, text: str) -> ModelScores:
        """Runs the model on one message, as its card does; call under inference mode."""
        if self.max_length is None:
            encoded = self.tokenizer(text, truncation=True, return_tensors="pt")
        else:
            encoded = self.tokenizer(
                text, truncation=True, max_length=self.max_length, return_tensors="pt"
            )
        if self.bertmoji:
            logits = self.module(encoded["input_ids"], encoded["attention_mask"])
        else:
            logits = self.module(**encoded).logits
        probs = torch.sigmoid(logits[0]) if self.multi_label else torch.softmax(logits[0], -1)
        return ModelScores(
            name=self.name,
            labels=self.labels,
            probabilities=probs.numpy().astype(np.float32),
            multi_label=self.multi_label,
        )


def load_torch_reference(path: Path) -> TorchReference:
    """Loads a checkpoint directory the way its model card does.

    ``*ForSequenceClassification`` models: ``AutoTokenizer.from_pretrained`` and
    ``AutoModelForSequenceClassification.from_pretrained``. BertMoji (a directory with
    ``emoji_mappings.json``), as its training code does: the encoder configuration, the
    BertMoji module, its state dict from ``pytorch_model.bin`` (``weights_only``), and the
    tokenizer run with ``max_length=96``.

    Args:
        path: The checkpoint directory; its name becomes the model's name.

    Returns:
        The model, in eval mode.
    """
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # keep stderr quiet
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    if (path / MAPPINGS_FILE).is_file():
        table = json.loads((path / MAPPINGS_FILE).read_text(encoding="utf-8"))["id_to_emoji"]
        labels = tuple(str(table[str(i)]) for i in range(len(table)))
        config = DebertaV2Config.from_pretrained(path, local_files_only=True)
        module: nn.Module = BertMoji(config, len(labels))
        state = torch.load(path / BERTMOJI_WEIGHTS, map_location="cpu", weights_only=True)
        module.load_state_dict(state)
        return TorchReference(
            name=path.name,
            labels=labels,
            multi_label=False,
            tokenizer=tokenizer,
            module=module.eval(),
            bertmoji=True,
            max_length=BERTMOJI_MAX_LENGTH,
        )
    model = AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True)
    config = model.config
    return TorchReference(
        name=path.name,
        labels=tuple(str(config.id2label[i]) for i in range(int(config.num_labels))),
        multi_label=config.problem_type == "multi_label_classification",
        tokenizer=tokenizer,
        module=model.eval(),
        bertmoji=False,
        max_length=None,
    )


class PyTorchStack(_Stack):
    """The five models in transformers + PyTorch on the CPU, one after another per message.

    Each model runs as its card shows: tokenizer (fast, truncation on), model, then softmax
    (sigmoid for the multi-label model) over the logits, under ``torch.inference_mode()``.
    The cards' other recipe, ``pipeline("text-classification", top_k=None)``, does the same
    work plus per-call pipeline bookkeeping and label sorting in Python; the direct calls are
    used so that the stack is measured at its fastest.

    Args:
        models: The loaded models, in run order.
        threads: ``torch.set_num_threads`` (process-wide) when given; by default torch's own
            choice stays (one thread per core).
    """

    def __init__(self, models: Sequence[TorchReference], *, threads: int | None = None) -> None:
        if threads is not None:
            torch.set_num_threads(threads)
        self._models = tuple(models)

    @classmethod
    def from_checkpoints(cls, paths: Iterable[Path], *, threads: int | None = None) -> Self:
        """Loads every checkpoint directory with :func:`load_torch_reference`."""
        return cls([load_torch_reference(Path(p)) for p in paths], threads=threads)

    @property
    def names(self) -> tuple[str, ...]:
        """The models, in run order."""
        return tuple(m.name for m in self._models)

    @property
    def threads(self) -> int:
        """Threads torch runs an operator on."""
        return int(torch.get_num_threads())

    def predict(self, text: str) -> tuple[ModelScores, ...]:
        """Runs every model on one message, one after another.

        Args:
            text: The message.

        Returns:
            One result per model, in run order.
        """
        with torch.inference_mode():
            return tuple(model.scores(text) for model in self._models)

    def close(self) -> None:
        """Drops the models."""
        self._models = ()


# --- ONNX Runtime int8 ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceBundle:
    """An int8 bundle exported from a reference checkpoint, now or found in the cache.

    Attributes:
        name: The model (the checkpoint directory's name).
        path: The bundle directory.
        reused: Whether it was found in the cache (``False``: exported by this call).
        export_seconds: How long the export took (when reused: when it was exported).
        model_bytes: Size of ``model.onnx``.
        per_channel: Whether the exporter chose per-channel weight quantisation.
        int8_agreement: The exporter's int8-vs-fp32 top-1 agreement on its probe texts.
    """

    name: str
    path: Path
    reused: bool
    export_seconds: float
    model_bytes: int
    per_channel: bool | None
    int8_agreement: float | None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def _export_fingerprint(checkpoint: Path) -> str:
    """What an exported bundle depends on: the checkpoint and the exporting software."""
    try:
        source: Any = json.loads((checkpoint / BUILD_RECORD).read_text(encoding="utf-8"))
        source = source.get("fingerprint") if isinstance(source, dict) else None
    except (OSError, ValueError):
        source = None
    if not isinstance(source, str):  # not built by us: name, size and time of every file
        source = sorted(
            (p.name, p.stat().st_size, p.stat().st_mtime_ns)
            for p in checkpoint.iterdir()
            if p.is_file()
        )
    return fingerprint_of(
        {
            "checkpoint": source,
            "int8": True,
            "moodmoji": _version("moodmoji"),
            "torch": str(torch.__version__),
            "transformers": str(transformers.__version__),
            "onnxruntime": str(onnxruntime.__version__),
        }
    )


def _quantization(bundle: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
        found = manifest.get("provenance", {}).get("quantization") or {}
    except (OSError, ValueError, AttributeError):
        return {}
    return found if isinstance(found, dict) else {}


class OrtInt8Stack(_Stack):
    """The five models exported to int8 bundles, run one after another by moodmoji's engine.

    Args:
        engines: ``(name, engine)`` pairs, in run order.
    """

    def __init__(self, engines: Sequence[tuple[str, Engine]]) -> None:
        self._engines = tuple(engines)

    @staticmethod
    def export_bundles(
        checkpoints: Iterable[Path],
        out_dir: Path,
        *,
        progress: Callable[[str], None] | None = None,
    ) -> tuple[ReferenceBundle, ...]:
        """Exports each checkpoint as ``moodmoji export CHECKPOINT OUT --int8`` does.

        The bundle of ``checkpoint`` is ``out_dir / checkpoint.name``. A bundle whose build
        record matches the checkpoint (its build record, else its files' sizes and times) and
        the installed moodmoji, torch, transformers and onnxruntime is reused; any other is
        deleted and exported again.

        Args:
            checkpoints: Checkpoint directories (e.g. from ``ensure_reference_checkpoints``).
            out_dir: Where the bundles go (created if needed).
            progress: Called with a short line before each export.

        Returns:
            One bundle per checkpoint, in order.

        Raises:
            ExportError: A checkpoint does not export.
        """
        out_dir.mkdir(parents=True, exist_ok=True)
        bundles: list[ReferenceBundle] = []
        for checkpoint in map(Path, checkpoints):
            out = out_dir / checkpoint.name
            fingerprint = _export_fingerprint(checkpoint)
            record = read_build_record(out, fingerprint)
            reused = record is not None
            if record is None:
                if progress is not None:
                    progress(f"exporting {checkpoint.name} to int8 ONNX")
                shutil.rmtree(out, ignore_errors=True)
                report = export_checkpoint(checkpoint, out, int8=True)
                quantization = _quantization(out)
                record = write_build_record(
                    out,
                    fingerprint,
                    export_seconds=round(report.seconds, 3),
                    per_channel=quantization.get("per_channel"),
                    int8_agreement=report.int8_agreement,
                    bundle_bytes=directory_bytes(out),
                )
                logger.info("exported %s", report.summary())
            per_channel = record.get("per_channel")
            agreement = record.get("int8_agreement")
            bundles.append(
                ReferenceBundle(
                    name=checkpoint.name,
                    path=out,
                    reused=reused,
                    export_seconds=float(record.get("export_seconds", 0.0)),
                    model_bytes=(out / MODEL_FILE).stat().st_size,
                    per_channel=per_channel if isinstance(per_channel, bool) else None,
                    int8_agreement=float(agreement) if agreement is not None else None,
                )
            )
        return tuple(bundles)

    @classmethod
    def from_bundles(cls, paths: Iterable[Path], settings: EngineSettings | None = None) -> Self:
        """Loads every bundle directory with :meth:`Engine.from_path`.

        Args:
            paths: Bundle directories; their names become the models' names.
            settings: Engine settings (default: moodmoji's defaults).
        """
        return cls([(Path(p).name, Engine.from_path(p, settings)) for p in paths])

    @property
    def names(self) -> tuple[str, ...]:
        """The models, in run order."""
        return tuple(name for name, _ in self._engines)

    def predict(self, text: str) -> tuple[ModelScores, ...]:
        """Runs every engine on one message (``engine.predict([text])``), one after another.

        Args:
            text: The message.

        Returns:
            One result per model, in run order (each bundle's first head).
        """
        found: list[ModelScores] = []
        for name, engine in self._engines:
            result = next(iter(engine.predict([text])[0].heads.values()))
            probabilities = result.probabilities
            assert probabilities is not None  # classifier heads always carry probabilities
            found.append(
                ModelScores(
                    name=name,
                    labels=result.labels,
                    probabilities=probabilities,
                    multi_label=result.kind is HeadKind.SIGMOID,
                )
            )
        return tuple(found)

    def close(self) -> None:
        """Drops the engines."""
        self._engines = ()
