"""Builders of tiny random-weight checkpoints shaped like the models moodmoji targets.

Nothing is downloaded: configs are tiny, tokenizers are trained here on a few lines of chat,
and weights are random (the final layer is scaled up so that top-1 predictions are not
near-ties). Each builder returns the in-memory model it saved, which the exporter never sees:
parity tests compare against it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import emoji
import torch
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
from torch import nn
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    BertTokenizerFast,
    DebertaV2Config,
    DebertaV2ForSequenceClassification,
    DebertaV2Model,
    DistilBertConfig,
    DistilBertForSequenceClassification,
    DistilBertTokenizerFast,
    RobertaConfig,
    RobertaForSequenceClassification,
    RobertaTokenizerFast,
)

from moodmoji.inference.export.labels import BERT_EMOTION_LABELS, EMOTION_LABELS, GOEMOTIONS_LABELS
from moodmoji.tools.bench.reference_models import save_spm_tokenizer as bench_spm_tokenizer

CHAT_TEXTS = (
    "hello there 👋",
    "I love this so much ❤️",
    "ugh, my train is late AGAIN",
    "thank you!! that was really kind of you",
    "lol that's hilarious 😂😂",
    "I'm so scared about tomorrow's exam",
    "wow, I did not expect that at all",
    "this is disgusting, who left the milk out",
    "ok",
    "can't stop crying, I miss her",
    "pizza tonight? 🍕",
    "why would you do that?!",
    "congrats on the new job 🎉🎉",
    "meh, whatever",
    "I'm furious right now",
    "good morning everyone ☀️",
    "my dog just ate my homework 🐶",
    "is anyone else awake? it's 3am",
    "best. day. ever!!!",
    "sorry, I forgot to reply yesterday",
    "that movie was so boring tbh",
    "we won the match!! ⚽",
)
"""Short varied chat messages, with emoji; also the tokenizers' training corpus."""

_CORPUS = (
    *CHAT_TEXTS,
    "the quick brown fox jumps over the lazy dog",
    "I feel happy, sad, angry, afraid, surprised and loved",
    "what are you doing this weekend",
    "see you later alligator",
    "this is the worst news I have heard all year",
    "Can you help me with my homework please",
)

BERTMOJI_LABELS = 250
NAMED_EMOJI = {"pizza_emoji": "🍕", ":dog:": "🐶", "red_heart": "❤️"}
"""Names written into ``emoji_mappings.json`` and the emoji they must resolve to."""

WORDPIECE_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
INIT_RANGE = 0.2
"""Weight init std. With the usual 0.02 a tiny random encoder gives every text the same top-1
class, which would make int8 agreement trivially perfect; wider weights make predictions depend
on the text."""
LOGIT_STD = 3.0


@dataclass
class Built:
    """A checkpoint written to disk plus the untouched model it holds.

    Attributes:
        name: Short id (test parameter).
        path: The checkpoint directory.
        reference: The in-memory model that was saved (eval mode); maps the graph's inputs
            (as keyword tensors) to logits.
        architecture: What the exporter should report.
        labels: Labels the exported head should carry.
        cli_labels: Labels to pass as ``--labels`` (generic checkpoints), else ``None``.
        inputs: Graph inputs the exporter should declare.
        max_length: ``max_length`` the manifest should carry.
    """

    name: str
    path: Path
    reference: Callable[..., torch.Tensor]
    architecture: str
    labels: tuple[str, ...]
    cli_labels: tuple[str, ...] | None = None
    inputs: tuple[str, ...] = ("input_ids", "attention_mask")
    max_length: int = 512
    extra: dict[str, object] = field(default_factory=dict)


# --- tokenizers -----------------------------------------------------------------------------


def _wordpiece_vocab(lowercase: bool) -> dict[str, int]:
    """A small, deterministic WordPiece vocabulary: specials, the corpus' words, its characters.

    Words are split by the same normaliser and pre-tokenizer BERT uses (``tokenizers``); every
    character is also added as a ``##`` continuation so that unseen words still tokenize.
    """
    normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    splitter = pre_tokenizers.BertPreTokenizer()
    words: set[str] = set()
    for line in _CORPUS:
        words.update(word for word, _ in splitter.pre_tokenize_str(normalizer.normalize_str(line)))
    chars = sorted({c for word in words for c in word})
    pieces = [*WORDPIECE_SPECIALS, *sorted(words - set(chars)), *chars]
    pieces += [f"##{c}" for c in chars]
    return {piece: i for i, piece in enumerate(dict.fromkeys(pieces))}


