"""Session-wide caches of the tiny checkpoints and of their exported bundles."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodmoji.inference.export import ExportReport, export_checkpoint
from tests.inference.export.checkpoints import BUILDERS, Built


class Checkpoints:
    """Builds each tiny checkpoint once per session, on first use."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._built: dict[str, Built] = {}

    def get(self, name: str) -> Built:
        if name not in self._built:
            directory = self._root / name
            directory.mkdir()
            self._built[name] = BUILDERS[name](directory)
        return self._built[name]


class Bundles:
    """Exports each checkpoint once per session and flavour (fp32 / int8), on first use."""

    def __init__(self, root: Path, checkpoints: Checkpoints) -> None:
        self._root = root
        self._checkpoints = checkpoints
        self._reports: dict[tuple[str, bool], ExportReport] = {}

    def get(self, name: str, *, int8: bool = False) -> ExportReport:
        key = (name, int8)
        if key not in self._reports:
            built = self._checkpoints.get(name)
            out = self._root / f"{name}{'-int8' if int8 else ''}"
            self._reports[key] = export_checkpoint(
                built.path, out, int8=int8, labels=built.cli_labels
            )
        return self._reports[key]


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> Checkpoints:
    return Checkpoints(tmp_path_factory.mktemp("checkpoints"))


@pytest.fixture(scope="session")
def bundles(tmp_path_factory: pytest.TempPathFactory, checkpoints: Checkpoints) -> Bundles:
    return Bundles(tmp_path_factory.mktemp("bundles"), checkpoints)
