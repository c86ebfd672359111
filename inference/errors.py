"""Errors raised by the inference core."""

from __future__ import annotations

from pathlib import Path


class InferenceError(Exception):
    """Base class of every error the inference core raises on purpose."""


class FileProblem(InferenceError):  # noqa: N818 - a base class, not raised itself
    """A file the core reads is missing or wrong; the message is ``"<path>: <problem>"``.

    The message always names the offending file, so that a user can act on one line.

    Attributes:
        path: The file (or directory) the problem was found in.
        problem: What is wrong with it.

    """

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class BundleError(FileProblem):
    """A model bundle is missing, corrupt or inconsistent."""


class ExportError(InferenceError):
    """A checkpoint could not be exported to a bundle (message names the file or option)."""


class BatchFailed(InferenceError):  # noqa: N818 - name fixed by the API
    """The model run a request was batched into failed.

    Every request of that run gets its own ``BatchFailed``; the original exception (if any) is
    chained as ``__cause__``. Later runs are unaffected.

    Attributes:
        batch_size: How many texts were in the failed run.

    """

    def __init__(self, message: str, *, batch_size: int) -> None:
        self.batch_size = batch_size
        super().__init__(message)


class QueueFull(InferenceError):  # noqa: N818 - name fixed by the API
    """The micro-batcher's queue is at its limit; the request was rejected without waiting.

    Attributes:
        limit: The configured ``max_queue``.
        depth: Requests waiting when this one was rejected.
        requested: Texts in the rejected call (1 for ``submit``).

    """

    def __init__(self, *, limit: int, depth: int, requested: int = 1) -> None:
        self.limit = limit
        self.depth = depth
        self.requested = requested
        if requested > limit:
            message = f"{requested} texts can never fit a batcher queue limited to {limit}"
        else:
            message = f"batcher queue is full ({depth} waiting, limit {limit})"
        super().__init__(message)


class BatcherClosed(InferenceError):  # noqa: N818 - name fixed by the API
    """The micro-batcher is closed (or its worker stopped) and takes no more requests."""
