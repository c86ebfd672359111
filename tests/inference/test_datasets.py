"""The benchmark dataset readers on small real files, their errors, and the shared data."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from moodmoji.inference.datasets import (
    COARSE_MOODS,
    EMOTION_LABELS,
    FACEBOOK_LABELS,
    GOEMOTIONS_LABELS,
    REACTION_LABELS,
    REPLY_INTENTS,
    RESPONSE_DATA,
    TASK_GROUPS,
    TASKS,
    TWEETEVAL_EMOJI,
    DatasetError,
    Example,
    facebook_dev_page,
    read_dataset,
    split_files,
)
from moodmoji.inference.errors import InferenceError

SHARED_DATA = Path("/work/shared/data")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_tasks() -> None:
    assert list(TASKS) == [
        "goemotions",
        "emotion",
        "tweeteval-emoji",
        "facebook",
        "reaction",
        "trigger",
        "intent",
        "mood",
    ]
    assert TASKS["facebook"].labels == FACEBOOK_LABELS == ("love", "haha", "wow", "sad", "angry")
    assert TASKS["facebook"].soft and not TASKS["facebook"].multi_label
    assert TASK_GROUPS == {"reaction": ("reaction", "trigger", "intent", "mood")}
    for task in TASK_GROUPS["reaction"]:
        assert TASKS[task].multi_label and not TASKS[task].soft
    assert TASKS["reaction"].labels == REACTION_LABELS and len(REACTION_LABELS) == 495
    assert TASKS["trigger"].labels == ("react",)
    assert TASKS["intent"].labels == REPLY_INTENTS and len(REPLY_INTENTS) == 24
    assert TASKS["mood"].labels == COARSE_MOODS and len(COARSE_MOODS) == 8
    assert not any(spec.soft for name, spec in TASKS.items() if name != "facebook")
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
    if task == "facebook":  # Facebook's split "file" is <csv_gz folder>/<split>
        path = tmp_path / "csv_gz" / "dev"
    with pytest.raises(DatasetError) as caught:
        read_dataset(task, path)
    if task == "facebook":
        assert str(caught.value) == f"{path.parent}: folder not found"
    else:
        assert str(caught.value) == f"{path}: file not found"


@pytest.mark.parametrize("task", sorted(TASKS))
def test_empty_file(tmp_path: Path, task: str) -> None:
    path = write(tmp_path / "empty_text.txt", "\n")
    write(tmp_path / "empty_labels.txt", "")
    if task == "emotion":
        write(path, "text;label_name\n\n")
    if task == "facebook":  # a folder without pages
        path = tmp_path / "dev"
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
    assert split_files(tmp_path, "facebook") == (
        tmp_path / "facebook_reactions" / "csv_gz" / "train",
        tmp_path / "facebook_reactions" / "csv_gz" / "dev",
    )
    for task in TASK_GROUPS["reaction"]:  # the project's own dataset, wherever the data is
        assert split_files(tmp_path, task) == (
            RESPONSE_DATA / "train.jsonl",
            RESPONSE_DATA / "dev.jsonl",
        )
        assert split_files(tmp_path, task, tmp_path / "r") == (
            tmp_path / "r" / "train.jsonl",
            tmp_path / "r" / "dev.jsonl",
        )


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="the shared data folder is not here")
@pytest.mark.parametrize(
    ("task", "count"),
    [("goemotions", 5426), ("emotion", 2000), ("tweeteval-emoji", 5000), ("facebook", 2968)],
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


# --- facebook -----------------------------------------------------------------------------

FACEBOOK_COLUMNS = [
    "status_id",
    "status_message",
    "link_name",
    "status_type",
    "status_link",
    "status_published",
    "num_reactions",
    "num_comments",
    "num_shares",
    "num_likes",
    "num_loves",
    "num_wows",
    "num_hahas",
    "num_sads",
    "num_angrys",
]
TRAIN_PAGES = ("pagea", "pagec")
DEV_PAGES = ("pageb", "pagef")


def post(text: str, published: str, **counts: Any) -> dict[str, Any]:
    """A row in the real files' columns; reactions not given are 0 (likes default to 100)."""
    row: dict[str, Any] = dict.fromkeys(FACEBOOK_COLUMNS, "")
    row.update(status_id=f"id-{published}", status_message=text, status_published=published)
    row.update(num_likes=100, num_loves=0, num_wows=0, num_hahas=0, num_sads=0, num_angrys=0)
    row.update({f"num_{key}": value for key, value in counts.items()})
    return row


