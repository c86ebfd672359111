"""Thin wrappers around the real analyzer: one held at a gate (a slowed engine), one failing."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from moodmoji.inference.analyzer import Analysis, Analyzer


class GatedAnalyzer:
    """The real analyzer, but every model run waits while the gate is held.

    ``hold()`` then a request: the run blocks inside the model thread (``entered`` is set), so
    later requests pile up in the core's queue exactly as behind a slow engine.
    """

    def __init__(self, inner: Analyzer) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self._open = threading.Event()
        self._open.set()

    def hold(self) -> None:
        self.entered.clear()
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def analyze(self, texts: Sequence[str]) -> list[Analysis]:
        if not self._open.is_set():
            self.entered.set()
            self._open.wait(timeout=60)
        return self.inner.analyze(texts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class FailingAnalyzer:
    """The real analyzer, except that a run holding ``trigger`` raises (a broken engine)."""

    def __init__(self, inner: Analyzer, trigger: str) -> None:
        self.inner = inner
        self.trigger = trigger

    def analyze(self, texts: Sequence[str]) -> list[Analysis]:
        if any(self.trigger in text for text in texts):
            raise RuntimeError("the engine broke")
        return self.inner.analyze(texts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
