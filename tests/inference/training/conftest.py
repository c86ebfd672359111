"""A tiny pretrained encoder, a tiny copy of the shared data layout, and one finished run.

The builders are plain functions so that the command-line tests (``tests/bot``) can make the
same encoder and data without these fixtures.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import BertConfig, BertModel

from moodmoji.inference.datasets import TASKS
from moodmoji.inference.training.settings import TrainSettings
from moodmoji.inference.training.trainer import TrainResult, train
from tests.inference.export.checkpoints import CHAT_TEXTS, save_wordpiece_tokenizer

LINES = 40
"""Examples per split of the tiny data root."""
FACEBOOK_PAGES = {"train": ("pagea", "pagec", "paged"), "dev": ("pageb", "pagef")}
"""Page names whose hash puts them in each split (see ``facebook_dev_page``)."""
_RESPONSE_EMOJI = (("🎉", "👏", "🥳"), ("😂", "💀", "🤣"), ("🫂", "❤️", "🙏"), ("👍", "👌", "✅"))
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
        _write_facebook(root / "facebook_reactions" / "csv_gz", split, texts)
        _write(root / "response" / f"{split}.jsonl", _response_rows(texts))
    return root


def _write_facebook(folder: Path, split: str, texts: list[str]) -> None:
    """One gzipped CSV per page of the split, in the real files' columns."""
    folder.mkdir(parents=True, exist_ok=True)
    columns = ["status_id", "status_message", "status_published", "num_reactions"]
    counts = ["num_likes", "num_loves", "num_wows", "num_hahas", "num_sads", "num_angrys"]
    pages = FACEBOOK_PAGES[split]
    for p, page in enumerate(pages):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns + counts)
        for i, text in enumerate(texts[p :: len(pages)]):
            reactions = [50, 5 + (i % 3) * 20, 1 + i % 2, 2 + (i % 4) * 9, i % 5, 1]
            writer.writerow(
                [f"{page}_{i}", text, f"2016-03-{1 + i % 28:02d}", sum(reactions), *reactions]
            )
            writer.writerow([f"{page}_{i}x", "", "2016-03-01", 0, *[0] * 6])  # skipped: no text
        (folder / f"{page}_facebook_statuses.csv.gz").write_bytes(
            gzip.compress(buffer.getvalue().encode("utf-8"))
        )


def _response_rows(texts: list[str]) -> list[str]:
    """Response rows in the data card's format: every fourth one is logistics."""
    moods = ("joy", "joy", "sadness", "neutral")
    intents = (["congratulate"], ["laugh"], ["sympathize", "comfort"], ["acknowledge"])
    rows = []
    for i, text in enumerate(texts):
        kind = i % 4
        rows.append(
            json.dumps(
                {
                    "text": text,
                    "emoji": list(_RESPONSE_EMOJI[kind]),
                    "mood": [moods[kind]],
                    "abstain_ok": kind == 3,
                    "intents": intents[kind],
                    "family": f"family-{kind}",
                    "register": "friends",
                },
                ensure_ascii=False,
            )
        )
    return rows


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
        response_data=data / "response",
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