def write_page(folder: Path, page: str, rows: list[dict[str, Any]]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FACEBOOK_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    path = folder / f"{page}_facebook_statuses.csv.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(buffer.getvalue().encode("utf-8")))
    return path


def test_facebook_pages_split_by_hash() -> None:
    assert not any(facebook_dev_page(page) for page in TRAIN_PAGES)
    assert all(facebook_dev_page(page) for page in DEV_PAGES)
    assert facebook_dev_page("pageb") == facebook_dev_page("pageb")  # stable
    held_out = sum(facebook_dev_page(f"page{i}") for i in range(800))
    assert 60 < held_out < 140  # about one page in eight


def test_facebook_soft_labels(tmp_path: Path) -> None:
    folder = tmp_path / "csv_gz"
    write_page(
        folder,
        "pagea",
        [
            post("so cute", "2016-05-03 10:00:00", loves=6, hahas=2, wows=1, angrys=1),
            post("nine only", "2016-05-02 10:00:00", loves=9, likes=5000),  # < 10 non-Like
            post("", "2016-05-01 10:00:00", loves=50),  # no text
            post("   ", "2016-04-30 10:00:00", loves=50),  # only blanks
            post("  breaking\n  news  ", "2016-04-29 10:00:00", sads=3, angrys=9),
            post("a tie", "2016-04-28 10:00:00", hahas=5, sads=5),
            post("bad count", "2016-04-27 10:00:00", loves="many"),
            post("likes do not count", "2016-04-26 10:00:00", likes=10_000),
            post("exactly ten", "2016-04-25 10:00:00", wows=10),
        ],
    )
    dataset = read_dataset("facebook", folder / "train")
    assert dataset.task is TASKS["facebook"]
    assert dataset.texts == ["so cute", "breaking news", "a tie", "exactly ten"]
    # weights over love, haha, wow, sad, angry; the label is the leading reaction
    cute = dataset.examples[0]
    assert cute.weights == pytest.approx((0.6, 0.2, 0.1, 0.0, 0.1))
    assert cute.labels == (FACEBOOK_LABELS.index("love"),)
    news = dataset.examples[1]
    assert news.weights == pytest.approx((0, 0, 0, 0.25, 0.75))
    assert news.labels == (FACEBOOK_LABELS.index("angry"),)
    assert dataset.examples[2].labels == (FACEBOOK_LABELS.index("haha"),)  # a tie: first label
    assert dataset.examples[3].weights == (0.0, 0.0, 1.0, 0.0, 0.0)
    for example in dataset.examples:
        assert len(example.weights) == 5 and sum(example.weights) == pytest.approx(1.0)
        assert all(w >= 0 for w in example.weights)
        assert example.weights[example.labels[0]] == max(example.weights)


def test_facebook_dev_and_train_hold_whole_pages(tmp_path: Path) -> None:
    folder = tmp_path / "csv_gz"
    for page in (*TRAIN_PAGES, *DEV_PAGES):
        rows = [post(f"{page} post {i}", f"2016-03-{i + 1:02d}", loves=10 + i) for i in range(3)]
        write_page(folder, page, rows)
    write_page(folder / "elsewhere", "pageb", [post("not read", "2016-01-01", loves=20)])
    (folder / "notes.txt").write_text("not a page", encoding="utf-8")
    train = read_dataset("facebook", folder / "train")
    dev = read_dataset("facebook", folder / "dev")
    splits = {"train": train, "dev": dev}
    pages = {name: {text.split()[0] for text in split.texts} for name, split in splits.items()}
    assert pages == {"train": set(TRAIN_PAGES), "dev": set(DEV_PAGES)}
    # page by page in name order, each page's newest posts first
    assert dev.texts == [f"{page} post {i}" for page in DEV_PAGES for i in (2, 1, 0)]
    assert len(train) == len(dev) == 6


@pytest.mark.parametrize(("split", "cap"), [("train", 400), ("dev", 300)])
def test_facebook_posts_per_page_are_capped(tmp_path: Path, split: str, cap: int) -> None:
    folder = tmp_path / "csv_gz"
    page = TRAIN_PAGES[0] if split == "train" else DEV_PAGES[0]
    other = TRAIN_PAGES[1] if split == "train" else DEV_PAGES[1]
    count = cap + 25
    dates = [
        f"2016-{1 + i // 28 % 12:02d}-{1 + i % 28:02d} {i // 336:02d}:00" for i in range(count)
    ]
    rows = [post(f"post {i}", date, hahas=12) for i, date in enumerate(dates)]
    write_page(folder, page, rows)
    write_page(folder, other, [post("another page", "2016-01-01", sads=11)])
    dataset = read_dataset("facebook", folder / split)
    assert len(dataset) == cap + 1  # the capped page, and the other page's post
    kept = dataset.texts[:cap]
    newest = sorted(rows, key=lambda r: r["status_published"], reverse=True)[:cap]
    assert kept == [r["status_message"] for r in newest]
    assert dataset.texts[-1] == "another page"


def test_facebook_errors(tmp_path: Path) -> None:
    folder = tmp_path / "csv_gz"
    write_page(folder, "pagea", [post("fine", "2016-01-01", loves=10)])
    with pytest.raises(DatasetError, match=r"csv_gz/test: expected <csv_gz folder>/train"):
        read_dataset("facebook", folder / "test")
    broken = folder / "pagec_facebook_statuses.csv.gz"
    broken.write_bytes(b"not gzip at all")
    with pytest.raises(DatasetError) as caught:
        read_dataset("facebook", folder / "train")
    assert str(caught.value).startswith(f"{broken}: cannot be read")


# --- response dataset ---------------------------------------------------------------------


def response_row(text: str, **changes: Any) -> str:
    row: dict[str, Any] = {
        "text": text,
        "emoji": ["🎉", "👏", "🥳"],
        "mood": ["joy"],
        "abstain_ok": False,
        "intents": ["congratulate", "celebrate"],
        "family": "jobs-careers",
        "register": "work",
    }
    row.update(changes)
    return json.dumps(row, ensure_ascii=False)


def response_file(tmp_path: Path) -> Path:
    rows = [
        response_row("got the job!!"),
        response_row("love you all", emoji=["❤️", "🥰", "🫶"], mood=["love", "joy"]),
        response_row("same heart, no selector", emoji=["❤", "😍", "💖"], mood=["love"]),
        "",  # blank lines are skipped
        response_row(
            "the bus is late", emoji=["🙄"], abstain_ok=True, intents=[], mood=["neutral"]
        ),
        response_row(
            "odd labels",
            emoji=["🎉", "🦄🦄", "🎉"],
            intents=["ask", "shrug"],
            mood=["joy", "ennui"],
        ),
    ]
    return write(tmp_path / "train.jsonl", "\n".join(rows) + "\n")


def ids(labels: tuple[str, ...], *wanted: str) -> tuple[int, ...]:
    return tuple(sorted(labels.index(label) for label in wanted))


def test_response_reaction(tmp_path: Path) -> None:
    dataset = read_dataset("reaction", response_file(tmp_path))
    assert dataset.task is TASKS["reaction"]
    assert dataset.texts == [
        "got the job!!",
        "love you all",
        "same heart, no selector",
        "the bus is late",
        "odd labels",
    ]
    labels = [e.labels for e in dataset.examples]
    assert labels[0] == ids(REACTION_LABELS, "🎉", "👏", "🥳")
    # the vocabulary writes the heart fully qualified; rows may write it with or without U+FE0F
    assert "❤️" in REACTION_LABELS and "❤" not in REACTION_LABELS
    heart = REACTION_LABELS.index("❤️")
    assert heart in labels[1] and heart in labels[2]
    assert labels[1] == ids(REACTION_LABELS, "❤️", "🥰", "🫶")
    assert labels[3] == ids(REACTION_LABELS, "🙄")
    assert labels[4] == ids(REACTION_LABELS, "🎉")  # duplicates merged, unknown emoji ignored
    assert all(e.weights == () for e in dataset.examples)


def test_response_trigger_intent_and_mood(tmp_path: Path) -> None:
    path = response_file(tmp_path)
    trigger = read_dataset("trigger", path)
    # react unless an abstention is fine for the row
    assert [e.labels for e in trigger.examples] == [(0,), (0,), (0,), (), (0,)]
    intent = read_dataset("intent", path)
    assert intent.examples[0].labels == ids(REPLY_INTENTS, "congratulate", "celebrate")
    assert intent.examples[3].labels == ()
    assert intent.examples[4].labels == ids(REPLY_INTENTS, "ask")
    mood = read_dataset("mood", path)
    assert [e.labels for e in mood.examples] == [
        ids(COARSE_MOODS, "joy"),
        ids(COARSE_MOODS, "love", "joy"),
        ids(COARSE_MOODS, "love"),
        ids(COARSE_MOODS, "neutral"),
        ids(COARSE_MOODS, "joy"),
    ]
    # the four tasks read the same rows in the same order (they share every batch)
    for task in TASK_GROUPS["reaction"]:
        assert read_dataset(task, path).texts == trigger.texts


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not a response row"),
        (json.dumps({"emoji": ["🎉"], "mood": [], "abstain_ok": True, "intents": []}), "text"),
        (response_row("no list", emoji="🎉", intents="ask", mood="joy"), "labels a list"),
        (
            json.dumps({"text": 3, "emoji": [], "mood": [], "abstain_ok": True, "intents": []}),
            "text must be a string",
        ),
        ('["a", "list"]', "not a response row"),
    ],
)
@pytest.mark.parametrize("task", TASK_GROUPS["reaction"])
def test_response_errors_name_file_and_line(
    tmp_path: Path, task: str, line: str, problem: str
) -> None:
    path = write(tmp_path / "dev.jsonl", response_row("fine") + "\n\n" + line + "\n")
    if task == "trigger" and problem == "labels a list":  # trigger reads abstain_ok only
        assert len(read_dataset(task, path)) == 2
        return
    with pytest.raises(DatasetError) as caught:
        read_dataset(task, path)
    message = str(caught.value)
    assert message.startswith(f"{path}: line 3: not a response row")
    assert problem in message
