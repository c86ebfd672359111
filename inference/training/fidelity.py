"""How well the bundle's embedding head keeps the original encoder's similarity structure.

Figures (on dev texts):

* ``mean_cosine``: mean cosine between a text's embedding and all-MiniLM-L6-v2's embedding of it.
* ``pairwise_spearman``: Spearman correlation between the two models' cosine similarities of
  random text pairs (what matters for nearest-neighbour search).
* ``neighbour_overlap``: share of each text's 10 nearest neighbours (among the texts) that the
  two models agree on.

The same figures for the fine-tuned encoder's mean-pooled states without the embedding head
(``pooled_*``) show what the distillation buys.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from moodmoji.inference.engine import Engine
from moodmoji.inference.topics import embed
from moodmoji.inference.training.data import length_sorted_batches, load_tokenizer, pad
from moodmoji.inference.training.model import MultiTaskModel, load_encoder, mean_pool

FloatArray = npt.NDArray[np.float32]
_PAIRS = 5000
_NEIGHBOURS = 10


def _ranks(values: FloatArray) -> FloatArray:
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[np.argsort(values, kind="stable")] = np.arange(len(values))
    return ranks.astype(np.float32)


def similarity_agreement(
    student: FloatArray, teacher: FloatArray, seed: int = 0
) -> dict[str, float]:
    """Agreement figures between two sets of L2-normalised embeddings of the same texts."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, len(student), _PAIRS)
    b = rng.integers(0, len(student), _PAIRS)
    s_sim = np.sum(student[a] * student[b], axis=1)
    t_sim = np.sum(teacher[a] * teacher[b], axis=1)
    spearman = float(np.corrcoef(_ranks(s_sim), _ranks(t_sim))[0, 1])
    k = min(_NEIGHBOURS, len(student) - 1)
    s_nn = np.argsort(-(student @ student.T), axis=1)[:, 1 : k + 1]
    t_nn = np.argsort(-(teacher @ teacher.T), axis=1)[:, 1 : k + 1]
    overlap = np.mean([len(set(x) & set(y)) / k for x, y in zip(s_nn, t_nn, strict=True)])
    return {
        "mean_cosine": round(float(np.mean(np.sum(student * teacher, axis=1))), 4),
        "pairwise_spearman": round(spearman, 4),
        "neighbour_overlap": round(float(overlap), 4),
    }


@torch.no_grad()
def _torch_embeddings(
    texts: Sequence[str], encoder_dir: Path, max_length: int, model: MultiTaskModel | None
) -> FloatArray:
    tokenizer = load_tokenizer(encoder_dir, max_length)
    ids = tuple(tuple(e.ids) for e in tokenizer.encode_batch(list(texts)))
    encoder = model.encoder if model is not None else load_encoder(encoder_dir)
    torch.nn.Module.eval(encoder)
    out = np.zeros((len(texts), int(encoder.config.hidden_size)), dtype=np.float32)
    for rows in length_sorted_batches([len(i) for i in ids], 128):
        input_ids, mask = pad(ids, rows, tokenizer.token_to_id("[PAD]") or 0)
        hidden = encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
        pooled = torch.nn.functional.normalize(mean_pool(hidden, mask), dim=-1)
        out[rows] = pooled.numpy()
    return out


def embedding_fidelity(
    engine: Engine,
    model: MultiTaskModel,
    encoder_dir: Path,
    texts: Sequence[str],
    max_length: int,
) -> dict[str, Any]:
    """Fidelity to the original encoder of the bundle's embedding head and of pooled states.

    See the module docstring for the figures.
    """
    teacher = _torch_embeddings(texts, encoder_dir, max_length, None)
    student = embed(engine, texts)
    pooled = _torch_embeddings(texts, encoder_dir, max_length, model)
    figures: dict[str, Any] = {"texts": len(texts), **similarity_agreement(student, teacher)}
    figures.update({f"pooled_{k}": v for k, v in similarity_agreement(pooled, teacher).items()})
    return figures
