"""The benchmark dataset readers on small real files, their errors, and the shared data."""

from __future__ import annotations

from pathlib import Path

import pytest

from inference.datasets import (
    EMOTION_LABELS,
    GOEMOTIONS_LABELS,
    TASKS,
    TWEETEVAL_EMOJI,
    DatasetError,
    Example,
    read_dataset,
    split_files,
)
from inference.errors import InferenceError

SHARED_DATA = Path("/work/shared/data")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_tasks() -> None:
    assert set(TASKS) == {"goemotions", "emotion", "tweeteval-emoji"}
    assert len(TASKS["goemotions"].labels) == 28 and TASKS["goemotions"].multi_label
    assert TASKS["goemotions"].labels[-1] == "neutral"
    assert len(TASKS["emotion"].labels) == 6 and not TASKS["emotion"].multi_label
    assert len(TASKS["tweeteval-emoji"].labels) == 20 and not TASKS["tweeteval-emoji"].multi_label
    for spec in TASKS.values():
        assert len(set(spec.labels)) == len(spec.labels)


# --- goemotions ---------------------------------------------------------------------------


def test_goemotions_reads_multi_label_ids(tmp_path: Path) -> None:
    path = write(
        tmp_path / "dev.tsv",
        "Is this in New Orleans??\t27\tedgurhb\n"
        "You know the answer man; don't avoid them!\t4,27\tee84bjg\n"
        "so sad, and a bit angry\t25,2,25\tabc\n"
        "\n"
        "no comment id here\t0\n"
        "\n\n",
    )
    dataset = read_dataset("goemotions", path)
    assert dataset.task is TASKS["goemotions"]
    assert dataset.path == path
    assert len(dataset) == 4
    assert dataset.examples == (
        Example("Is this in New Orleans??", (27,)),
        Example("You know the answer man; don't avoid them!", (4, 27)),
        Example("so sad, and a bit angry", (2, 25)),  # sorted, duplicates dropped
        Example("no comment id here", (0,)),
    )
    assert [GOEMOTIONS_LABELS[i] for i in dataset.examples[1].labels] == ["approval", "neutral"]


def test_goemotions_crlf_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "dev.tsv"
    path.write_bytes(b"hello there\t27\tx\r\nthanks!\t15\ty\r\n")
    dataset = read_dataset("goemotions", path)
    assert dataset.examples == (Example("hello there", (27,)), Example("thanks!", (15,)))


def test_a_lone_carriage_return_stays_inside_the_text(tmp_path: Path) -> None:
    goemotions = tmp_path / "dev.tsv"
    goemotions.write_bytes(b"one\rstill one\t1\tx\ntwo\t2\ty\n")
    assert read_dataset("goemotions", goemotions).texts == ["one\rstill one", "two"]
    text = tmp_path / "val_text.txt"
    text.write_bytes(b"one\rstill one\r\ntwo\r\n")
    write(tmp_path / "val_labels.txt", "1\r\n2\r\n")
    dataset = read_dataset("tweeteval-emoji", text)
    assert [(e.text, e.labels) for e in dataset.examples] == [
        ("one\rstill one", (1,)),
        ("two", (2,)),
    ]


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        ("ok\t1\ta\nbad\t28\tb\n", 2, "label id 28 is out of range 0..27"),
        ("ok\t1\ta\nok\t1\tb\nbad\t3,x\tc\n", 3, "label id 'x' is not an integer"),
        ("bad\t-1\ta\n", 1, "out of range"),
        ("ok\t1\ta\nno tab at all\n", 2, "expected text<TAB>label ids"),
        ("ok\t\ta\n", 1, "label id '' is not an integer"),
    ],
)
def test_goemotions_errors_name_file_and_line(
    tmp_path: Path, content: str, line: int, problem: str
) -> None:
    path = write(tmp_path / "train.tsv", content)
    with pytest.raises(DatasetError) as caught:
        read_dataset("goemotions", path)
    message = str(caught.value)
    assert message.startswith(f"{path}: line {line}: ")
    assert problem in message
    assert caught.value.path == path
    assert isinstance(caught.value, InferenceError)


