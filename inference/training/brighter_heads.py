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
  all rows for the shared one); the exported heads average the folds' probabilities;
- with the texts' token ids, a **lexicon** per language (:class:`Lexicons`): a logistic
  regression per emotion on how often each token of the encoder's vocabulary occurs, blended
  into that language's head. The sentence vector blurs words that carry an annotator's
  emotion (an insult, a swear word, a diminutive); the lexicon keeps them. Its regularisation
  and its share of the blend are chosen per language among :data:`LEXICON_C` and
  :data:`LEXICON_BLEND` by out-of-fold macro-F1 on the training rows (the same folds), and the
  thresholds are tuned on the blend's out-of-fold scores.

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
from typing import Any, cast

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


LEXICON_C: tuple[float, ...] = (0.3, 1.0, 3.0)
"""Inverse regularisation strengths a language's lexicon is chosen among."""
LEXICON_BLEND: tuple[float, ...] = (0.0, 0.2, 0.35, 0.5)
"""Shares of the lexicon's probability in a language head (the ensemble's is the rest)."""


@dataclass(frozen=True)
class Lexicons:
    """Token weights per language, blended into the language heads.

    A language's lexicon logit for emotion ``k`` is ``bias[code][k]`` plus the sum, over the
    tokens of the text (``<s>`` and ``</s>`` included, padding not), of
    ``weights[code][position of the token in ids, k]``; tokens not in ``ids`` weigh nothing.

    Attributes:
        ids: Vocabulary ids that carry a weight in some language, ascending.
        weights: Language code -> ``(len(ids), 6)`` float32 weights.
        bias: Language code -> ``(6,)`` float32 intercepts.
        blend: Language code -> ``(6,)`` the lexicon's share of the head's probability per
            emotion (0 for an emotion the language's rows cannot teach).
        strength: Language code -> the chosen inverse regularisation strength.
        vocabulary: Size of the encoder's vocabulary (token ids are below it).
    """

    ids: npt.NDArray[np.int64]
    weights: dict[str, FloatArray]
    bias: dict[str, FloatArray]
    blend: dict[str, FloatArray]
    strength: dict[str, float]
    vocabulary: int


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
        lexicons: The token weights blended into the language heads (``None``: none; the
            module then takes the sentence vector alone).
    """

    module: Any
    languages: tuple[str, ...]
    thresholds: dict[str, tuple[float, ...]]
    out_of_fold: dict[str, float]
    seconds: float
    lexicons: Lexicons | None = None


def slot_of(dataset: str) -> str:
    """The slot a BRIGHTER dataset trains: its language code, or its own name if not exported."""
    return next((code for code, sets in LANGUAGE_SLOTS.items() if dataset in sets), dataset)


def train_brighter(
    vectors: FloatArray,
    targets: BoolArray,
    known: BoolArray,
    datasets: Sequence[str],
    settings: BrighterSettings,
    tokens: Sequence[Sequence[int]] | None = None,
    vocabulary: int = 0,
) -> TrainedBrighter:
    """Trains the fold ensemble and tunes its thresholds on out-of-fold scores.

    Args:
        vectors: ``(n, 512)`` sentence vectors of the training texts.
        targets: ``(n, 6)`` gold emotions.
        known: ``(n, 6)`` whether each target was annotated (English has no ``disgust``); an
            unknown target adds nothing to the loss or the thresholds.
        datasets: Each row's BRIGHTER dataset (``deu``, ``ptbr``...).
        settings: Training settings.
        tokens: Each row's token ids as the bundle's tokenizer gives them; with them, each
            exported language also learns a lexicon (:class:`Lexicons`).
        vocabulary: Size of the tokenizer's vocabulary (needed with ``tokens``).
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
    fitted: dict[str, _Lexicon] = {}
    for code in exported:
        mine = slot == slots.index(code)
        scores = language_oof[mine]
        if tokens is not None:
            rows = np.flatnonzero(mine)
            counts = _counts([tokens[int(i)] for i in rows], vocabulary)
            fitted[code] = _fit_lexicon(
                counts, targets[mine], known[mine], fold[mine], scores, settings.folds
            )
            scores = fitted[code].out_of_fold
        thresholds[code] = _tuned(scores, targets[mine], known[mine])
        decided = scores >= np.asarray(thresholds[code], dtype=np.float32)
        out_of_fold[code] = _macro_f1(decided, targets[mine], known[mine])
    lexicons = _gather(fitted, exported, vocabulary) if tokens is not None else None
    module = _Ensemble.build(models, [slots.index(code) for code in exported], lexicons)
    return TrainedBrighter(
        module, exported, thresholds, out_of_fold, time.perf_counter() - started, lexicons
    )


