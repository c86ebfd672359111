"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.inference.tiny_bundle import build_tiny_bundle


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny real bundle (ONNX lexicon model + tokenizer); treat it as read-only."""
    return build_tiny_bundle(tmp_path_factory.mktemp("bundles") / "tiny")


@pytest.fixture()
def bundle_copy(tmp_path: Path) -> Path:
    """A fresh tiny bundle that a test may break."""
    return build_tiny_bundle(tmp_path / "bundle")
