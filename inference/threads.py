"""Keeps numpy's BLAS thread pool from fighting ONNX Runtime's for the cores.

The core multiplies small matrices with numpy (reply fit, topic gate) right after each ONNX
Runtime run. OpenBLAS starts a thread per core for them, and its idle threads spin while ORT's
threads spin too: on two cores a whole decision took 6.8 ms instead of 2.3 ms (median of 200).
One BLAS thread is plenty for matrix-vector products of this size.

The limit is process-wide (BLAS has one pool per process), applied when an engine is built,
through threadpoolctl, so it works whether or not numpy was imported first.
"""

from __future__ import annotations

import logging

from threadpoolctl import threadpool_limits

logger = logging.getLogger(__name__)

__all__ = ["limit_blas_threads"]


def limit_blas_threads(threads: int) -> None:
    """Limits every loaded BLAS library to ``threads`` threads; 0 leaves them alone."""
    if threads <= 0:
        return
    threadpool_limits(limits=threads, user_api="blas")
    logger.debug("BLAS thread pools limited to %d", threads)
