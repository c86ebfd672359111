"""Builds a tiny but real model bundle: an ONNX graph and a ``tokenizers`` tokenizer.

The graph is a lexicon model: each known word has a one-hot embedding per label, tokens are
mean-pooled over the attention mask, and each head is a MatMul + bias on the pooled vector. So
"so happy today" scores ``joy`` highest, which lets tests check meaning, not just shapes. Outputs
are declared in the reverse order of the manifest's heads, so reading outputs by position would
give wrong answers.

Usable as a script: ``python -m tests.inference.tiny_bundle OUT_DIR``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

EMOTIONS = ("sadness", "joy", "anger", "fear")
LEXICON = {
    "sadness": ("sad", "cry", "died", "miss", "lost", "funeral", "lonely", "tears"),
    "joy": ("happy", "great", "love", "awesome", "yay", "won", "party", "birthday"),
    "anger": ("angry", "hate", "furious", "annoying", "stupid", "mad"),
    "fear": ("scared", "afraid", "worried", "terrified", "nervous"),
}
TAGS = ("gratitude", "excitement", "grief")
TAG_WORDS = {"gratitude": ("thanks", "thank"), "excitement": ("yay", "won"), "grief": ("funeral",)}
FILLER = ("the", "a", "i", "am", "so", "today", "my", "dog", "meeting", "at", "3pm", "is")
SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")


def vocabulary() -> list[str]:
    """Every token of the tiny tokenizer, specials first."""
    words = [w for group in LEXICON.values() for w in group]
    words += [w for group in TAG_WORDS.values() for w in group] + list(FILLER)
    return list(SPECIALS) + list(dict.fromkeys(words))


def build_tokenizer(tokens: list[str] | None = None) -> Tokenizer:
    """A lower-casing word-level tokenizer with [CLS] ... [SEP] around each text.

    Args:
        tokens: The vocabulary, specials first (default: this module's :func:`vocabulary`).
    """
    vocab = {token: i for i, token in enumerate(tokens or vocabulary())}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    return tokenizer


def build_graph(*, token_type_ids: bool = False, scale: float = 6.0) -> onnx.ModelProto:
    """The lexicon graph with outputs ``emotion_logits``, ``tag_logits`` and ``embedding``."""
    vocab = vocabulary()
    index = {w: i for i, w in enumerate(vocab)}
    dim = len(EMOTIONS) + len(TAGS)
    emb = np.zeros((len(vocab), dim), dtype=np.float32)
    for j, label in enumerate(EMOTIONS):
        for word in LEXICON[label]:
            emb[index[word], j] = 1.0
    for j, tag in enumerate(TAGS):
        for word in TAG_WORDS[tag]:
            emb[index[word], len(EMOTIONS) + j] = 1.0
    rng = np.random.default_rng(0)
    emb += rng.normal(0, 0.01, emb.shape).astype(np.float32)
    w_emotion = np.zeros((dim, len(EMOTIONS)), dtype=np.float32)
    w_emotion[: len(EMOTIONS)] = np.eye(len(EMOTIONS)) * scale
    w_tags = np.zeros((dim, len(TAGS)), dtype=np.float32)
    w_tags[len(EMOTIONS) :] = np.eye(len(TAGS)) * scale * 4
    b_tags = np.full(len(TAGS), -2.0, dtype=np.float32)

    inits = [
        numpy_helper.from_array(emb, "emb"),
        numpy_helper.from_array(w_emotion, "w_emotion"),
        numpy_helper.from_array(np.zeros(len(EMOTIONS), np.float32), "b_emotion"),
        numpy_helper.from_array(w_tags, "w_tags"),
        numpy_helper.from_array(b_tags, "b_tags"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "axis_last"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
    ]
    nodes = [
        helper.make_node("Gather", ["emb", "input_ids"], ["tok"]),
    ]
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
    ]
    tokens = "tok"
    if token_type_ids:
        inputs.append(
            helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, ["batch", "seq"])
        )
        inits.append(numpy_helper.from_array(np.zeros((2, dim), np.float32), "type_emb"))
        nodes += [
            helper.make_node("Gather", ["type_emb", "token_type_ids"], ["typ"]),
            helper.make_node("Add", ["tok", "typ"], ["tok_typ"]),
        ]
        tokens = "tok_typ"
    nodes += [
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "axis_last"], ["mask3"]),
        helper.make_node("Mul", [tokens, "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis1"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask3", "axis1"], ["count"], keepdims=0),
        helper.make_node("Max", ["count", "one"], ["count1"]),
        helper.make_node("Div", ["summed", "count1"], ["embedding"]),
        helper.make_node("MatMul", ["embedding", "w_emotion"], ["e_mm"]),
        helper.make_node("Add", ["e_mm", "b_emotion"], ["emotion_logits"]),
        helper.make_node("MatMul", ["embedding", "w_tags"], ["t_mm"]),
        helper.make_node("Add", ["t_mm", "b_tags"], ["tag_logits"]),
    ]
    outputs = [
        helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", dim]),
        helper.make_tensor_value_info("tag_logits", TensorProto.FLOAT, ["batch", len(TAGS)]),
        helper.make_tensor_value_info(
            "emotion_logits", TensorProto.FLOAT, ["batch", len(EMOTIONS)]
        ),
    ]
    graph = helper.make_graph(nodes, "tiny_lexicon", inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def manifest_dict(*, token_type_ids: bool = False, max_length: int = 16) -> dict[str, Any]:
    """The manifest of the tiny bundle, as a plain dict (tests mutate it)."""
    inputs = ["input_ids", "attention_mask"] + (["token_type_ids"] if token_type_ids else [])
    return {
        "format_version": 1,
        "name": "tiny-lexicon",
        "inputs": inputs,
        "max_length": max_length,
        "heads": [
            {
                "name": "emotion",
                "output": "emotion_logits",
                "kind": "softmax",
                "labels": list(EMOTIONS),
                "emoji": {"sadness": "😢", "joy": "😄", "anger": "😠", "fear": "😨"},
                "mood": {label: label for label in EMOTIONS},
            },
            {
                "name": "tags",
                "output": "tag_logits",
                "kind": "sigmoid",
                "labels": list(TAGS),
                "thresholds": [0.5, 0.5, 0.4],
            },
            {"name": "embedding", "output": "embedding", "kind": "embedding"},
        ],
        "provenance": {"source": "tests/inference/tiny_bundle.py", "licence": "Apache-2.0"},
        "metrics": {},
    }


def build_tiny_bundle(
    directory: Path, *, token_type_ids: bool = False, max_length: int = 16
) -> Path:
    """Writes ``model.onnx``, ``tokenizer.json`` and ``manifest.json`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    onnx.save(build_graph(token_type_ids=token_type_ids), str(directory / "model.onnx"))
    build_tokenizer().save(str(directory / "tokenizer.json"))
    manifest = manifest_dict(token_type_ids=token_type_ids, max_length=max_length)
    (directory / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return directory


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "test-output/tiny-bundle")
    print(build_tiny_bundle(out))
