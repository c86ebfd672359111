"""The training loop: seeded, resumable, with periodic checkpoints and dev evaluation."""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import nn
from tqdm import tqdm
from transformers import PreTrainedModel

from moodmoji.inference.errors import InferenceError
from moodmoji.inference.metrics import (
    cross_fitted_scores,
    multi_label_scores,
    single_label_scores,
    tune_thresholds,
)
from moodmoji.inference.training.data import (
    TokenisedSplit,
    class_priors,
    epoch_plan,
    group_members,
    length_sorted_batches,
    load_splits,
    load_tokenizer,
    pad,
    subsample,
)
from moodmoji.inference.training.model import (
    MultiTaskModel,
    load_encoder,
    mean_pool,
    pretrained_encoder_dir,
)
from moodmoji.inference.training.settings import TrainSettings

logger = logging.getLogger(__name__)

CHECKPOINT_FILE = "checkpoint.pt"
FINAL_FILE = "final.pt"
METRICS_FILE = "metrics.json"
_EVAL_BATCH = 128


@dataclass(frozen=True)
class TrainResult:
    """The outcome of a finished run.

    Attributes:
        final: The final weights file (``final.pt``): state dict, tasks, encoder directory,
            tuned GoEmotions thresholds and dev metrics.
        metrics: Dev metrics per task (thresholds tuned on dev for multi-label tasks).
        steps: Optimiser steps taken.
        seconds: Wall time of this call (a resumed run counts only its own part).
        device: The torch device used.
    """

    final: Path
    metrics: dict[str, Any]
    steps: int
    seconds: float
    device: str


def train(settings: TrainSettings, *, resume: bool = False) -> TrainResult:
    """Fine-tunes the encoder on every task and writes ``final.pt`` into the run folder.

    Args:
        settings: The run's settings.
        resume: Continue from the run folder's checkpoint (its settings must match).

    Returns:
        Where the final weights are and their dev metrics.

    Raises:
        InferenceError: Data or encoder missing, or the run folder holds a checkpoint that
            ``resume`` was not asked for or that belongs to other settings.
    """
    started = time.perf_counter()
    out = settings.out_dir
    out.mkdir(parents=True, exist_ok=True)
    checkpoint_path = out / CHECKPOINT_FILE
    if checkpoint_path.exists() and not resume:
        raise InferenceError(
            f"{checkpoint_path}: the run folder already has a checkpoint; pass --resume to "
            "continue it or choose another --out"
        )
    device = _device(settings.device)
    _seed_everything(settings.seed)
    encoder_dir = pretrained_encoder_dir(settings.encoder)
    tokenizer = load_tokenizer(encoder_dir, settings.max_length)
    pad_id = tokenizer.token_to_id("[PAD]") or 0
    train_splits, dev_splits = load_splits(
        settings.data_root,
        settings.tasks,
        tokenizer,
        settings.limit,
        settings.emoji_names,
        settings.response_data,
    )
    members = group_members(settings.tasks)
    for task, count in settings.sample:
        # a group's members read the same rows: sample all of them alike (same seed and sizes)
        group = next((m for m in members.values() if task in m), (task,))
        for name in group:
            if name in train_splits:
                train_splits[name] = subsample(train_splits[name], count, settings.seed)
    leaders = {task: train_splits[task] for task in members}
    logger.info(
        "training on %s (%s) with %d threads: %s",
        device,
        encoder_dir.name,
        torch.get_num_threads(),
        {task: len(split.ids) for task, split in train_splits.items()},
    )
    teacher: dict[str, torch.Tensor] = {}
    if settings.distill_weight > 0:
        teacher = _teacher_embeddings(encoder_dir, leaders, out, device, pad_id)

    model = MultiTaskModel.from_pretrained(encoder_dir, settings.tasks)
    fresh = set(settings.tasks)
    if settings.init is not None:
        fresh = _initialise(model, settings.init)
    _prior_biases(model, {task: train_splits[task] for task in fresh})
    model = model.to(device)
    repeats = dict(settings.repeats)
    plans = [
        epoch_plan(leaders, settings.batch_size, settings.seed, epoch, repeats)
        for epoch in range(settings.epochs)
    ]
    total = sum(len(plan) for plan in plans)
    if settings.max_steps is not None:
        total = min(total, settings.max_steps)
    optimizer = _optimizer(model, settings)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, _warmup_then_linear(total, settings.warmup)
    )
    step = 0
    history: list[dict[str, Any]] = []
    earlier = 0.0
    if resume and checkpoint_path.exists():
        step, history, earlier = _load_checkpoint(
            checkpoint_path, settings, model, optimizer, schedule
        )
        logger.info("resumed at step %d of %d", step, total)
    clock = _Clock(started, earlier)

    progress = tqdm(total=total, initial=step, desc="train", unit="step", file=sys.stderr)
    running = 0.0
    for epoch, position, batch in _remaining(plans, step, total):
        model.train()
        split = train_splits[batch.task]
        input_ids, mask = (t.to(device) for t in pad(split.ids, batch.rows, pad_id))
        pooled = model.pooled(input_ids, mask)
        loss = torch.zeros((), device=device)
        for task in members[batch.task]:
            member = train_splits[task]
            logits = model.task_logits(pooled, task)
            loss = loss + _task_loss(member, logits, member.targets(batch.rows).to(device))
        if teacher:
            target = teacher[batch.task][torch.as_tensor(batch.rows)].to(device).float()
            student = model.embedding(pooled)
            loss = (
                loss
                + settings.distill_weight
                * (1.0 - nn.functional.cosine_similarity(student, target, dim=-1)).mean()
            )
        loss.backward()  # type: ignore[no-untyped-call]
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        value = loss.item()
        running = 0.98 * running + 0.02 * value if step > 1 else value
        progress.update(1)
        progress.set_postfix(loss=f"{running:.3f}", epoch=epoch + 1)
        end_of_epoch = position == len(plans[epoch]) - 1
        if end_of_epoch or step == total:
            scores = evaluate(model, dev_splits, device, pad_id)
            history.append({"epoch": epoch + 1, "step": step, "dev": scores})
            logger.info("epoch %d dev: %s", epoch + 1, json.dumps(scores))
        if step % settings.checkpoint_every == 0 or end_of_epoch or step == total:
            _save_checkpoint(
                checkpoint_path, settings, model, optimizer, schedule, step, history, clock()
            )
    progress.close()
    priors = {
        task: class_priors(split)
        for task, split in train_splits.items()
        if not split.dataset.task.multi_label
    }
    return _finish(
        settings, model, dev_splits, device, pad_id, encoder_dir, history, step, clock, priors
    )


