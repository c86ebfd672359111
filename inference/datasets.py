"""Readers for the three benchmark datasets the default model is trained and evaluated on.

Formats (see ``../shared/data/README.md``):

* ``goemotions``: TSV lines ``text<TAB>comma-separated label ids<TAB>comment id``; the ids index
  the 28 GoEmotions labels (``labels.txt``). Multi-label.
* ``emotion`` (dair-ai/emotion): a header line ``text;label_name`` and then ``text;label`` lines;
  the label is the last ``;``-separated field (texts may contain ``;``). Single-label.
* ``tweeteval-emoji``: ``*_text.txt`` with one tweet per line and a sibling ``*_labels.txt`` with
  one label id per line. Single-label, 20 classes.
* ``facebook``: the Facebook reader-reaction pages (``facebook_reactions/csv_gz/<page>_*.csv.gz``).
  Soft labels: each post's shares of Love, Haha, Wow, Sad and Angry (Like, the default click,
  is left out). Whole pages are held out for dev (:func:`facebook_dev_page`).
* the response tasks ``reaction``, ``trigger``, ``intent`` and ``mood``: the response dataset
  written for moodmoji (``data/response/*.jsonl``, see its data card), one JSON object per
  line ``{"text", "emoji", "mood", "abstain_ok", "intents", ...}``. The four tasks read the
  same rows and train together (:data:`TASK_GROUPS`): every reaction a reader might set
  (multi-label over the emoji vocabulary), whether to react at all, the reply intents that
  fit, and the author's coarse moods.

Readers are pure Python so that ``moodmoji eval`` needs no training dependencies.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from moodmoji.inference.errors import FileProblem

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


FACEBOOK_LABELS: tuple[str, ...] = ("love", "haha", "wow", "sad", "angry")
FACEBOOK_EMOJI: dict[str, str] = {
    "love": "❤️",
    "haha": "😂",
    "wow": "😮",
    "sad": "😢",
    "angry": "😡",
}
COARSE_MOODS: tuple[str, ...] = (
    "joy", "love", "sadness", "anger", "fear", "surprise", "disgust", "neutral",
)  # fmt: skip
REPLY_INTENTS: tuple[str, ...] = (
    "congratulate", "celebrate", "sympathize", "comfort", "encourage", "reassure", "validate",
    "thank", "welcome", "agree", "acknowledge", "ask", "apologize", "compliment", "laugh",
    "tease", "greet", "farewell", "accept", "decline", "offer-help", "surprise", "wish-well",
    "relate",
)  # fmt: skip
TRIGGER_LABELS: tuple[str, ...] = ("react",)
RESPONSE_DATA = Path(__file__).resolve().parent.parent / "data" / "response"
"""The response dataset of a source checkout (train, dev and test JSONL and the data card)."""
_VOCABULARY_FILE = Path(__file__).resolve().parent / "data" / "emoji_vocabulary.json"
_FACEBOOK_MIN_REACTIONS = 10
_FACEBOOK_PAGE_CAP = {"train": 400, "dev": 300}
_FACEBOOK_DEV_BUCKETS = 8


def _reaction_labels() -> tuple[str, ...]:
    """The emoji of the packaged vocabulary, in its order: the reaction head's labels."""
    raw = json.loads(_VOCABULARY_FILE.read_text(encoding="utf-8"))
    return tuple(str(entry["emoji"]) for entry in raw["entries"])


REACTION_LABELS: tuple[str, ...] = _reaction_labels()


class DatasetError(FileProblem):
    """A dataset file is missing or malformed; the message names the file and line."""


@dataclass(frozen=True)
class TaskSpec:
    """A benchmark task.

    Attributes:
        name: Task name as used on the command line and as the model head name.
        labels: Class labels in id order.
        multi_label: Whether an example may carry several labels (sigmoid head).
        soft: Whether examples carry a distribution over the labels (softmax head trained on
            soft targets); ``labels`` of an example then hold its leading label.
    """

    name: str
    labels: tuple[str, ...]
    multi_label: bool
    soft: bool = False


GOEMOTIONS = TaskSpec("goemotions", GOEMOTIONS_LABELS, multi_label=True)
EMOTION = TaskSpec("emotion", EMOTION_LABELS, multi_label=False)
TWEETEVAL = TaskSpec("tweeteval-emoji", TWEETEVAL_EMOJI, multi_label=False)
FACEBOOK = TaskSpec("facebook", FACEBOOK_LABELS, multi_label=False, soft=True)
REACTION = TaskSpec("reaction", REACTION_LABELS, multi_label=True)
TRIGGER = TaskSpec("trigger", TRIGGER_LABELS, multi_label=True)
INTENT = TaskSpec("intent", REPLY_INTENTS, multi_label=True)
MOOD = TaskSpec("mood", COARSE_MOODS, multi_label=True)
TASKS: dict[str, TaskSpec] = {
    t.name: t for t in (GOEMOTIONS, EMOTION, TWEETEVAL, FACEBOOK, REACTION, TRIGGER, INTENT, MOOD)
}
TASK_GROUPS: dict[str, tuple[str, ...]] = {"reaction": ("reaction", "trigger", "intent", "mood")}
"""Tasks that read the same rows and share every batch: the group's first task plans the
batches, and each step trains all of them on those rows."""
RESPONSE_TASKS: frozenset[str] = frozenset(TASK_GROUPS["reaction"])


