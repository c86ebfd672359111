"""A tiny pretrained encoder, a tiny copy of the shared data layout, and one finished run.

The builders are plain functions so that the command-line tests (``tests/bot``) can make the
same encoder and data without these fixtures.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import BertConfig, BertModel

from inference.datasets import TASKS
from inference.training.settings import TrainSettings
from inference.training.trainer import TrainResult, train
from tests.inference.export.checkpoints import CHAT_TEXTS, save_wordpiece_tokenizer

LINES = 40
"""Examples per split of the tiny data root."""
_TAILS = ("", " !!", " lol", " tbh", " right now", " 😂")


def build_tiny_encoder(directory: Path) -> Path:
    """Saves a tiny random BERT encoder with a WordPiece ``tokenizer.json``; returns its folder."""
    directory.mkdir(parents=True, exist_ok=True)
    vocab = save_wordpiece_tokenizer(directory, distil=False, lowercase=True)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=vocab,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(directory)
    return directory


def tiny_texts(split: str) -> list[str]:
    """``LINES`` chat texts, different for train and dev."""
    offset = 0 if split == "train" else 3
    return [
        CHAT_TEXTS[i % len(CHAT_TEXTS)] + _TAILS[(i // len(CHAT_TEXTS) + offset) % len(_TAILS)]
        for i in range(LINES)
    ]


def write_tiny_data(root: Path) -> Path:
    """Writes train and dev splits of every task in the shared data layout; returns ``root``."""
    for split, goemotions, emotion, tweeteval in (
        ("train", "train.tsv", "train.txt", "train"),
        ("dev", "dev.tsv", "val.txt", "val"),
    ):
        texts = tiny_texts(split)
        n_goemotions = len(TASKS["goemotions"].labels)
        rows = [
            f"{text}\t{i % n_goemotions}"
            + (f",{(i * 5 + 1) % n_goemotions}" if i % 3 else "")
            + f"\tid{i}"
            for i, text in enumerate(texts)
        ]
        _write(root / "goemotions" / goemotions, rows)
        emotion_labels = TASKS["emotion"].labels
        rows = ["text;label_name"] + [
            f"{text.lower()};{emotion_labels[i % len(emotion_labels)]}"
            for i, text in enumerate(texts)
        ]
        _write(root / "emotion" / emotion, rows)
        _write(root / "tweeteval_emoji" / f"{tweeteval}_text.txt", texts)
        n_emoji = len(TASKS["tweeteval-emoji"].labels)
        _write(
            root / "tweeteval_emoji" / f"{tweeteval}_labels.txt",
            [str(i % n_emoji) for i in range(len(texts))],
        )
    return root


def _write(path: Path, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def tiny_settings(data: Path, encoder: Path, out: Path, **changes: Any) -> TrainSettings:
    """Settings of a fast CPU run on the tiny data (a few steps, checkpoint every 2)."""
    settings = TrainSettings(
        data_root=data,
        out_dir=out,
        encoder=encoder,
        epochs=1,
        batch_size=8,
        max_length=32,
        checkpoint_every=2,
        device="cpu",
        max_steps=6,
    )
    return replace(settings, **changes)


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_encoder(tmp_path_factory.mktemp("encoder"))


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_data(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def trained_run(
    tmp_path_factory: pytest.TempPathFactory, tiny_encoder: Path, tiny_data: Path
) -> TrainResult:
    """One finished run (6 steps); treat its folder as read-only."""
    return train(tiny_settings(tiny_data, tiny_encoder, tmp_path_factory.mktemp("run")))
