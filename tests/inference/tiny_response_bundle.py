"""A tiny real bundle with the learned response heads of the default model's kind.

Like :mod:`tests.inference.tiny_bundle`, the graph is a lexicon model: each known word has a
one-hot embedding on a few "concepts" (a win, a joke, grief, food, worry, logistics), tokens are
mean-pooled over the mask, and each head is a MatMul + bias on the pooled vector. Its heads
carry the manifest roles ``reaction``, ``trigger``, ``intent`` and ``mood``, and the manifest
declares the ``emoji-names`` text step, so ``"😂😂"`` reaches the graph as ``":face with tears
of joy:"`` and scores as a joke, while a bundle without the step sees only ``[UNK]``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer

from tests.inference.tiny_bundle import build_tokenizer as wordlevel_tokenizer

CONCEPTS: dict[str, tuple[str, ...]] = {
    "win": ("won", "promoted", "gg", "engaged", "trophy"),
    "joke": ("lol", "lmao", "funny", "tears"),
    "grief": ("died", "funeral", "lost", "miss"),
    "food": ("pizza", "dinner", "cake"),
    "worry": ("nervous", "scared", "exam"),
    "logistics": ("meeting", "moved", "3pm", "link", "ok"),
}
FILLER = ("the", "a", "i", "my", "so", "to", "is", "at", "grandpa", "we", "face", "with", "of")
SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")
REACTIONS = ("🎉", "👏", "😂", "💀", "🫂", "❤️", "🙏", "🍕", "😋", "🍀", "💪", "👍")
INTENTS = ("congratulate", "laugh", "sympathize", "encourage", "acknowledge")
MOODS = ("joy", "love", "sadness", "anger", "fear", "surprise", "disgust", "neutral")
_NAMES = tuple(CONCEPTS)


def _weights(table: dict[str, dict[str, float]], labels: tuple[str, ...]) -> np.ndarray:
    out = np.zeros((len(_NAMES), len(labels)), dtype=np.float32)
    for concept, row in table.items():
        for label, weight in row.items():
            out[_NAMES.index(concept), labels.index(label)] = weight
    return out


REACTION_WEIGHTS = _weights(
    {
        "win": {"🎉": 9, "👏": 7},
        "joke": {"😂": 9, "💀": 7},
        "grief": {"🫂": 10, "❤️": 8, "🙏": 7},
        "food": {"🍕": 9, "😋": 7},
        "worry": {"🍀": 9, "💪": 8, "🙏": 6},
        "logistics": {"👍": 4},
    },
    REACTIONS,
)
TRIGGER_WEIGHTS = _weights(
    {"win": {"react": 8}, "joke": {"react": 8}, "grief": {"react": 8}, "food": {"react": 8},
     "worry": {"react": 8}, "logistics": {"react": -8}},
    ("react",),
)  # fmt: skip
INTENT_WEIGHTS = _weights(
    {"win": {"congratulate": 9}, "joke": {"laugh": 9}, "grief": {"sympathize": 9},
     "worry": {"encourage": 9}, "logistics": {"acknowledge": 9}, "food": {"laugh": 2}},
    INTENTS,
)  # fmt: skip
MOOD_WEIGHTS = _weights(
    {"win": {"joy": 9}, "joke": {"joy": 8}, "grief": {"sadness": 12}, "food": {"joy": 7},
     "worry": {"fear": 9}, "logistics": {"neutral": 9}},
    MOODS,
)  # fmt: skip


def vocabulary() -> list[str]:
    """Every token of the tokenizer, specials first."""
    words = [w for group in CONCEPTS.values() for w in group] + list(FILLER)
    return list(SPECIALS) + list(dict.fromkeys(words))


def build_tokenizer() -> Tokenizer:
    """A lower-casing word-level tokenizer with [CLS] ... [SEP] around each text."""
    return wordlevel_tokenizer(vocabulary())


def build_graph() -> onnx.ModelProto:
    """The lexicon graph: outputs reaction, trigger, intent, mood and embedding."""
    vocab = vocabulary()
    emb = np.zeros((len(vocab), len(_NAMES)), dtype=np.float32)
    for j, concept in enumerate(_NAMES):
        for word in CONCEPTS[concept]:
            emb[vocab.index(word), j] = 1.0
    emb += np.random.default_rng(0).normal(0, 0.01, emb.shape).astype(np.float32)
    heads = {
        "reaction": (REACTION_WEIGHTS, -4.0),
        "trigger": (TRIGGER_WEIGHTS, 0.0),
        "intent": (INTENT_WEIGHTS, -4.0),
        "mood": (MOOD_WEIGHTS, -4.0),
    }
    inits = [
        numpy_helper.from_array(emb, "emb"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "axis_last"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
    ]
    nodes = [
        helper.make_node("Gather", ["emb", "input_ids"], ["tok"]),
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "axis_last"], ["mask3"]),
        helper.make_node("Mul", ["tok", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis1"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask3", "axis1"], ["count"], keepdims=0),
        helper.make_node("Max", ["count", "one"], ["count1"]),
        helper.make_node("Div", ["summed", "count1"], ["pooled"]),
        # pooled vectors are short (few known words among specials): scale them up
        helper.make_node("Mul", ["pooled", "count1"], ["embedding"]),
    ]
    outputs = [
        helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", len(_NAMES)])
    ]
    for name, (weights, bias) in heads.items():
        inits += [
            numpy_helper.from_array(weights, f"w_{name}"),
            numpy_helper.from_array(np.full(weights.shape[1], bias, np.float32), f"b_{name}"),
        ]
        nodes += [
            helper.make_node("MatMul", ["embedding", f"w_{name}"], [f"{name}_mm"]),
            helper.make_node("Add", [f"{name}_mm", f"b_{name}"], [name]),
        ]
        outputs.append(
            helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", weights.shape[1]])
        )
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
    ]
    graph = helper.make_graph(nodes, "tiny_response", inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def manifest_dict(*, emoji_names: bool = True) -> dict[str, Any]:
    """The manifest, as a plain dict (tests may change it)."""
    return {
        "format_version": 1,
        "name": "tiny-response",
        "inputs": ["input_ids", "attention_mask"],
        "max_length": 32,
        "text_steps": ["emoji-names"] if emoji_names else [],
        "heads": [
            {
                "name": "reaction",
                "output": "reaction",
                "kind": "sigmoid",
                "labels": list(REACTIONS),
                "thresholds": [0.5] * len(REACTIONS),
                "emoji": {e: e for e in REACTIONS},
                "role": "reaction",
            },
            {
                "name": "trigger",
                "output": "trigger",
                "kind": "sigmoid",
                "labels": ["react"],
                "thresholds": [0.5],
                "role": "trigger",
            },
            {
                "name": "intent",
                "output": "intent",
                "kind": "sigmoid",
                "labels": list(INTENTS),
                "thresholds": [0.5] * len(INTENTS),
                "role": "intent",
            },
            {
                "name": "mood",
                "output": "mood",
                "kind": "sigmoid",
                "labels": list(MOODS),
                "thresholds": [0.5] * len(MOODS),
                "mood": {m: m for m in MOODS},
                "role": "mood",
            },
            {"name": "embedding", "output": "embedding", "kind": "embedding"},
        ],
        "provenance": {"source": "tests/inference/tiny_response_bundle.py"},
        "metrics": {},
    }


def build_response_bundle(directory: Path, *, emoji_names: bool = True) -> Path:
    """Writes the bundle's three files into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    onnx.save(build_graph(), str(directory / "model.onnx"))
    build_tokenizer().save(str(directory / "tokenizer.json"))
    (directory / "manifest.json").write_text(
        json.dumps(manifest_dict(emoji_names=emoji_names), indent=2, ensure_ascii=False),
        encoding="utf-8",
    )
    return directory
