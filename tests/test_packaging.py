"""The wheel's package list names every folder whose files the package needs."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = {".py", ".json", ".jsonl", ".yaml", ".txt", ".onnx", ".npy", ".html", ".js", ".css"}


def test_every_folder_with_package_files_is_listed() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(project["tool"]["setuptools"]["packages"])
    roots = project["tool"]["setuptools"]["package-dir"]
    missing = []
    for name, folder in roots.items():
        base = ROOT / folder
        for path in sorted(p for p in base.rglob("*") if p.is_dir()):
            if "__pycache__" in path.parts:
                continue
            if any(f.suffix in PACKAGED for f in path.iterdir() if f.is_file()):
                package = ".".join([name, *path.relative_to(base).parts])
                if package not in listed:
                    missing.append(package)
    assert not missing, f"add to [tool.setuptools] packages: {missing}"


def test_the_list_has_no_repeats() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = project["tool"]["setuptools"]["packages"]
    assert len(packages) == len(set(packages))
