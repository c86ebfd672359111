"""Lazy package exports, so that an adapter's registry entry imports without its library.

``moodmoji.adapters.telegram.info`` (the registry entry) must import on a machine without
python-telegram-bot; the package's other names (``TelegramMoodmoji``...) need the library, and
asking for one without it raises a ``ModuleNotFoundError`` that names the pip extra.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str,
    exports: Mapping[str, str],
    *,
    libraries: tuple[str, ...],
    extra: str,
    what: str,
    needs: str | None = None,
) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports each exported name from its module on first use.

    Args:
        package: The package's ``__name__``.
        exports: Exported name -> the module (absolute) that defines it.
        libraries: Modules the adapter needs (``("telegram",)``), checked first.
        extra: The pip extra that installs them.
        what: The adapter, for the error message ("the Telegram adapter").
        needs: What to name as missing ("python-telegram-bot"); the missing module otherwise.

    Returns:
        The function to assign to the package's ``__getattr__``.
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 - PEP 562 module attribute hook
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        for library in libraries:
            try:
                importlib.import_module(library)
            except ModuleNotFoundError as exc:
                raise ModuleNotFoundError(
                    f"{what} needs {needs or library}: pip install 'moodmoji[{extra}]'",
                    name=library,
                ) from exc
        return getattr(importlib.import_module(module), name)

    return __getattr__