@dataclass(frozen=True)
class _Lexicon:
    """One language's chosen lexicon, as fitted on all of its rows."""

    coefficients: FloatArray  # (vocabulary, 6), sparse in practice
    intercepts: FloatArray  # (6,)
    blend: float
    strength: float
    out_of_fold: FloatArray  # the blend's out-of-fold probabilities on the language's rows
    learnable: tuple[int, ...]  # the emotions the lexicon learnt (both classes in the rows)


def _counts(rows: Sequence[Sequence[int]], vocabulary: int) -> Any:
    """Token counts per row, a sparse ``(rows, vocabulary)`` matrix."""
    from scipy import sparse

    indptr = np.cumsum([0, *(len(r) for r in rows)])
    indices = np.fromiter((t for r in rows for t in r), dtype=np.int64, count=int(indptr[-1]))
    data = np.ones(len(indices), dtype=np.float32)
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(rows), vocabulary))
    matrix.sum_duplicates()
    return matrix


def _logistic(strength: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=strength, max_iter=2000, class_weight="balanced")


def _fit_lexicon(
    counts: Any,
    targets: BoolArray,
    known: BoolArray,
    fold: npt.NDArray[np.int_],
    ensemble_oof: FloatArray,
    folds: int,
) -> _Lexicon:
    """Chooses a language's lexicon strength and blend by out-of-fold macro-F1, then fits it."""
    learnable = [
        k for k in range(targets.shape[1]) if len(set(targets[known[:, k], k].tolist())) == 2
    ]
    best: tuple[float, float, float, FloatArray] | None = None
    for strength in LEXICON_C:
        lexicon_oof = np.zeros(targets.shape, dtype=np.float32)
        for number in range(folds):
            train, held = fold != number, fold == number
            for k in learnable:
                rows = train & known[:, k]
                if len(set(targets[rows, k].tolist())) < 2:
                    continue
                model = _logistic(strength).fit(counts[rows], targets[rows, k])
                lexicon_oof[held, k] = model.predict_proba(counts[held])[:, 1]
        for blend in LEXICON_BLEND:
            mixed = _mixed(ensemble_oof, lexicon_oof, blend, learnable)
            cuts = np.asarray(_tuned(mixed, targets, known), dtype=np.float32)
            score = _macro_f1(mixed >= cuts, targets, known)
            if best is None or score > best[0] + 1e-9:
                best = (score, strength, blend, mixed)
    assert best is not None
    _, strength, blend, mixed = best
    coefficients = np.zeros((counts.shape[1], targets.shape[1]), dtype=np.float32)
    intercepts = np.full(targets.shape[1], -30.0, dtype=np.float32)  # never, if not learnable
    for k in learnable:
        rows = known[:, k]
        model = _logistic(strength).fit(counts[rows], targets[rows, k])
        coefficients[:, k] = model.coef_[0]
        intercepts[k] = model.intercept_[0]
    logger.info("lexicon: C %.2f, blend %.2f", strength, blend)
    return _Lexicon(coefficients, intercepts, blend, strength, mixed, tuple(learnable))


def _mixed(
    ensemble: FloatArray, lexicon: FloatArray, blend: float, learnable: Sequence[int]
) -> FloatArray:
    """The blend of the ensemble's and the lexicon's probabilities.

    Emotions the lexicon cannot learn keep the ensemble's alone.
    """
    mixed = ensemble.copy()
    columns = list(learnable)
    mixed[:, columns] = (1.0 - blend) * ensemble[:, columns] + blend * lexicon[:, columns]
    return mixed


def _blend_vector(lexicon: _Lexicon) -> FloatArray:
    vector = np.zeros(6, dtype=np.float32)
    vector[list(lexicon.learnable)] = lexicon.blend
    return vector


