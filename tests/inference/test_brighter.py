"""BRIGHTER files and the task's figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodmoji.inference.analyzer import Analyzer
from moodmoji.inference.brighter import (
    EMOTIONS,
    BrighterError,
    brighter_scores,
    predict_emotions,
    read_brighter,
)

HEADER = "id,text,anger,disgust,fear,joy,sadness,surprise\n"


def _write(path: Path, body: str, header: str = HEADER) -> Path:
    path.write_text(header + body, encoding="utf-8")
    return path


def test_reads_a_split(tmp_path: Path) -> None:
    split = read_brighter(
        _write(
            tmp_path / "deu.csv",
            'a,"Ich bin so wütend, das ist unfair",1,0,0,0,0,0\n'
            "b,Was für ein schöner Tag,0,0,0,1,0,1\n"
            "c,Der Zug fährt um acht,0,0,0,0,0,0\n",
        )
    )
    assert split.language == "deu"
    assert split.labels == EMOTIONS
    assert split.texts[1] == "Was für ein schöner Tag"
    assert split.targets.tolist()[1] == [False, False, False, True, False, True]
    assert not split.targets[2].any()


def test_english_has_no_disgust_column(tmp_path: Path) -> None:
    split = read_brighter(
        _write(
            tmp_path / "eng.csv",
            "a,so angry,1,0,0,0,0\n",
            "id,text,anger,fear,joy,sadness,surprise\n",
        )
    )
    assert split.labels == ("anger", "fear", "joy", "sadness", "surprise")
    assert split.targets.shape == (1, 5)


@pytest.mark.parametrize(
    ("header", "body", "problem"),
    [
        (HEADER, "a,text,1,0,0,2,0,0\n", "line 2: emotion labels must be 0 or 1"),
        ("id,words,anger\n", "a,x,1\n", "expected a 'text' column"),
        ("id,text,happy\n", "a,x,1\n", "expected a 'text' column and emotion columns"),
    ],
)
def test_bad_files_are_named(tmp_path: Path, header: str, body: str, problem: str) -> None:
    path = _write(tmp_path / "bad.csv", body, header)
    with pytest.raises(BrighterError) as caught:
        read_brighter(path)
    assert str(path) in str(caught.value) and problem in str(caught.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(BrighterError, match=r"nothing\.csv: cannot be read"):
        read_brighter(tmp_path / "nothing.csv")


def test_scores_match_a_hand_count(tmp_path: Path) -> None:
    split = read_brighter(
        _write(
            tmp_path / "x.csv",
            "a,t1,1,0,0,0,0,0\nb,t2,1,0,0,1,0,0\nc,t3,0,0,0,1,0,0\nd,t4,0,0,0,0,0,0\n",
        )
    )
    predicted = np.zeros_like(split.targets)
    predicted[0, 0] = predicted[2, 3] = predicted[3, 3] = (
        True  # anger 1/2 found, joy 1 of 2 + 1 wrong
    )
    scores = brighter_scores(predicted, split)
    anger = 2 * 1 / (2 * 1 + 0 + 1)
    joy = 2 * 1 / (2 * 1 + 1 + 1)
    assert scores.per_emotion["anger"] == pytest.approx(anger)
    assert scores.per_emotion["joy"] == pytest.approx(joy)
    assert scores.per_emotion["fear"] == 0.0
    assert scores.macro_f1 == pytest.approx((anger + joy) / 6)
    assert scores.micro_f1 == pytest.approx(2 * 2 / (2 * 2 + 1 + 2))


def test_a_bundle_without_an_emotion_head_answers_through_its_moods(tiny_bundle: Path) -> None:
    analyzer = Analyzer.from_path(tiny_bundle)
    texts = ["so happy today, we won", "she died, I miss her and cry", "the bus is at nine"]
    predicted = predict_emotions(analyzer, texts)
    assert predicted.shape == (3, 6)
    joy, sadness = EMOTIONS.index("joy"), EMOTIONS.index("sadness")
    assert predicted[0, joy] and not predicted[0, sadness]
    assert predicted[1, sadness] and not predicted[1, joy]
    only_some = predict_emotions(analyzer, texts, ("joy", "sadness"))
    assert only_some.tolist()[:2] == [[True, False], [False, True]]
