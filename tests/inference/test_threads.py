"""Building an engine limits numpy's BLAS pool (process-wide) unless told to leave it alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from moodmoji.inference.engine import Engine
from moodmoji.inference.settings import EngineSettings, SessionSettings


def blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_engine_limits_blas_threads_and_zero_leaves_them(tiny_bundle: Path) -> None:
    assert np.ones(3) @ np.ones(3) == 3  # numpy's BLAS is loaded
    with threadpool_limits(limits=2, user_api="blas"):  # restores the pool size afterwards
        Engine.from_path(tiny_bundle, EngineSettings(session=SessionSettings(blas_threads=0)))
        assert blas_threads() == {2}
        Engine.from_path(tiny_bundle, EngineSettings(session=SessionSettings(blas_threads=1)))
        assert blas_threads() == {1}