def _gather(fitted: Mapping[str, _Lexicon], exported: Sequence[str], vocabulary: int) -> Lexicons:
    """The languages' lexicons over the ids any of them weighs."""
    used = np.zeros(vocabulary, dtype=bool)
    for lexicon in fitted.values():
        if lexicon.blend > 0:
            used |= np.abs(lexicon.coefficients).max(axis=1) > 0
    ids = np.flatnonzero(used).astype(np.int64)
    return Lexicons(
        ids=ids,
        weights={code: fitted[code].coefficients[ids] for code in exported},
        bias={code: fitted[code].intercepts for code in exported},
        blend={code: _blend_vector(fitted[code]) for code in exported},
        strength={code: fitted[code].strength for code in exported},
        vocabulary=vocabulary,
    )


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
    def build(
        members: Sequence[Any], exported: Sequence[int], lexicons: Lexicons | None = None
    ) -> Any:
        """The exported module: the shared head, then one head per exported slot.

        Without lexicons it maps the sentence vector alone; with them it also takes the
        texts' token ids and attention mask (``(batch, tokens)``, int64), and each language
        head blends its lexicon's probability in (:class:`Lexicons`).
        """
        import torch
        from torch import nn

        class Ensemble(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.members = nn.ModuleList(members)
                self.exported = list(exported)

            def forward(self, sentence: torch.Tensor) -> tuple[torch.Tensor, ...]:
                shared, languages = self.probabilities(sentence)
                return (_mean_logit(shared), *(_mean_logit(p) for p in languages))

            def probabilities(
                self, sentence: torch.Tensor
            ) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
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
                return shared, languages

        class WithLexicons(Ensemble):
            def __init__(self, found: Lexicons) -> None:
                super().__init__()
                codes = [code for code in LANGUAGE_SLOTS if code in found.weights]
                remap = np.zeros(found.vocabulary, dtype=np.int64)  # row 0 weighs nothing
                remap[found.ids] = np.arange(1, len(found.ids) + 1)
                table = np.zeros((len(found.ids) + 1, 6 * len(codes)), dtype=np.float32)
                for i, code in enumerate(codes):
                    table[1:, 6 * i : 6 * i + 6] = found.weights[code]
                self.register_buffer("remap", torch.from_numpy(remap))
                self.register_buffer("table", torch.from_numpy(table))
                self.register_buffer(
                    "bias", torch.from_numpy(np.concatenate([found.bias[c] for c in codes]))
                )
                self.register_buffer(
                    "blend", torch.from_numpy(np.concatenate([found.blend[c] for c in codes]))
                )

            def forward(  # type: ignore[override]
                self, sentence: torch.Tensor, token_ids: torch.Tensor, token_mask: torch.Tensor
            ) -> tuple[torch.Tensor, ...]:
                shared, languages = self.probabilities(sentence)
                table, remap = cast(torch.Tensor, self.table), cast(torch.Tensor, self.remap)
                bias, blend = cast(torch.Tensor, self.bias), cast(torch.Tensor, self.blend)
                rows = table[remap[token_ids]]  # (batch, tokens, 6 x languages)
                weights = token_mask.to(rows.dtype).unsqueeze(-1)
                lexicon = torch.sigmoid((rows * weights).sum(dim=1) + bias)
                ensemble = torch.stack([torch.stack(p).mean(dim=0) for p in languages], dim=1)
                mixed = (1.0 - blend) * ensemble.flatten(1) + blend * lexicon
                heads = mixed.reshape(mixed.shape[0], len(self.exported), 6)
                return (
                    _mean_logit(shared),
                    *(_logit(heads[:, i]) for i in range(len(self.exported))),
                )

        def _mean_logit(probabilities: list[torch.Tensor]) -> torch.Tensor:
            return _logit(torch.stack(probabilities).mean(dim=0))

        def _logit(probability: torch.Tensor) -> torch.Tensor:
            clamped = probability.clamp(1e-6, 1 - 1e-6)
            return torch.log(clamped) - torch.log1p(-clamped)

        module = Ensemble() if lexicons is None else WithLexicons(lexicons)
        return module.eval()


def language_head_names(base: str, languages: Sequence[str]) -> dict[str, str]:
    """Language code -> the name of its head (``brighter`` -> ``brighter.de``)."""
    return {code: f"{base}.{code}" for code in languages}


def describe(trained: TrainedBrighter) -> Mapping[str, Any]:
    """What the bundle's provenance records about the emotion heads."""
    return {
        "languages": {code: list(LANGUAGE_SLOTS[code]) for code in trained.languages},
        "out_of_fold_macro_f1": {k: round(v, 4) for k, v in trained.out_of_fold.items()},
        "seconds": round(trained.seconds, 1),
        **(
            {
                "lexicons": {
                    "tokens_weighed": len(trained.lexicons.ids),
                    "strength": trained.lexicons.strength,
                    "blend": {
                        code: round(float(blend.max()), 2)
                        for code, blend in trained.lexicons.blend.items()
                    },
                }
            }
            if trained.lexicons is not None
            else {}
        ),
    }
