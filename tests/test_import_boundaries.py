"""Architecture guard: the data flows adapter -> bot -> inference, and no layer reaches around.

- ``inference/`` imports no platform or web library, and nothing of ``bot``, ``adapters`` or
  ``tools``.
- ``bot/`` (the decision core) imports no platform library, no web framework, no torch, and
  nothing of ``adapters`` or ``tools``: platforms reach it only through the registry.
- ``adapters/`` import neither onnxruntime nor tokenizers, nor ``inference``, nor the store
  (they talk to the core, whose ``chats`` own every chat operation), nor ``tools``.
- ``tools/`` (command line, benchmark, report, training) may use everything.
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
TRAINING = {"torch", "transformers", "onnx", "onnxscript", "sklearn"}
FORBIDDEN = {
    "inference": PLATFORM | {"bot", "adapters", "tools"},
    "bot": PLATFORM | TRAINING | {"uvicorn", "prometheus_client", "adapters", "tools"},
    "adapters": {"onnxruntime", "tokenizers", "inference", "tools", "bot.store"} | TRAINING,
}


def top_level(module: str) -> str:
    """The library a module belongs to; for ``moodmoji.x.y``, the project layer ``x``.

    The settings store is its own name (``bot.store``): only the core may open it.
    """
    parts = module.split(".")
    if parts[0] != "moodmoji" or len(parts) < 2:
        return parts[0]
    return "bot.store" if parts[1:3] == ["bot", "store"] else parts[1]


def imported_modules(source: str) -> Iterator[tuple[int, str]]:
    """Yields (line, top-level module) for every import, including import_module("x")."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, top_level(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, top_level(node.module)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in ("import_module", "__import__") and isinstance(first, ast.Constant):
                yield node.lineno, top_level(str(first.value))


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
        "from moodmoji.bot.store import SettingsStore\n"
        "from moodmoji.bot.core import MoodBot\n"
    )
    assert [m for _, m in imported_modules(source)] == [
        "onnxruntime",
        "tokenizers",
        "bot.store",
        "bot",
        "discord",
        "telegram",
    ]
