"""A short run of ``benchmarks/store_backends.py``: both backends, every operation, a few calls."""

from __future__ import annotations

import json

import pytest

from benchmarks.store_backends import OPERATIONS, main
from tests.bot.conftest import postgres_bin_or_skip


def test_a_short_run_measures_every_operation_on_both_backends(
    capsys: pytest.CaptureFixture[str],
) -> None:
    postgres_bin_or_skip()  # a throwaway server is started (skipped, or failed in CI, if none)
    assert main(["--passes=1", "--ops=20", "--threads=2", "--json"]) == 0

    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    names = {*OPERATIONS, "mixed, 2 threads"}
    for backend in ("sqlite", "postgresql", "postgresql_async_commit"):
        assert set(figures[backend]) == names
        for name in names:
            measured = figures[backend][name]
            assert measured["per_second"] > 0, (backend, name)
            assert 0 < measured["p50_us"] <= measured["p99_us"], (backend, name)
    for ratios in ("ratio_postgresql_to_sqlite", "ratio_postgresql_async_commit_to_sqlite"):
        assert set(figures[ratios]) == names
        assert all(ratio > 0 for ratio in figures[ratios].values())


def test_the_table_names_both_backends_and_the_caveat(capsys: pytest.CaptureFixture[str]) -> None:
    postgres_bin_or_skip()
    assert main(["--passes=1", "--ops=10", "--threads=2"]) == 0

    out = capsys.readouterr().out
    assert "SQLite" in out and "PostgreSQL" in out and "PG, async commit" in out
    assert "update claim" in out and "synchronous_commit=off" in out
