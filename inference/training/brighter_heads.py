"""BRIGHTER's six emotions on the multilingual vector, with a head per language.

Emotion is written differently from one language to the next, and BRIGHTER's languages differ
in what their annotators marked (German texts are angry far more often than Spanish ones, most
Ukrainian texts are neutral). One head shared by every language, with one threshold per
emotion, reads them all alike. Here the emotions are learnt as:

- a shared hidden layer on the frozen 512-d sentence vector (:data:`DIMENSIONS`) with a shared
  output layer, trained on every BRIGHTER language at once, plus
- for each language, a linear correction of that output layer (weights and bias per language,
  kept small by weight decay), so a language keeps what the others teach and adds its own;
- an ensemble of the models of a k-fold split: each fold's model gives out-of-fold scores on the
  training rows, on which the thresholds are tuned (per language for the language heads, over
  all rows for the shared one); the exported heads average the folds' probabilities.

Languages are grouped by the code the bot's language identification gives
(:data:`LANGUAGE_SLOTS`): ``pt`` learns from ``ptbr`` and ``ptmz``, ``ar`` from ``arq`` and
``ary``. The exported module answers the shared head first, then one head per exported language
(:attr:`TrainedBrighter.languages`); the bundle names them in the shared head's
``by_language`` map (:class:`moodmoji.inference.manifest.HeadSpec`).

torch is imported only when training.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from moodmoji.inference.metrics import tune_thresholds

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

DIMENSIONS = 512
LANGUAGE_SLOTS: dict[str, tuple[str, ...]] = {
    "ar": ("arq", "ary"),
    "de": ("deu",),
    "es": ("esp",),
    "pt": ("ptbr", "ptmz"),
    "ru": ("rus",),
    "uk": ("ukr",),
    "zh": ("chn",),
}
"""Language code -> the BRIGHTER datasets its head learns from (languages the bundle reads)."""


@dataclass(frozen=True)
class BrighterSettings:
    """How the emotion heads are trained.

    Attributes:
        folds: Models in the ensemble (one per fold of the training rows).
        hidden: Units of the shared hidden layer.
        dropout: Dropout on the sentence vector and the hidden layer.
        epochs: Passes over a fold's training rows.
        batch_size: Rows per step.
        lr: AdamW learning rate (one-cycle schedule).
        weight_decay: AdamW weight decay (it also keeps the per-language corrections small).
        seed: Random seed.
    """

    folds: int = 5
    hidden: int = 512
    dropout: float = 0.2
    epochs: int = 12
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.01
    seed: int = 13


@dataclass(frozen=True)
class TrainedBrighter:
    """What :func:`train_brighter` returns.

    Attributes:
        module: Torch module: sentence vector -> shared logits, then one output per language
            (each the logit of the folds' mean probability).
        languages: The exported languages, in output order after the shared head.
        thresholds: Per-emotion thresholds of the shared head (key ``""``) and of each language.
        out_of_fold: Macro-F1 of the out-of-fold scores on each language's training rows.
        seconds: Training time.
    """

    module: Any
    languages: tuple[str, ...]
    thresholds: dict[str, tuple[float, ...]]
    out_of_fold: dict[str, float]
    seconds: float


def slot_of(dataset: str) -> str:
    """The slot a BRIGHTER dataset trains: its language code, or its own name if not exported."""
    return next((code for code, sets in LANGUAGE_SLOTS.items() if dataset in sets), dataset)


def train_brighter(
    vectors: FloatArray,
    targets: BoolArray,
    known: BoolArray,
    datasets: Sequence[str],
    settings: BrighterSettings,
) -> TrainedBrighter:
    """Trains the fold ensemble and tunes its thresholds on out-of-fold scores.

    Args:
        vectors: ``(n, 512)`` sentence vectors of the training texts.
        targets: ``(n, 6)`` gold emotions.
        known: ``(n, 6)`` whether each target was annotated (English has no ``disgust``); an
            unknown target adds nothing to the loss or the thresholds.
        datasets: Each row's BRIGHTER dataset (``deu``, ``ptbr``...).
        settings: Training settings.
    """
    import torch

    started = time.perf_counter()
    slots = sorted({slot_of(d) for d in datasets})
    slot = np.array([slots.index(slot_of(d)) for d in datasets])
    fold = np.random.default_rng(settings.seed).integers(0, settings.folds, len(vectors))
    shared_oof = np.zeros(targets.shape, dtype=np.float32)
    language_oof = np.zeros(targets.shape, dtype=np.float32)
    models = []
    for number in range(settings.folds):
        rows = np.flatnonzero(fold != number)
        model = _train_one(vectors, targets, known, slot, rows, len(slots), settings, number)
        models.append(model)
        held = fold == number
        with torch.no_grad():
            x = torch.from_numpy(vectors[held])
            shared, by_slot = model(x, torch.from_numpy(slot[held]))
        shared_oof[held] = torch.sigmoid(shared).numpy()
        language_oof[held] = torch.sigmoid(by_slot).numpy()
        logger.info("fold %d/%d trained", number + 1, settings.folds)
    exported = tuple(code for code in LANGUAGE_SLOTS if code in slots)
    thresholds = {"": _tuned(shared_oof, targets, known)}
    out_of_fold: dict[str, float] = {}
    for code in exported:
        mine = slot == slots.index(code)
        thresholds[code] = _tuned(language_oof[mine], targets[mine], known[mine])
        decided = language_oof[mine] >= np.asarray(thresholds[code], dtype=np.float32)
        out_of_fold[code] = _macro_f1(decided, targets[mine], known[mine])
    module = _Ensemble.build(models, [slots.index(code) for code in exported])
    return TrainedBrighter(module, exported, thresholds, out_of_fold, time.perf_counter() - started)


def _train_one(
    vectors: FloatArray,
    targets: BoolArray,
    known: BoolArray,
    slot: npt.NDArray[np.int_],
    rows: npt.NDArray[np.intp],
    slots: int,
    settings: BrighterSettings,
    number: int,
) -> Any:
    import torch

    torch.manual_seed(settings.seed + number)
    rng = np.random.default_rng(settings.seed + number)
    model = _Ensemble.member(slots, settings.hidden, settings.dropout)
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay
    )
    steps = max(1, len(rows) // settings.batch_size * settings.epochs)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, settings.lr, total_steps=steps)
    x_all = torch.from_numpy(vectors)
    y_all = torch.from_numpy(targets.astype(np.float32))
    w_all = torch.from_numpy(known.astype(np.float32))
    s_all = torch.from_numpy(slot)
    model.train()
    for _ in range(steps):
        batch = torch.from_numpy(rows[rng.integers(0, len(rows), settings.batch_size)])
        _, logits = model(x_all[batch], s_all[batch])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, y_all[batch], weight=w_all[batch]
        )
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        schedule.step()
    model.eval()
    return model


def _tuned(probabilities: FloatArray, targets: BoolArray, known: BoolArray) -> tuple[float, ...]:
    """Per-emotion thresholds; an emotion never annotated in these rows keeps 0.5."""
    chosen = []
    for column in range(targets.shape[1]):
        rows = known[:, column]
        if not targets[rows, column].any():
            chosen.append(0.5)
            continue
        (cut,) = tune_thresholds(
            probabilities[rows, column : column + 1], targets[rows, column : column + 1]
        )
        chosen.append(cut)
    return tuple(chosen)


def _macro_f1(decided: BoolArray, targets: BoolArray, known: BoolArray) -> float:
    scores = []
    for column in range(targets.shape[1]):
        rows = known[:, column]
        if not rows.any():
            continue
        d, g = decided[rows, column], targets[rows, column]
        tp, fp, fn = float((d & g).sum()), float((d & ~g).sum()), float((~d & g).sum())
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return float(np.mean(scores)) if scores else 0.0


class _Ensemble:
    """Builds the torch modules (kept in functions so that torch loads only when training)."""

    @staticmethod
    def member(slots: int, hidden: int, dropout: float) -> Any:
        """One fold's model: shared logits, and logits corrected for each row's language."""
        import torch
        from torch import nn

        class Member(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.body = nn.Sequential(
                    nn.Dropout(dropout),
                    nn.Linear(DIMENSIONS, hidden),
                    nn.GELU(),
                    nn.Dropout(dropout),
                )
                self.out = nn.Linear(hidden, 6)
                self.language_weight = nn.Parameter(torch.zeros(slots, hidden, 6))
                self.language_bias = nn.Parameter(torch.zeros(slots, 6))

            def forward(
                self, sentence: torch.Tensor, slot: torch.Tensor
            ) -> tuple[torch.Tensor, torch.Tensor]:
                hidden_state = self.body(sentence)
                shared = self.out(hidden_state)
                correction = torch.einsum("bh,bhk->bk", hidden_state, self.language_weight[slot])
                return shared, shared + correction + self.language_bias[slot]

        return Member()

    @staticmethod
    def build(members: Sequence[Any], exported: Sequence[int]) -> Any:
        """The exported module: the shared head, then one head per exported slot."""
        import torch
        from torch import nn

        class Ensemble(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.members = nn.ModuleList(members)
                self.exported = list(exported)

            def forward(self, sentence: torch.Tensor) -> tuple[torch.Tensor, ...]:
                shared: list[torch.Tensor] = []
                languages: list[list[torch.Tensor]] = [[] for _ in self.exported]
                fold_models: list[Any] = list(self.members)
                for member in fold_models:
                    hidden_state = member.body(sentence)
                    logits = member.out(hidden_state)
                    shared.append(torch.sigmoid(logits))
                    for i, slot in enumerate(self.exported):
                        corrected = (
                            logits
                            + hidden_state @ member.language_weight[slot]
                            + member.language_bias[slot]
                        )
                        languages[i].append(torch.sigmoid(corrected))
                return (_mean_logit(shared), *(_mean_logit(p) for p in languages))

        def _mean_logit(probabilities: list[torch.Tensor]) -> torch.Tensor:
            mean = torch.stack(probabilities).mean(dim=0).clamp(1e-6, 1 - 1e-6)
            return torch.log(mean) - torch.log1p(-mean)

        return Ensemble().eval()


def language_head_names(base: str, languages: Sequence[str]) -> dict[str, str]:
    """Language code -> the name of its head (``brighter`` -> ``brighter.de``)."""
    return {code: f"{base}.{code}" for code in languages}


def describe(trained: TrainedBrighter) -> Mapping[str, Any]:
    """What the bundle's provenance records about the emotion heads."""
    return {
        "languages": {code: list(LANGUAGE_SLOTS[code]) for code in trained.languages},
        "out_of_fold_macro_f1": {k: round(v, 4) for k, v in trained.out_of_fold.items()},
        "seconds": round(trained.seconds, 1),
    }
