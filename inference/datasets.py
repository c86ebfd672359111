"""Readers for the three benchmark datasets the default model is trained and evaluated on.

Formats (see ``../shared/data/README.md``):

* ``goemotions``: TSV lines ``text<TAB>comma-separated label ids<TAB>comment id``; the ids index
  the 28 GoEmotions labels (``labels.txt``). Multi-label.
* ``emotion`` (dair-ai/emotion): a header line ``text;label_name`` and then ``text;label`` lines;
  the label is the last ``;``-separated field (texts may contain ``;``). Single-label.
* ``tweeteval-emoji``: ``*_text.txt`` with one tweet per line and a sibling ``*_labels.txt`` with
  one label id per line. Single-label, 20 classes.

Readers are pure Python so that ``moodmoji eval`` needs no training dependencies.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from inference.errors import FileProblem

GOEMOTIONS_LABELS: tuple[str, ...] = (
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion",
    "curiosity", "desire", "disappointment", "disapproval", "disgust", "embarrassment",
    "excitement", "fear", "gratitude", "grief", "joy", "love", "nervousness", "optimism",
    "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
)  # fmt: skip
EMOTION_LABELS: tuple[str, ...] = ("sadness", "joy", "love", "anger", "fear", "surprise")
TWEETEVAL_EMOJI: tuple[str, ...] = (
    "❤", "😍", "😂", "💕", "🔥", "😊", "😎", "✨", "💙", "😘",
    "📷", "🇺🇸", "☀", "💜", "😉", "💯", "😁", "🎄", "📸", "😜",
)  # fmt: skip


class DatasetError(FileProblem):
    """A dataset file is missing or malformed; the message names the file and line."""


@dataclass(frozen=True)
class TaskSpec:
    """A benchmark task.

    Attributes:
        name: Task name as used on the command line and as the model head name.
        labels: Class labels in id order.
        multi_label: Whether an example may carry several labels (sigmoid head).
    """

    name: str
    labels: tuple[str, ...]
    multi_label: bool


GOEMOTIONS = TaskSpec("goemotions", GOEMOTIONS_LABELS, multi_label=True)
EMOTION = TaskSpec("emotion", EMOTION_LABELS, multi_label=False)
TWEETEVAL = TaskSpec("tweeteval-emoji", TWEETEVAL_EMOJI, multi_label=False)
TASKS: dict[str, TaskSpec] = {t.name: t for t in (GOEMOTIONS, EMOTION, TWEETEVAL)}


@dataclass(frozen=True)
class Example:
    """One labelled text.

    Attributes:
        text: The text.
        labels: Label ids (exactly one for single-label tasks).
    """

    text: str
    labels: tuple[int, ...]


@dataclass(frozen=True)
class Dataset:
    """A task's examples read from one split.

    Attributes:
        task: The task.
        path: The file read.
        examples: The examples, in file order.
    """

    task: TaskSpec
    path: Path
    examples: tuple[Example, ...]

    def __len__(self) -> int:
        """Returns the number of examples."""
        return len(self.examples)

    def head(self, limit: int | None) -> Dataset:
        """The first ``limit`` examples (all of them when ``limit`` is ``None``)."""
        if limit is None or limit >= len(self.examples):
            return self
        return Dataset(self.task, self.path, self.examples[:limit])

    @property
    def texts(self) -> list[str]:
        """The texts, in file order."""
        return [e.text for e in self.examples]


def read_dataset(task: str, path: Path) -> Dataset:
    """Reads one split of a task.

    Args:
        task: ``goemotions``, ``emotion`` or ``tweeteval-emoji``.
        path: The split file (for ``tweeteval-emoji`` the ``*_text.txt`` file).

    Returns:
        The dataset.

    Raises:
        DatasetError: The file is missing or a line is malformed (named with its line number).
        KeyError: The task is unknown.
    """
    spec = TASKS[task]
    readers = {"goemotions": _goemotions, "emotion": _emotion, "tweeteval-emoji": _tweeteval}
    if not path.is_file():
        raise DatasetError(path, "file not found")
    examples = tuple(readers[task](path, spec))
    if not examples:
        raise DatasetError(path, "no examples")
    return Dataset(spec, path, examples)


def split_files(data_root: Path, task: str) -> tuple[Path, Path]:
    """Returns the (train, dev) files of a task under the shared data folder."""
    layout = {
        "goemotions": ("goemotions/train.tsv", "goemotions/dev.tsv"),
        "emotion": ("emotion/train.txt", "emotion/val.txt"),
        "tweeteval-emoji": ("tweeteval_emoji/train_text.txt", "tweeteval_emoji/val_text.txt"),
    }
    train, dev = layout[task]
    return data_root / train, data_root / dev


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8", newline="\n") as handle:  # a lone CR stays in the text
            for number, line in enumerate(handle, start=1):
                yield number, line.rstrip("\n").rstrip("\r")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(path, f"cannot be read ({exc})") from None


def _label_id(path: Path, number: int, value: str, n_labels: int) -> int:
    try:
        label = int(value)
    except ValueError:
        raise DatasetError(path, f"line {number}: label id {value!r} is not an integer") from None
    if not 0 <= label < n_labels:
        raise DatasetError(
            path, f"line {number}: label id {label} is out of range 0..{n_labels - 1}"
        )
    return label


def _goemotions(path: Path, spec: TaskSpec) -> Iterator[Example]:
    for number, line in _lines(path):
        if not line:
            continue
        fields = line.split("\t")
        if len(fields) < 2:
            raise DatasetError(path, f"line {number}: expected text<TAB>label ids")
        ids = tuple(
            sorted({_label_id(path, number, v, len(spec.labels)) for v in fields[1].split(",")})
        )
        yield Example(fields[0], ids)


def _emotion(path: Path, spec: TaskSpec) -> Iterator[Example]:
    index = {label: i for i, label in enumerate(spec.labels)}
    for number, line in _lines(path):
        if not line or (number == 1 and line.startswith("text;")):
            continue
        text, sep, label = line.rpartition(";")
        if not sep:
            raise DatasetError(path, f"line {number}: expected text;label")
        if label not in index:
            raise DatasetError(path, f"line {number}: unknown label {label!r}")
        yield Example(text, (index[label],))


def _tweeteval(path: Path, spec: TaskSpec) -> Iterator[Example]:
    if not path.name.endswith("_text.txt"):
        raise DatasetError(path, "expected a *_text.txt file with a sibling *_labels.txt")
    labels_path = path.with_name(path.name[: -len("_text.txt")] + "_labels.txt")
    if not labels_path.is_file():
        raise DatasetError(labels_path, "labels file not found")
    texts = [line for _, line in _lines(path)]
    labels = [line for _, line in _lines(labels_path)]
    while labels and not labels[-1].strip():
        labels.pop()
    while texts and len(texts) > len(labels) and not texts[-1]:
        texts.pop()
    if len(texts) != len(labels):
        raise DatasetError(
            labels_path, f"has {len(labels)} labels for {len(texts)} texts in {path.name}"
        )
    for number, (text, value) in enumerate(zip(texts, labels, strict=True), start=1):
        yield Example(text, (_label_id(labels_path, number, value.strip(), len(spec.labels)),))
