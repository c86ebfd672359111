"""Architecture guard: the data flows adapter -> bot -> inference, and no layer reaches around.

- ``inference/`` imports no platform or web library, and nothing of ``bot`` or ``adapters``.
- ``adapters/`` import neither onnxruntime nor tokenizers, nor ``inference`` (they talk to bot).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = {
    "discord",
    "telegram",
    "aiohttp",
    "fastapi",
    "starlette",
    "httpx",
    "flask",
    "websockets",
}
FORBIDDEN = {
    "inference": PLATFORM | {"bot", "adapters"},
    "adapters": {"onnxruntime", "tokenizers", "inference", "torch", "transformers", "onnx"},
}


def imported_modules(source: str) -> Iterator[tuple[int, str]]:
    """Yields (line, top-level module) for every import, including import_module("x")."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module.split(".")[0]
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in ("import_module", "__import__") and isinstance(first, ast.Constant):
                yield node.lineno, str(first.value).split(".")[0]


def violations(package: str) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, module in imported_modules(path.read_text(encoding="utf-8")):
            if module in FORBIDDEN[package]:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_forbidden_imports(package: str) -> None:
    assert (ROOT / package).is_dir()
    assert violations(package) == []


def test_the_walker_sees_every_import_form() -> None:
    source = (
        "import onnxruntime as ort\n"
        "from tokenizers import Tokenizer\n"
        "def f():\n"
        "    import discord.ext.commands\n"
        "    importlib.import_module('telegram.ext')\n"
        "from . import sibling\n"
    )
    assert [m for _, m in imported_modules(source)] == [
        "onnxruntime",
        "tokenizers",
        "discord",
        "telegram",
    ]