@dataclass(frozen=True)
class Example:
    """One labelled text.

    Attributes:
        text: The text.
        labels: Label ids (exactly one for single-label tasks).
        weights: A soft target over every label (soft tasks only), summing to 1.
    """

    text: str
    labels: tuple[int, ...]
    weights: tuple[float, ...] = ()


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
    readers = {
        "goemotions": _goemotions,
        "emotion": _emotion,
        "tweeteval-emoji": _tweeteval,
        "facebook": _facebook,
        **{name: _response for name in RESPONSE_TASKS},
    }
    if task == "facebook":
        if not path.parent.is_dir():
            raise DatasetError(path.parent, "folder not found")
    elif not path.is_file():
        raise DatasetError(path, "file not found")
    examples = tuple(readers[task](path, spec))
    if not examples:
        raise DatasetError(path, "no examples")
    return Dataset(spec, path, examples)


def split_files(data_root: Path, task: str, response_root: Path | None = None) -> tuple[Path, Path]:
    """Returns the (train, dev) files of a task under the shared data folder.

    The response tasks read the project's own dataset, ``response_root`` (default
    :data:`RESPONSE_DATA`), wherever ``data_root`` is. Facebook's "files" are
    ``<csv_gz folder>/train`` and ``.../dev``: the split is made by page when it is read.
    """
    if task in RESPONSE_TASKS:
        root = response_root or RESPONSE_DATA
        return root / "train.jsonl", root / "dev.jsonl"
    layout = {
        "goemotions": ("goemotions/train.tsv", "goemotions/dev.tsv"),
        "emotion": ("emotion/train.txt", "emotion/val.txt"),
        "tweeteval-emoji": ("tweeteval_emoji/train_text.txt", "tweeteval_emoji/val_text.txt"),
        "facebook": ("facebook_reactions/csv_gz/train", "facebook_reactions/csv_gz/dev"),
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


def facebook_dev_page(page: str) -> bool:
    """Whether a Facebook page is held out for dev (one page in eight, by a hash of its name)."""
    digest = hashlib.sha256(page.encode("utf-8")).digest()
    return digest[0] % _FACEBOOK_DEV_BUCKETS == 0


def _facebook(path: Path, spec: TaskSpec) -> Iterator[Example]:
    """Posts of the pages of one split (``path.name``: ``train`` or ``dev``), page by page.

    A post counts when it has text and at least ten non-Like reactions; at most
    :data:`_FACEBOOK_PAGE_CAP` posts per page (the newest first), so that no page dominates.
    """
    split = path.name
    if split not in _FACEBOOK_PAGE_CAP:
        raise DatasetError(path, "expected <csv_gz folder>/train or <csv_gz folder>/dev")
    columns = ("num_loves", "num_hahas", "num_wows", "num_sads", "num_angrys")
    for file in sorted(path.parent.glob("*_facebook_statuses.csv.gz")):
        page = file.name.removesuffix("_facebook_statuses.csv.gz")
        if facebook_dev_page(page) != (split == "dev"):
            continue
        taken = 0
        try:
            with gzip.open(file, "rt", encoding="utf-8", errors="replace", newline="") as handle:
                rows = list(csv.DictReader(handle))
        except (OSError, csv.Error, EOFError) as exc:
            raise DatasetError(file, f"cannot be read ({exc})") from None
        rows.sort(key=lambda r: r.get("status_published") or "", reverse=True)
        for row in rows:
            text = " ".join((row.get("status_message") or "").split())
            try:
                counts = [int(row.get(c) or 0) for c in columns]
            except ValueError:
                continue
            total = sum(counts)
            if not text or total < _FACEBOOK_MIN_REACTIONS:
                continue
            weights = tuple(c / total for c in counts)
            leading = max(range(len(counts)), key=lambda i: (counts[i], -i))
            yield Example(text, (leading,), weights)
            taken += 1
            if taken >= _FACEBOOK_PAGE_CAP[split]:
                break


def _response(path: Path, spec: TaskSpec) -> Iterator[Example]:
    """One task's view of the response dataset's rows (see the module docstring)."""
    index = {_plain(label): i for i, label in enumerate(spec.labels)}
    for number, line in _lines(path):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text = row["text"]
            if spec.name == "trigger":
                values = [] if row["abstain_ok"] else ["react"]
            else:
                field = {"reaction": "emoji", "intent": "intents", "mood": "mood"}[spec.name]
                values = row[field]
            if not isinstance(text, str) or not isinstance(values, list):
                raise TypeError("text must be a string and labels a list")
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(path, f"line {number}: not a response row ({exc})") from None
        ids = sorted({index[_plain(v)] for v in values if _plain(v) in index})
        yield Example(text, tuple(ids))


def _plain(label: str) -> str:
    return label.replace("\ufe0f", "")