# --- emotion ------------------------------------------------------------------------------


def test_emotion_skips_header_and_keeps_semicolons_in_text(tmp_path: Path) -> None:
    path = write(
        tmp_path / "val.txt",
        "text;label_name\n"
        "im feeling quite sad;sadness\n"
        "i feel great; truly;joy\n"
        "\n"
        ";;love\n"
        "i am furious;anger\n"
        "\n\n",
    )
    dataset = read_dataset("emotion", path)
    assert [(e.text, EMOTION_LABELS[e.labels[0]]) for e in dataset.examples] == [
        ("im feeling quite sad", "sadness"),
        ("i feel great; truly", "joy"),
        (";", "love"),
        ("i am furious", "anger"),
    ]
    assert all(len(e.labels) == 1 for e in dataset.examples)


def test_emotion_without_header(tmp_path: Path) -> None:
    path = write(tmp_path / "val.txt", "so scared;fear\nwhat a twist;surprise\n")
    dataset = read_dataset("emotion", path)
    assert [e.labels for e in dataset.examples] == [(4,), (5,)]


def test_emotion_header_only_on_first_line(tmp_path: Path) -> None:
    path = write(tmp_path / "val.txt", "text;label_name\nok;joy\ntext;label_name\n")
    with pytest.raises(DatasetError, match=r"line 3: unknown label 'label_name'"):
        read_dataset("emotion", path)


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        ("text;label_name\nok;joy\nhappy;happiness\n", 3, "unknown label 'happiness'"),
        ("ok;joy\nno separator here\n", 2, "expected text;label"),
        ("ok;Joy\n", 1, "unknown label 'Joy'"),
        ("ok;3\n", 1, "unknown label '3'"),
    ],
)
def test_emotion_errors_name_file_and_line(
    tmp_path: Path, content: str, line: int, problem: str
) -> None:
    path = write(tmp_path / "train.txt", content)
    with pytest.raises(DatasetError) as caught:
        read_dataset("emotion", path)
    assert str(caught.value).startswith(f"{path}: line {line}: ")
    assert problem in str(caught.value)


# --- tweeteval-emoji ----------------------------------------------------------------------


def test_tweeteval_pairs_texts_with_labels(tmp_path: Path) -> None:
    text = write(
        tmp_path / "val_text.txt", "A little throwback @ Water Wall\n\nsunny day ☀️ #beach\n"
    )
    write(tmp_path / "val_labels.txt", "0\n 7 \n12\n\n")
    dataset = read_dataset("tweeteval-emoji", text)
    assert [(e.text, e.labels) for e in dataset.examples] == [
        ("A little throwback @ Water Wall", (0,)),
        ("", (7,)),  # an empty tweet is still an example: lines pair by position
        ("sunny day ☀️ #beach", (12,)),
    ]
    assert TWEETEVAL_EMOJI[dataset.examples[2].labels[0]] == "☀"


def test_tweeteval_trailing_blank_text_lines(tmp_path: Path) -> None:
    text = write(tmp_path / "val_text.txt", "one\ntwo\n\n\n")
    write(tmp_path / "val_labels.txt", "1\n2")
    assert [e.labels for e in read_dataset("tweeteval-emoji", text).examples] == [(1,), (2,)]


def test_tweeteval_count_mismatch(tmp_path: Path) -> None:
    text = write(tmp_path / "val_text.txt", "one\ntwo\nthree\n")
    labels = write(tmp_path / "val_labels.txt", "1\n2\n")
    with pytest.raises(DatasetError) as caught:
        read_dataset("tweeteval-emoji", text)
    assert caught.value.path == labels
    assert str(caught.value) == f"{labels}: has 2 labels for 3 texts in val_text.txt"


