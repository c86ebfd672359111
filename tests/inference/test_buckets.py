"""Length buckets: every text in exactly one run, padding and size bounds kept."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moodmoji.inference.buckets import BucketSettings, plan_buckets


def _padding(lengths: list[int], run: list[int]) -> float:
    widths = [max(1, lengths[i]) for i in run]
    return 1 - sum(widths) / (len(run) * max(widths))


def test_empty_batch_has_no_runs() -> None:
    assert plan_buckets([]) == []


def test_equal_lengths_share_one_run() -> None:
    assert plan_buckets([7] * 10) == [list(range(10))]


def test_short_texts_do_not_wait_for_a_long_one() -> None:
    lengths = [5, 120, 6, 5, 7, 118]
    runs = plan_buckets(lengths)
    assert [sorted(lengths[i] for i in run) for run in runs] == [[5, 5, 6, 7], [118, 120]]


def test_rows_are_capped() -> None:
    runs = plan_buckets([10] * 150, BucketSettings(max_rows=64))
    assert [len(r) for r in runs] == [64, 64, 22]


def test_cells_are_capped_for_many_long_texts() -> None:
    runs = plan_buckets([128] * 100, BucketSettings(max_rows=64, max_cells=4096))
    assert all(len(run) * 128 <= 4096 for run in runs)
    assert sum(len(r) for r in runs) == 100


def test_a_single_text_wider_than_the_cell_cap_still_runs() -> None:
    assert plan_buckets([512], BucketSettings(max_cells=100)) == [[0]]


def test_plan_depends_only_on_lengths() -> None:
    lengths = [random.Random(3).randint(1, 128) for _ in range(200)]
    assert plan_buckets(lengths) == plan_buckets(list(lengths))


@pytest.mark.reliability
@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(
    lengths=st.lists(st.integers(min_value=0, max_value=256), max_size=300),
    max_rows=st.integers(min_value=1, max_value=64),
    max_padding=st.floats(min_value=0.0, max_value=0.9),
)
def test_runs_partition_the_batch_within_bounds(
    lengths: list[int], max_rows: int, max_padding: float
) -> None:
    limits = BucketSettings(max_rows=max_rows, max_padding=max_padding, max_cells=1 << 30)
    runs = plan_buckets(lengths, limits)
    flat = [i for run in runs for i in run]
    assert sorted(flat) == list(range(len(lengths)))
    for run in runs:
        assert 1 <= len(run) <= max_rows
        assert [lengths[i] for i in run] == sorted(lengths[i] for i in run)
        if len(run) > 1:
            assert _padding(lengths, run) <= max_padding + 1e-9


@pytest.mark.parametrize("max_padding", [0.0, 0.2, 0.5])
def test_fewer_padding_cells_than_one_padded_batch(max_padding: float) -> None:
    rng = random.Random(11)
    lengths = [rng.choice([4, 8, 12, 20, 40, 128]) for _ in range(64)]
    runs = plan_buckets(lengths, BucketSettings(max_padding=max_padding))
    padded = sum(len(run) * max(lengths[i] for i in run) for run in runs)
    assert padded < len(lengths) * max(lengths)
