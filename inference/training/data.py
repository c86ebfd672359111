"""Tokenised training splits, the seeded batch plan, and padding into tensors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from tokenizers import Tokenizer

from moodmoji.inference.datasets import TASK_GROUPS, Dataset, read_dataset, split_files
from moodmoji.inference.emoji_names import spell_emoji

_SORT_POOL = 50
"""Batches drawn together and sorted by length, so that padding stays small."""


@dataclass(frozen=True)
class TokenisedSplit:
    """A dataset with its token ids.

    Attributes:
        dataset: The examples.
        ids: Token ids per example (truncated, unpadded).
    """

    dataset: Dataset
    ids: tuple[tuple[int, ...], ...]

    @property
    def task(self) -> str:
        """The task name."""
        return self.dataset.task.name

    def targets(self, rows: npt.NDArray[np.int64]) -> torch.Tensor:
        """Gold labels of ``rows``: a multi-hot or soft float matrix, or a class-id vector."""
        spec = self.dataset.task
        examples = [self.dataset.examples[int(i)] for i in rows]
        if spec.soft:
            return torch.tensor([list(e.weights) for e in examples], dtype=torch.float32)
        if spec.multi_label:
            out = torch.zeros(len(examples), len(spec.labels))
            for row, example in enumerate(examples):
                out[row, list(example.labels)] = 1.0
            return out
        return torch.tensor([e.labels[0] for e in examples], dtype=torch.long)


@dataclass(frozen=True)
class Batch:
    """One step's rows of one task."""

    task: str
    rows: npt.NDArray[np.int64]


def load_tokenizer(encoder_dir: Path, max_length: int) -> Tokenizer:
    """The encoder's fast tokenizer, truncating at ``max_length`` and not padding."""
    tokenizer = Tokenizer.from_file(str(encoder_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer


def model_text(text: str, emoji_names: bool) -> str:
    """The text as the model reads it: emoji spelled out when the run does so."""
    return spell_emoji(text) if emoji_names else text


def tokenise(
    dataset: Dataset, tokenizer: Tokenizer, limit: int | None = None, emoji_names: bool = False
) -> TokenisedSplit:
    """Tokenises a dataset (its first ``limit`` examples when given)."""
    dataset = dataset.head(limit)
    encodings = tokenizer.encode_batch([model_text(t, emoji_names) for t in dataset.texts])
    return TokenisedSplit(dataset, tuple(tuple(e.ids) for e in encodings))


def load_splits(
    data_root: Path,
    tasks: tuple[str, ...],
    tokenizer: Tokenizer,
    limit: int | None,
    emoji_names: bool = False,
    response_root: Path | None = None,
) -> tuple[dict[str, TokenisedSplit], dict[str, TokenisedSplit]]:
    """Reads and tokenises the train and dev splits of every task."""
    train: dict[str, TokenisedSplit] = {}
    dev: dict[str, TokenisedSplit] = {}
    for task in tasks:
        train_file, dev_file = split_files(data_root, task, response_root)
        train[task] = tokenise(read_dataset(task, train_file), tokenizer, limit, emoji_names)
        dev[task] = tokenise(read_dataset(task, dev_file), tokenizer, limit, emoji_names)
    return train, dev


def subsample(split: TokenisedSplit, count: int, seed: int) -> TokenisedSplit:
    """A seeded sample of at most ``count`` rows of a split, in their original order."""
    n = len(split.ids)
    if count >= n:
        return split
    keep = np.sort(np.random.default_rng([seed, n, count]).choice(n, size=count, replace=False))
    dataset = Dataset(
        split.dataset.task, split.dataset.path, tuple(split.dataset.examples[i] for i in keep)
    )
    return TokenisedSplit(dataset, tuple(split.ids[i] for i in keep))


def group_members(tasks: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Planning task -> every task trained on its batches (a lone task trains alone)."""
    members: dict[str, tuple[str, ...]] = {}
    grouped: set[str] = set()
    for group in TASK_GROUPS.values():
        present = tuple(t for t in group if t in tasks)
        if present:
            members[present[0]] = present
            grouped.update(present)
    for task in tasks:
        if task not in grouped:
            members[task] = (task,)
    return members


def class_priors(split: TokenisedSplit) -> list[float]:
    """Label frequencies of a single-label split (add-one smoothed), in label order."""
    counts = np.ones(len(split.dataset.task.labels))
    for example in split.dataset.examples:
        counts[example.labels[0]] += 1
    return [float(c) for c in counts / counts.sum()]


def epoch_plan(
    splits: dict[str, TokenisedSplit],
    batch_size: int,
    seed: int,
    epoch: int,
    repeats: dict[str, int] | None = None,
) -> list[Batch]:
    """The batches of one epoch, a pure function of ``(seed, epoch)`` so resume can skip ahead.

    Every example of every task appears once (``repeats[task]`` times when given). Batches hold
    one task (for a task group, its first task: see :func:`group_members`); rows are drawn in
    pools of ``50 * batch_size``, sorted by length within a pool, and the batches of all tasks
    shuffled.
    """
    rng = np.random.default_rng([seed, epoch])
    batches: list[Batch] = []
    leaders = group_members(tuple(splits))
    for task in sorted(leaders):
        split = splits[task]
        times = (repeats or {}).get(task, 1)
        order = np.concatenate([rng.permutation(len(split.ids)) for _ in range(times)])
        lengths = np.array([len(ids) for ids in split.ids])
        pool = batch_size * _SORT_POOL
        for start in range(0, len(order), pool):
            chunk = order[start : start + pool]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches.extend(
                Batch(task, chunk[i : i + batch_size]) for i in range(0, len(chunk), batch_size)
            )
    return [batches[i] for i in rng.permutation(len(batches))]


def pad(
    ids: tuple[tuple[int, ...], ...], rows: npt.NDArray[np.int64], pad_id: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pads the token ids of ``rows`` to their longest; returns ``(input_ids, attention_mask)``."""
    chosen = [ids[int(i)] for i in rows]
    width = max(1, max(len(seq) for seq in chosen))
    input_ids = torch.full((len(chosen), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(chosen), width), dtype=torch.long)
    for row, seq in enumerate(chosen):
        input_ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return input_ids, mask


def length_sorted_batches(n_ids: list[int], batch_size: int) -> list[npt.NDArray[np.int64]]:
    """Row batches for inference, sorted by length (results are put back in order by row)."""
    order = np.argsort(np.asarray(n_ids), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