def save_wordpiece_tokenizer(directory: Path, *, distil: bool, lowercase: bool) -> int:
    """Saves a BERT/DistilBERT WordPiece tokenizer; returns its vocabulary size."""
    vocab = _wordpiece_vocab(lowercase)
    cls = DistilBertTokenizerFast if distil else BertTokenizerFast
    tokenizer = cls(vocab=vocab, do_lower_case=lowercase, model_max_length=512)
    tokenizer.save_pretrained(directory)
    return len(vocab)


def save_bytelevel_tokenizer(directory: Path) -> int:
    """Saves a RoBERTa byte-level BPE tokenizer; returns its vocabulary size."""
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_CORPUS, trainer=trainer)
    model = json.loads(tok.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    tokenizer = RobertaTokenizerFast(vocab=model["vocab"], merges=merges, model_max_length=512)
    tokenizer.save_pretrained(directory)
    return len(model["vocab"])


def save_spm_tokenizer(directory: Path) -> int:
    """Saves a DeBERTa-v3 style tokenizer (``spm.model`` + ``tokenizer_config.json`` only).

    Piece ids follow DeBERTa-v3: [PAD]=0, [CLS]=1, [SEP]=2, [UNK]=3, then [MASK]. The config
    declares no sensible length limit, as DeBERTa-v3's does. Returns the vocabulary size.
    """
    return bench_spm_tokenizer(
        directory, _CORPUS, vocab_size=160, declared_max_length=1000000000000000019884624838656
    )


# --- models ---------------------------------------------------------------------------------


def _calibrate(final: nn.Linear, run: Callable[..., torch.Tensor], vocab: int, seed: int) -> None:
    """Rescales the final layer so that logits on random token ids have std ``LOGIT_STD``.

    Scaling the last linear layer changes no prediction; it only keeps the logits of the
    wide-initialised encoders at a size where an absolute 1e-4 tolerance is meaningful.
    """
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, vocab, (8, 12), generator=generator)
    mask = torch.ones_like(ids)
    with torch.no_grad():
        std = float(run(input_ids=ids, attention_mask=mask).std())
        final.weight.mul_(LOGIT_STD / std)
        final.bias.mul_(LOGIT_STD / std)


