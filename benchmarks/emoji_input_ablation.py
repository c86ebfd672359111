"""Does spelling emoji out help the model read them? A frozen-encoder probe on the response data.

The same encoder embeds the response dataset's texts two ways: as written (MiniLM's WordPiece
turns nearly every emoji into ``[UNK]``) and with each emoji replaced by its CLDR name
(``inference.emoji_names``). A linear reaction head is trained on each set of train embeddings
(same seed, same steps) and scored on dev: top-1 acceptable reaction over react-worthy rows,
over all of them and over the rows whose text holds an emoji. Run::

    python benchmarks/emoji_input_ablation.py --weights scratch/init.pt

``--weights`` is a ``final.pt``-like file (``moodmoji train`` or
``python -m moodmoji.inference.training.recover``); without it the pretrained all-MiniLM-L6-v2.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from moodmoji.inference.datasets import REACTION_LABELS, RESPONSE_DATA
from moodmoji.inference.emoji_names import emoji_like, spell_emoji
from moodmoji.inference.training.data import length_sorted_batches, load_tokenizer, pad
from moodmoji.inference.training.model import load_encoder, mean_pool, pretrained_encoder_dir


def rows(path: Path) -> list[dict[str, object]]:
    """The JSONL rows of one split."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@torch.no_grad()
def embed(encoder: nn.Module, tokenizer: object, texts: list[str]) -> torch.Tensor:
    """Mean-pooled encoder states of ``texts``, in order."""
    ids = tuple(tuple(e.ids) for e in tokenizer.encode_batch(texts))  # type: ignore[attr-defined]
    out = torch.zeros(len(texts), 384)
    for batch in length_sorted_batches([len(i) for i in ids], 128):
        input_ids, mask = pad(ids, batch)
        hidden = encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
        out[torch.as_tensor(batch)] = mean_pool(hidden, mask)
    return out


def targets(data: list[dict[str, object]]) -> torch.Tensor:
    """Multi-hot acceptable reactions over the reaction labels."""
    index = {label.replace("\ufe0f", ""): i for i, label in enumerate(REACTION_LABELS)}
    out = torch.zeros(len(data), len(REACTION_LABELS))
    for row, item in enumerate(data):
        for emoji in item["emoji"]:  # type: ignore[attr-defined]
            out[row, index[str(emoji).replace("\ufe0f", "")]] = 1.0
    return out


def probe(train_x: torch.Tensor, train_y: torch.Tensor, seed: int = 13) -> nn.Linear:
    """A linear multi-label head trained on frozen features (full batch, Adam, 300 steps)."""
    torch.manual_seed(seed)
    head = nn.Linear(train_x.shape[1], train_y.shape[1])
    optimiser = torch.optim.Adam(head.parameters(), lr=3e-3, weight_decay=1e-5)
    for _ in range(300):
        optimiser.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(head(train_x), train_y)
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
    return head


def top1(head: nn.Linear, x: torch.Tensor, y: torch.Tensor, keep: np.ndarray) -> float:
    """Share of kept rows whose best-scored emoji is acceptable."""
    with torch.no_grad():
        best = head(x).argmax(dim=1)
    hits = y[torch.arange(len(y)), best].numpy() > 0
    return float(hits[keep].mean())


def main() -> None:
    """Prints the probe's dev figures for both inputs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, help="final.pt-like weights to load")
    parser.add_argument("--data", type=Path, default=RESPONSE_DATA)
    args = parser.parse_args()
    encoder_dir = pretrained_encoder_dir(None)
    encoder = load_encoder(encoder_dir)
    if args.weights is not None:
        state = torch.load(args.weights, map_location="cpu", weights_only=False)["model"]
        prefix = "encoder."
        encoder.load_state_dict(
            {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}, strict=False
        )
    encoder.eval()
    tokenizer = load_tokenizer(encoder_dir, 128)
    train, dev = rows(args.data / "train.jsonl"), rows(args.data / "dev.jsonl")
    train = [r for r in train if not r["abstain_ok"]]
    dev = [r for r in dev if not r["abstain_ok"]]
    train_y, dev_y = targets(train), targets(dev)
    with_emoji = np.array([emoji_like(str(r["text"])) for r in dev])
    everything = np.ones(len(dev), dtype=bool)
    print(f"train {len(train)} react-worthy rows; dev {len(dev)} ({with_emoji.sum()} with emoji)")
    for name, prepare in (("as written", str), ("emoji names", spell_emoji)):
        started = time.perf_counter()
        train_x = embed(encoder, tokenizer, [prepare(str(r["text"])) for r in train])
        dev_x = embed(encoder, tokenizer, [prepare(str(r["text"])) for r in dev])
        head = probe(train_x, train_y)
        print(
            f"{name:12s} dev top-1 all {top1(head, dev_x, dev_y, everything):.3f}, "
            f"with emoji {top1(head, dev_x, dev_y, with_emoji):.3f}, "
            f"without {top1(head, dev_x, dev_y, ~with_emoji):.3f} "
            f"({time.perf_counter() - started:.0f} s)"
        )


if __name__ == "__main__":
    main()
