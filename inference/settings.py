"""Frozen settings of the inference core.

The bot layer maps its validated config onto these; the core never reads config files itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from moodmoji.inference.buckets import BucketSettings

GraphOptimization = Literal["disable", "basic", "extended", "all"]


@dataclass(frozen=True)
class SessionSettings:
    """How ONNX Runtime sessions are created.

    Attributes:
        intra_op_threads: Threads inside one operator; 0 lets ORT choose (all physical cores).
            The default 1 pairs with :attr:`EngineSettings.parallel_runs`: the runs of a batch
            go to the cores in parallel, one thread each (measured faster than one run at a
            time on two threads; see ``docs/benchmarks.md``).
        inter_op_threads: Threads across independent operators; 0 lets ORT choose.
        providers: Execution providers in order of preference; unavailable ones are skipped.
        graph_optimization: ORT graph optimisation level.
        blas_threads: Threads of numpy's BLAS (OpenBLAS) pool in this process; 0 leaves it
            alone. The core's numpy work is small matrix-vector products, and idle BLAS threads
            spinning next to ORT's pool made a whole decision about 3x slower on two cores.
        disabled_optimizers: ORT graph optimizers left out. ``SkipLayerNormFusion`` would merge
            each residual Add and LayerNormalization into one SkipLayerNormalization, whose CPU
            kernel was 3.4 times slower than the two it replaces (benchmark messages, 1 thread).

    """

    intra_op_threads: int = 1
    inter_op_threads: int = 1
    providers: tuple[str, ...] = ("CPUExecutionProvider",)
    graph_optimization: GraphOptimization = "all"
    blas_threads: int = 1
    disabled_optimizers: tuple[str, ...] = ("SkipLayerNormFusion",)


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
    """Everything needed to build an engine from a bundle path.

    Attributes:
        session: How the ORT session is created.
        hygiene: Text clean-up.
        batch: The asyncio micro-batcher.
        buckets: How one call's texts are split into runs of similar length.
        parallel_runs: Runs of one call executed at once; 0 = one per CPU.

    """

    session: SessionSettings = field(default_factory=SessionSettings)
    hygiene: HygieneSettings = field(default_factory=HygieneSettings)
    batch: BatchSettings = field(default_factory=BatchSettings)
    buckets: BucketSettings = field(default_factory=BucketSettings)
    parallel_runs: int = 0