class _Clock:
    """Training seconds so far, counting the runs before a resume."""

    def __init__(self, started: float, earlier: float) -> None:
        self.started = started
        self.earlier = earlier

    def __call__(self) -> float:
        return self.earlier + time.perf_counter() - self.started


def hardware(device: torch.device) -> str:
    """A one-line description of the machine a run trained on."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA), {os.cpu_count()} CPU cores"
    return f"{_cpu_name()}, {torch.get_num_threads()} CPU threads"


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _remaining(plans: list[list[Any]], done: int, total: int) -> Iterator[tuple[int, int, Any]]:
    """Yields ``(epoch, position, batch)`` for the steps after the first ``done``."""
    step = 0
    for epoch, plan in enumerate(plans):
        for position, batch in enumerate(plan):
            if step >= total:
                return
            if step >= done:
                yield epoch, position, batch
            step += 1


def _initialise(model: MultiTaskModel, final: Path) -> set[str]:
    """Loads a finished run's weights: the encoder, the embedding head and matching task heads.

    Heads the earlier run did not have (or had with other labels) keep their fresh weights.

    Returns:
        The tasks whose heads are fresh.
    """
    try:
        record = torch.load(final, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises several types for a missing or corrupt file
        raise InferenceError(f"{final}: not a readable weights file ({exc})") from None
    own = model.state_dict()
    usable = {
        key: value
        for key, value in record["model"].items()
        if key in own and own[key].shape == value.shape
    }
    model.load_state_dict(usable, strict=False)
    fresh = {key.split(".")[1] for key in own if key not in usable and key.startswith("heads.")}
    logger.info("initialised from %s; fresh heads: %s", final, sorted(fresh) or "none")
    return fresh


def _prior_biases(model: MultiTaskModel, splits: dict[str, TokenisedSplit]) -> None:
    """Starts each fresh multi-label head's biases at the log-odds of its label frequencies.

    A sigmoid head over hundreds of mostly-absent labels (the reaction head's 495 emoji) would
    otherwise begin with a loss of ``0.69`` per label, whose gradients swamp the encoder in the
    first steps; starting at the priors, the head only has to learn what the text adds.
    """
    with torch.no_grad():
        for task, split in splits.items():
            if not split.dataset.task.multi_label or not split.ids:
                continue
            frequency = split.targets(np.arange(len(split.ids))).mean(dim=0)
            p = frequency.clamp(1e-3, 0.5)
            head: nn.Linear = model.heads[task]  # type: ignore[assignment]
            head.bias.copy_(torch.log(p / (1 - p)))


def _task_loss(split: TokenisedSplit, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if split.dataset.task.soft:
        return -(target * nn.functional.log_softmax(logits, dim=-1)).sum(dim=1).mean()
    if split.dataset.task.multi_label:
        per_label = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
        return per_label.sum(dim=1).mean()
    return nn.functional.cross_entropy(logits, target)


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InferenceError("--device cuda: no CUDA device is available")
    if name not in ("cpu", "cuda"):
        raise InferenceError(f"--device: {name!r} is not one of auto, cpu, cuda")
    return torch.device(name)


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def _optimizer(model: MultiTaskModel, settings: TrainSettings) -> torch.optim.Optimizer:
    groups: dict[tuple[float, float], list[nn.Parameter]] = {}
    for name, parameter in model.named_parameters():
        lr = settings.encoder_lr if name.startswith("encoder.") else settings.head_lr
        no_decay = parameter.ndim < 2 or "LayerNorm" in name
        groups.setdefault((lr, 0.0 if no_decay else settings.weight_decay), []).append(parameter)
    return torch.optim.AdamW(
        [{"params": p, "lr": lr, "weight_decay": wd} for (lr, wd), p in groups.items()]
    )


def _warmup_then_linear(total: int, warmup: float) -> Any:
    warm = max(1, math.ceil(total * warmup))

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total - step) / max(1, total - warm))

    return factor


def _teacher_embeddings(
    encoder_dir: Path,
    splits: dict[str, TokenisedSplit],
    out: Path,
    device: torch.device,
    pad_id: int,
) -> dict[str, torch.Tensor]:
    """Sentence embeddings of the untouched encoder for every training text, cached in ``out``."""
    teacher: PreTrainedModel | None = None
    result: dict[str, torch.Tensor] = {}
    for task, split in splits.items():
        cache = out / f"teacher-{task}-{len(split.ids)}.npy"
        if cache.exists():
            result[task] = torch.from_numpy(np.load(cache))
            continue
        if teacher is None:
            teacher = load_encoder(encoder_dir)
            nn.Module.eval(teacher)
            teacher = teacher.to(device)  # type: ignore[arg-type]
        vectors = _embed(teacher, split, device, pad_id, desc=f"teacher {task}")
        np.save(cache, vectors.numpy().astype(np.float16))
        result[task] = vectors.half()
    return result


@torch.no_grad()
def _embed(
    encoder: PreTrainedModel, split: TokenisedSplit, device: torch.device, pad_id: int, desc: str
) -> torch.Tensor:
    vectors = torch.zeros(len(split.ids), int(encoder.config.hidden_size))
    batches = length_sorted_batches([len(i) for i in split.ids], _EVAL_BATCH)
    for rows in tqdm(batches, desc=desc, unit="batch", file=sys.stderr, leave=False):
        input_ids, mask = (t.to(device) for t in pad(split.ids, rows, pad_id))
        hidden = encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
        pooled = nn.functional.normalize(mean_pool(hidden, mask), dim=-1)
        vectors[torch.as_tensor(rows)] = pooled.float().cpu()
    return vectors


@torch.no_grad()
def predict_split(
    model: MultiTaskModel, split: TokenisedSplit, device: torch.device, pad_id: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Head probabilities (softmax or sigmoid) and embeddings of a split, in row order."""
    model.eval()
    n = len(split.ids)
    labels = len(split.dataset.task.labels)
    probabilities = np.zeros((n, labels), dtype=np.float32)
    embeddings = np.zeros((n, model.embedding.out_features), dtype=np.float32)
    for rows in length_sorted_batches([len(i) for i in split.ids], _EVAL_BATCH):
        input_ids, mask = (t.to(device) for t in pad(split.ids, rows, pad_id))
        pooled = model.pooled(input_ids, mask)
        logits = model.task_logits(pooled, split.task)
        if split.dataset.task.multi_label:
            scores = torch.sigmoid(logits)
        else:
            scores = torch.softmax(logits, dim=-1)
        probabilities[rows] = scores.float().cpu().numpy()
        embeddings[rows] = model.embedding(pooled).float().cpu().numpy()
    return probabilities, embeddings


def gold_matrix(split: TokenisedSplit) -> npt.NDArray[np.bool_]:
    """Multi-hot gold labels of a multi-label split."""
    out = np.zeros((len(split.ids), len(split.dataset.task.labels)), dtype=bool)
    for row, example in enumerate(split.dataset.examples):
        out[row, list(example.labels)] = True
    return out


def evaluate(
    model: MultiTaskModel,
    dev: dict[str, TokenisedSplit],
    device: torch.device,
    pad_id: int,
    thresholds: dict[str, tuple[float, ...]] | None = None,
) -> dict[str, Any]:
    """Dev metrics per task; multi-label tasks at 0.5 and with thresholds tuned on dev."""
    scores: dict[str, Any] = {}
    for task, split in dev.items():
        probabilities, _ = predict_split(model, split, device, pad_id)
        if split.dataset.task.multi_label:
            gold = gold_matrix(split)
            tuned = (thresholds or {}).get(task) or tune_thresholds(probabilities, gold)
            cuts = np.asarray(tuned, dtype=np.float32)[None, :]
            scores[task] = {
                "at_0.5": multi_label_scores(probabilities >= 0.5, gold).as_dict(),
                "tuned": multi_label_scores(probabilities >= cuts, gold).as_dict(),
                "tuned_cross_fitted": cross_fitted_scores(probabilities, gold).as_dict(),
            }
        else:
            gold_ids = np.array([e.labels[0] for e in split.dataset.examples], dtype=np.int64)
            scores[task] = single_label_scores(probabilities, gold_ids).as_dict()
    return scores


def _save_checkpoint(
    path: Path,
    settings: TrainSettings,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
    step: int,
    history: list[dict[str, Any]],
    seconds: float,
) -> None:
    state = {
        "settings": settings.identity(),
        "step": step,
        "seconds": seconds,
        "history": history,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        "rng": {
            "python": random.getstate(),
            "numpy": np.random.get_state(),
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        },
    }
    partial = path.with_suffix(".partial")
    torch.save(state, partial)
    os.replace(partial, path)


def _load_checkpoint(
    path: Path,
    settings: TrainSettings,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
) -> tuple[int, list[dict[str, Any]], float]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises several types for a corrupt file
        raise InferenceError(f"{path}: not a readable checkpoint ({exc})") from None
    if state.get("settings") != settings.identity():
        raise InferenceError(
            f"{path}: the checkpoint was made with other settings; resume with the same ones"
        )
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state["schedule"])
    rng = state["rng"]
    random.setstate(rng["python"])
    np.random.set_state(rng["numpy"])
    torch.set_rng_state(rng["torch"])
    if rng["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])
    return int(state["step"]), list(state["history"]), float(state.get("seconds", 0.0))


def _finish(
    settings: TrainSettings,
    model: MultiTaskModel,
    dev: dict[str, TokenisedSplit],
    device: torch.device,
    pad_id: int,
    encoder_dir: Path,
    history: list[dict[str, Any]],
    steps: int,
    clock: _Clock,
    priors: dict[str, list[float]],
) -> TrainResult:
    thresholds: dict[str, tuple[float, ...]] = {}
    for task, split in dev.items():
        if split.dataset.task.multi_label:
            probabilities, _ = predict_split(model, split, device, pad_id)
            thresholds[task] = tune_thresholds(probabilities, gold_matrix(split))
    metrics = evaluate(model, dev, device, pad_id, thresholds)
    final = settings.out_dir / FINAL_FILE
    torch.save(
        {
            "model": {k: v.cpu() for k, v in model.state_dict().items()},
            "tasks": list(settings.tasks),
            "encoder_dir": str(encoder_dir),
            "max_length": settings.max_length,
            "thresholds": {k: list(v) for k, v in thresholds.items()},
            "priors": priors,
            "metrics": metrics,
            "settings": settings.to_json(),
            "steps": steps,
            "device": str(device),
            "hardware": hardware(device),
            "seconds": round(clock(), 1),
        },
        final,
    )
    (settings.out_dir / METRICS_FILE).write_text(
        json.dumps({"history": history, "final": metrics}, indent=2) + "\n", encoding="utf-8"
    )
    seconds = clock()
    logger.info("finished %d steps in %.0f s; dev: %s", steps, seconds, json.dumps(metrics))
    return TrainResult(final, metrics, steps, seconds, str(device))