def _hf_reference(model: nn.Module) -> Callable[..., torch.Tensor]:
    def run(**inputs: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return model(**inputs).logits  # type: ignore[no-any-return]

    return run


def _label_maps(labels: Sequence[str]) -> dict[str, Any]:
    """``id2label`` and ``label2id`` config arguments for ``labels``."""
    return {
        "id2label": dict(enumerate(labels)),
        "label2id": {label: i for i, label in enumerate(labels)},
    }


def _finish(
    model: nn.Module, final: nn.Linear, directory: Path, vocab: int, seed: int, **built: Any
) -> Built:
    """Calibrates the final layer, saves the checkpoint and describes it."""
    model.eval()
    _calibrate(final, _hf_reference(model), vocab, seed)
    model.save_pretrained(directory)  # type: ignore[operator]
    return Built(path=directory, reference=_hf_reference(model), **built)


def build_distilbert_emotion(directory: Path) -> Built:
    """DistilBERT fine-tuned on dair-ai/emotion, with generic LABEL_n names."""
    torch.manual_seed(1)
    vocab = save_wordpiece_tokenizer(directory, distil=True, lowercase=True)
    config = DistilBertConfig(
        initializer_range=INIT_RANGE,
        vocab_size=vocab,
        dim=32,
        n_layers=2,
        n_heads=2,
        hidden_dim=64,
        num_labels=6,
        max_position_embeddings=512,
    )
    model = DistilBertForSequenceClassification(config)
    return _finish(
        model,
        model.classifier,
        directory,
        vocab,
        1,
        name="distilbert-emotion",
        architecture="DistilBertForSequenceClassification",
        labels=EMOTION_LABELS,
        cli_labels=EMOTION_LABELS,
    )


def build_bert_cased_emotion(directory: Path) -> Built:
    """bert-base-cased fine-tuned on dair-ai/emotion (named labels, single-label)."""
    torch.manual_seed(2)
    vocab = save_wordpiece_tokenizer(directory, distil=False, lowercase=False)
    config = BertConfig(
        initializer_range=INIT_RANGE,
        vocab_size=vocab,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        **_label_maps(EMOTION_LABELS),
        problem_type="single_label_classification",
    )
    model = BertForSequenceClassification(config)
    return _finish(
        model,
        model.classifier,
        directory,
        vocab,
        2,
        name="bert-cased-emotion",
        architecture="BertForSequenceClassification",
        labels=EMOTION_LABELS,
        inputs=("input_ids", "attention_mask", "token_type_ids"),
    )


def build_bert_emotion13(directory: Path) -> Built:
    """BERT-Emotion: 4 layers, hidden 128, 13 capitalised labels."""
    torch.manual_seed(3)
    vocab = save_wordpiece_tokenizer(directory, distil=False, lowercase=True)
    config = BertConfig(
        initializer_range=INIT_RANGE,
        vocab_size=vocab,
        hidden_size=128,
        num_hidden_layers=4,
        num_attention_heads=2,
        intermediate_size=512,
        **_label_maps(BERT_EMOTION_LABELS),
    )
    model = BertForSequenceClassification(config)
    return _finish(
        model,
        model.classifier,
        directory,
        vocab,
        3,
        name="bert-emotion13",
        architecture="BertForSequenceClassification",
        labels=BERT_EMOTION_LABELS,
        inputs=("input_ids", "attention_mask", "token_type_ids"),
    )


def build_emoticare(directory: Path) -> Built:
    """EmotiCare: DistilBERT, 28 GoEmotions labels, multi-label."""
    torch.manual_seed(4)
    vocab = save_wordpiece_tokenizer(directory, distil=True, lowercase=True)
    config = DistilBertConfig(
        initializer_range=INIT_RANGE,
        vocab_size=vocab,
        dim=64,
        n_layers=2,
        n_heads=2,
        hidden_dim=128,
        **_label_maps(GOEMOTIONS_LABELS),
        problem_type="multi_label_classification",
    )
    model = DistilBertForSequenceClassification(config)
    (directory / "README.md").write_text("---\nlicense: mit\nlanguage: en\n---\n# EmotiCare\n")
    return _finish(
        model,
        model.classifier,
        directory,
        vocab,
        4,
        name="emoticare",
        architecture="DistilBertForSequenceClassification",
        labels=GOEMOTIONS_LABELS,
    )


def build_roberta(directory: Path) -> Built:
    """A RoBERTa sentiment classifier (3 labels)."""
    torch.manual_seed(5)
    vocab = save_bytelevel_tokenizer(directory)
    labels = ("negative", "neutral", "positive")
    config = RobertaConfig(
        initializer_range=INIT_RANGE,
        vocab_size=vocab,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=514,
        type_vocab_size=1,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        **_label_maps(labels),
    )
    model = RobertaForSequenceClassification(config)
    return _finish(
        model,
        model.classifier.out_proj,
        directory,
        vocab,
        5,
        name="roberta",
        architecture="RobertaForSequenceClassification",
        labels=labels,
        inputs=("input_ids", "attention_mask", "token_type_ids"),
    )


def tiny_deberta_v3_config(
    vocab: int, *, heads: int, hidden: int = 32, **extra: object
) -> DebertaV2Config:
    """A 2-layer DeBERTa-v3 configuration (relative positions, 16 buckets)."""
    return DebertaV2Config(
        initializer_range=INIT_RANGE,
        vocab_size=vocab,
        hidden_size=hidden,
        num_hidden_layers=2,
        num_attention_heads=heads,
        intermediate_size=2 * hidden,
        max_position_embeddings=512,
        relative_attention=True,
        position_buckets=16,
        max_relative_positions=-1,
        pos_att_type=["p2c", "c2p"],
        norm_rel_ebd="layer_norm",
        share_att_key=True,
        position_biased_input=False,
        type_vocab_size=0,
        layer_norm_eps=1e-7,
        pad_token_id=0,
        **extra,
    )


def build_deberta_v3_classifier(directory: Path) -> Built:
    """A DeBERTa-v3 ``DebertaV2ForSequenceClassification`` (4 labels)."""
    torch.manual_seed(6)
    vocab = save_spm_tokenizer(directory)
    labels = ("joy", "sadness", "anger", "neutral")
    config = tiny_deberta_v3_config(
        vocab + 16,
        heads=2,
        **_label_maps(labels),
    )
    model = DebertaV2ForSequenceClassification(config)
    return _finish(
        model,
        model.classifier,
        directory,
        vocab,
        6,
        name="deberta-v3",
        architecture="DebertaV2ForSequenceClassification",
        labels=labels,
    )


class TrainingBertMoji(nn.Module):
    """The BertMoji module as its training code defines it (independent of the exporter's)."""

    def __init__(self, config: DebertaV2Config, num_labels: int) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.encoder = DebertaV2Model(config)
        self.classifier = nn.Sequential(
            nn.Dropout(0.1),
            nn.Linear(hidden, hidden),
            nn.GELU(),
            nn.Dropout(0.1),
            nn.Linear(hidden, num_labels),
        )

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        return self.classifier(out.last_hidden_state[:, 0])  # type: ignore[no-any-return]


def bertmoji_mapping() -> tuple[dict[str, str], tuple[str, ...]]:
    """250 distinct emoji for ``id_to_emoji``: characters mixed with names.

    Returns:
        The JSON map (id -> character or name) and the emoji each id must resolve to.
    """
    chars = sorted(
        e
        for e, data in emoji.EMOJI_DATA.items()
        if len(e) == 1 and data.get("status") == emoji.STATUS["fully_qualified"]
    )
    chars = [c for c in chars if c not in NAMED_EMOJI.values()]
    values: dict[str, str] = {}
    expected: list[str] = []
    for name, char in NAMED_EMOJI.items():
        values[str(len(expected))] = name
        expected.append(char)
    for i, char in enumerate(chars[: BERTMOJI_LABELS - len(expected)]):
        data = emoji.EMOJI_DATA[char]
        aliases = data.get("alias") or []
        if i % 5 == 1:
            value = data["en"].strip(":") + "_emoji"  # CLDR name with an _emoji suffix
        elif i % 5 == 3 and aliases:
            value = aliases[0]  # ':alias:'
        else:
            value = char
        values[str(len(expected))] = value
        expected.append(char)
    return values, tuple(expected)


def build_bertmoji(directory: Path, *, with_config: bool) -> Built:
    """BertMoji: DeBERTa-v3 encoder + emoji head; the state dict in ``pytorch_model.bin``.

    With ``with_config`` the encoder's ``config.json`` is written (4 heads); without it the
    exporter must rebuild the configuration from the state dict (2 heads = hidden / 16).
    """
    torch.manual_seed(7 if with_config else 8)
    vocab = save_spm_tokenizer(directory)
    config = tiny_deberta_v3_config(vocab + 40, heads=4 if with_config else 2)
    model = TrainingBertMoji(config, BERTMOJI_LABELS).eval()

    def run(**inputs: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return model(inputs["input_ids"], inputs["attention_mask"])  # type: ignore[no-any-return]

    _calibrate(model.classifier[4], run, vocab, 7)
    torch.save(model.state_dict(), directory / "pytorch_model.bin")
    if with_config:
        config.save_pretrained(directory)
    mapping, expected = bertmoji_mapping()
    (directory / "emoji_mappings.json").write_text(
        json.dumps({"id_to_emoji": mapping}, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return Built(
        name="bertmoji" if with_config else "bertmoji-noconfig",
        path=directory,
        reference=run,
        architecture="BertMoji",
        labels=expected,
        max_length=96,
        extra={"mapping": mapping},
    )


BUILDERS: dict[str, Callable[[Path], Built]] = {
    "bertmoji": lambda d: build_bertmoji(d, with_config=True),
    "bertmoji-noconfig": lambda d: build_bertmoji(d, with_config=False),
    "distilbert-emotion": build_distilbert_emotion,
    "bert-cased-emotion": build_bert_cased_emotion,
    "bert-emotion13": build_bert_emotion13,
    "emoticare": build_emoticare,
    "roberta": build_roberta,
    "deberta-v3": build_deberta_v3_classifier,
}