def test_tweeteval_bad_label_names_labels_file_and_line(tmp_path: Path) -> None:
    text = write(tmp_path / "train_text.txt", "a\nb\nc\n")
    labels = write(tmp_path / "train_labels.txt", "1\n2\n20\n")
    with pytest.raises(DatasetError) as caught:
        read_dataset("tweeteval-emoji", text)
    assert str(caught.value) == f"{labels}: line 3: label id 20 is out of range 0..19"
    write(labels, "1\nheart\n3\n")
    with pytest.raises(DatasetError, match=r"train_labels\.txt: line 2: label id 'heart'"):
        read_dataset("tweeteval-emoji", text)


def test_tweeteval_missing_labels_file(tmp_path: Path) -> None:
    text = write(tmp_path / "val_text.txt", "one\n")
    with pytest.raises(DatasetError) as caught:
        read_dataset("tweeteval-emoji", text)
    assert caught.value.path == tmp_path / "val_labels.txt"
    assert "labels file not found" in str(caught.value)


def test_tweeteval_needs_the_text_file(tmp_path: Path) -> None:
    labels = write(tmp_path / "val_labels.txt", "1\n")
    with pytest.raises(DatasetError, match=r"val_labels\.txt: expected a \*_text\.txt file"):
        read_dataset("tweeteval-emoji", labels)


# --- common -------------------------------------------------------------------------------


@pytest.mark.parametrize("task", sorted(TASKS))
def test_missing_file(tmp_path: Path, task: str) -> None:
    path = tmp_path / "nothing_text.txt"
    with pytest.raises(DatasetError) as caught:
        read_dataset(task, path)
    assert str(caught.value) == f"{path}: file not found"


@pytest.mark.parametrize("task", sorted(TASKS))
def test_empty_file(tmp_path: Path, task: str) -> None:
    path = write(tmp_path / "empty_text.txt", "\n")
    write(tmp_path / "empty_labels.txt", "")
    if task == "emotion":
        write(path, "text;label_name\n\n")
    with pytest.raises(DatasetError, match="no examples"):
        read_dataset(task, path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "dev.tsv"
    path.write_bytes(b"caf\xe9\t1\tx\n")
    with pytest.raises(DatasetError, match=r"dev\.tsv: cannot be read"):
        read_dataset("goemotions", path)


def test_unknown_task(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        read_dataset("sst2", write(tmp_path / "x.txt", "a;joy\n"))


def test_head(tmp_path: Path) -> None:
    dataset = read_dataset("emotion", write(tmp_path / "v.txt", "a;joy\nb;love\nc;fear\n"))
    assert dataset.head(None) is dataset
    assert dataset.head(3) is dataset
    assert dataset.head(10) is dataset
    two = dataset.head(2)
    assert two.texts == ["a", "b"]
    assert two.task is dataset.task and two.path == dataset.path
    assert len(dataset.head(0)) == 0


def test_split_files_layout(tmp_path: Path) -> None:
    assert split_files(tmp_path, "goemotions") == (
        tmp_path / "goemotions" / "train.tsv",
        tmp_path / "goemotions" / "dev.tsv",
    )
    assert split_files(tmp_path, "emotion") == (
        tmp_path / "emotion" / "train.txt",
        tmp_path / "emotion" / "val.txt",
    )
    assert split_files(tmp_path, "tweeteval-emoji") == (
        tmp_path / "tweeteval_emoji" / "train_text.txt",
        tmp_path / "tweeteval_emoji" / "val_text.txt",
    )


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="the shared data folder is not here")
@pytest.mark.parametrize(
    ("task", "count"), [("goemotions", 5426), ("emotion", 2000), ("tweeteval-emoji", 5000)]
)
def test_shared_dev_splits(task: str, count: int) -> None:
    _, dev = split_files(SHARED_DATA, task)
    dataset = read_dataset(task, dev)
    assert len(dataset) == count
    n_labels = len(TASKS[task].labels)
    assert all(e.labels and all(0 <= i < n_labels for i in e.labels) for e in dataset.examples)
    assert all(e.text for e in dataset.examples[:100])
    if not TASKS[task].multi_label:
        assert len({e.labels[0] for e in dataset.examples}) == n_labels
