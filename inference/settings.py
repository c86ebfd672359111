"""Frozen settings of the inference core.

The bot layer maps its validated config onto these; the core never reads config files itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

GraphOptimization = Literal["disable", "basic", "extended", "all"]


@dataclass(frozen=True)
class SessionSettings:
    """How ONNX Runtime sessions are created.

    Attributes:
        intra_op_threads: Threads inside one operator; 0 lets ORT choose (all physical cores).
        inter_op_threads: Threads across independent operators; 0 lets ORT choose.
        providers: Execution providers in order of preference; unavailable ones are skipped.
        graph_optimization: ORT graph optimisation level.
        blas_threads: Threads of numpy's BLAS (OpenBLAS) pool in this process; 0 leaves it
            alone. The core's numpy work is small matrix-vector products, and idle BLAS threads
            spinning next to ORT's pool made a whole decision about 3x slower on two cores.

    """

    intra_op_threads: int = 0
    inter_op_threads: int = 1
    providers: tuple[str, ...] = ("CPUExecutionProvider",)
    graph_optimization: GraphOptimization = "all"
    blas_threads: int = 1


@dataclass(frozen=True)
class HygieneSettings:
    """Text clean-up applied before tokenization.

    Attributes:
        max_chars: Texts are cut to this many characters (after normalisation).
        max_combining_run: Longest run of combining marks kept on one base character.

    """

    max_chars: int = 2000
    max_combining_run: int = 3


@dataclass(frozen=True)
class BatchSettings:
    """How the asyncio micro-batcher coalesces requests.

    Attributes:
        max_batch_size: Most texts in one ORT run.
        max_wait_ms: Longest time the first request of a batch waits for company.

    """

    max_batch_size: int = 32
    max_wait_ms: float = 5.0


@dataclass(frozen=True)
class EngineSettings:
    """Everything needed to build an engine from a bundle path."""

    session: SessionSettings = field(default_factory=SessionSettings)
    hygiene: HygieneSettings = field(default_factory=HygieneSettings)
    batch: BatchSettings = field(default_factory=BatchSettings)
