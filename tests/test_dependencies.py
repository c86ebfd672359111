"""Runtime dependencies are pinned to tested ranges, and the HTTP lock file agrees with them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "http.lock"


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = project["dependencies"] + project["optional-dependencies"]["http"]
    return [Requirement(r) for r in names]


def _locked() -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", LOCK.read_text(encoding="utf-8"), re.M)
    return {canonicalize_name(name): version for name, version in pins}


def test_every_runtime_dependency_has_an_upper_bound() -> None:
    for requirement in _requirements():
        assert any(s.operator in ("<", "<=", "==", "~=") for s in requirement.specifier), (
            f"{requirement} has no upper bound"
        )


def test_the_http_lock_pins_every_dependency_within_its_range_with_hashes() -> None:
    locked = _locked()
    for requirement in _requirements():
        version = locked.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} is not in {LOCK.name}"
        assert requirement.specifier.contains(version), f"{requirement.name}=={version}"
    blocks = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", LOCK.read_text(encoding="utf-8"))
    pinned = [b for b in blocks if re.match(r"[A-Za-z0-9_.\-]+==", b)]
    assert pinned and all("--hash=sha256:" in b for b in pinned)  # pip install --require-hashes
