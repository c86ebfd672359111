"""``moodmoji report``: aggregates only, one self-contained HTML file, charts that render."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from moodmoji.bot.core import MoodBot
from moodmoji.tools.analyze import items_from_jsonl
from moodmoji.tools.report import (
    MessageMood,
    ReportData,
    collect,
    parse_time,
    render_html,
    write_report,
)
from tests.adapters.http.browser import (
    COLOUR_CHECKED,
    chromium,
    emoji_colour,
    needs_chromium,
    output_dir,
)

UTC = datetime.UTC
CONVERSATION = [
    ("ann", "We won the final last night, what a match!!"),
    ("bob", "Congratulations to the whole team, so proud of you all"),
    ("chen", "My grandmother passed away this morning"),
    ("ann", "Oh no, I am so sorry for your loss, sending hugs"),
    ("bob", "The meeting moved to three in the afternoon"),
    ("chen", "Thank you, that really means a lot to me"),
    ("dana", "Honestly this traffic jam is driving me crazy"),
    ("ann", "Pizza night at my place on Saturday, who is in?"),
]


def write_log(path: Path, *, times: bool = True, bad: bool = True) -> list[str]:
    start = datetime.datetime(2024, 5, 1, 18, 0, tzinfo=UTC)
    lines = []
    for i, (author, text) in enumerate(CONVERSATION):
        record: dict[str, object] = {"text": text, "author": author}
        if times:
            record["time"] = (start + datetime.timedelta(minutes=37 * i)).isoformat()
        lines.append(json.dumps(record))
    if bad:
        lines.insert(3, "{this line is broken")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [text for _, text in CONVERSATION]


def build(make_bot: Callable[..., MoodBot], log: Path) -> ReportData:
    with log.open(encoding="utf-8") as stream:
        return collect(
            make_bot(), items_from_jsonl(stream), source=log.name, batch_size=3, progress=False
        )


def test_report_holds_aggregates_and_no_text(
    tmp_path: Path, make_bot: Callable[..., MoodBot]
) -> None:
    texts = write_log(tmp_path / "chat.jsonl")
    data = build(make_bot, tmp_path / "chat.jsonl")
    assert len(data.messages) == len(CONVERSATION)
    assert data.unreadable == (4,)
    assert data.timed
    assert data.mood_totals()["joy"] >= 2 and data.mood_totals()["sadness"] >= 1
    assert {name for name, _, _ in data.authors()} == {"ann", "bob", "chen", "dana"}
    assert data.reaction_totals()  # something would be reacted to

    page = render_html(data)
    for text in texts:
        assert text not in page
        for word in ("grandmother", "traffic", "Pizza", "Congratulations", "meeting"):
            assert word not in page
    assert "<script" not in page
    assert not re.search(r"(?:src|href)=", page)  # nothing is loaded from anywhere
    assert not re.search(r"https?://(?!www\.w3\.org)", page)
    assert "default-src 'none'" in page
    assert "Mood over time" in page and "Top reactions" in page and "Mood mix per author" in page
    assert "ann" in page and "dana" in page
    assert "could not be read" in page and ": 4." in page


@needs_chromium
def test_report_opens_in_chromium_and_its_charts_render(
    tmp_path: Path, make_bot: Callable[..., MoodBot]
) -> None:
    texts = write_log(tmp_path / "chat.jsonl")
    data = build(make_bot, tmp_path / "chat.jsonl")
    out = tmp_path / "report.html"
    write_report(data, out)
    buckets, _ = data.buckets()
    driver = chromium(1100, 1400)
    try:
        driver.get(out.as_uri())
        areas = driver.execute_script(
            "return [...document.querySelectorAll('svg.mood-area path.area')]"
            ".map(p => { const r = p.getBoundingClientRect();"
            " return [p.dataset.mood, r.width, r.height]; })"
        )
        assert len(areas) == len(data.mood_totals())
        assert all(width > 300 and height > 0 for _, width, height in areas)
        points = driver.execute_script(
            "return [...document.querySelectorAll('svg.valence-chart circle.point')]"
            ".map(c => c.getBoundingClientRect().width)"
        )
        assert len(points) == sum(1 for b in buckets if b.count) and all(w > 4 for w in points)
        line = driver.execute_script(
            "return document.querySelector('svg.valence-chart path.valence-line').getTotalLength()"
        )
        assert line > 100
        bars = driver.execute_script("return document.querySelectorAll('#authors .bar-row').length")
        assert bars == 4
        visible = driver.find_element("tag name", "body").text
        assert not any(text in visible for text in texts)
        for emoji in COLOUR_CHECKED:  # drawn in colour, not as black-and-white outlines
            drawn = emoji_colour(driver, "body", emoji)
            assert drawn["coloured"] > 500, (emoji, drawn)
        driver.save_screenshot(str(output_dir() / "mood-report.png"))
        assert not [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        driver.quit()


def test_without_times_the_axis_is_log_order(
    tmp_path: Path, make_bot: Callable[..., MoodBot]
) -> None:
    write_log(tmp_path / "chat.jsonl", times=False, bad=False)
    data = build(make_bot, tmp_path / "chat.jsonl")
    buckets, axis = data.buckets()
    assert not data.timed and axis == "messages, in log order"
    assert [b.label for b in buckets] == [str(i) for i in range(1, 9)]
    assert "in log order" in render_html(data)


def message(
    i: int, author: str | None = None, minute: float | None = None, mood: str = "joy"
) -> MessageMood:
    when = (
        None
        if minute is None
        else datetime.datetime(2024, 1, 1, tzinfo=UTC) + datetime.timedelta(minutes=minute)
    )
    return MessageMood(i, author, when, mood, 1.0 if mood == "joy" else -1.0, ())


def data_of(messages: list[MessageMood]) -> ReportData:
    return ReportData("x.jsonl", tuple(messages), (), datetime.datetime(2024, 1, 2, tzinfo=UTC))


def test_time_buckets_pick_a_readable_step() -> None:
    hours = data_of(
        [message(i, minute=i * 30, mood="joy" if i % 3 else "sadness") for i in range(48)]
    )
    buckets, axis = hours.buckets()
    assert axis == "time (UTC), 1 hour per step" and len(buckets) == 24
    assert buckets[0].label == "00:00" and sum(b.count for b in buckets) == 48
    days = data_of([message(i, minute=i * 60 * 24 * 3) for i in range(30)])
    _, axis = days.buckets()
    assert axis == "time (UTC), 7 days per step"
    one = data_of([message(1, minute=5)])
    (bucket,), _ = one.buckets()
    assert bucket.count == 1
    assert "<svg" in render_html(one)  # a single message still draws


def test_an_overnight_gap_is_drawn_at_its_true_width() -> None:
    # 09:00-10:00 one day, 08:00-09:00 the next: 22 hours without a message between them
    evening = [message(i, minute=9 * 60 + 15 * i) for i in range(5)]
    morning = [message(5 + i, minute=32 * 60 + 15 * i, mood="sadness") for i in range(5)]
    data = data_of(evening + morning)
    buckets, axis = data.buckets()
    assert axis == "time (UTC), 1 hour per step"
    assert [b.count for b in buckets] == [4, 1, *[0] * 21, 4, 1]  # the empty hours are there
    page = render_html(data)
    valence = page[page.index('<svg class="valence-chart"') :]
    points = [
        (float(cx), datetime.datetime.strptime(f"2024-{label}", "%Y-%m-%d %H:%M"))
        for cx, label in re.findall(
            r'<circle class="point" cx="([\d.]+)".*?<title>([^:]+:\d\d):', valence
        )
    ]
    assert len(points) == 4
    (x0, t0), *rest = points
    per_hour = [(x - x0) / ((t - t0).total_seconds() / 3600) for x, t in rest]
    # x is proportional to time: the same distance per hour across the night as within an hour
    assert max(per_hour) - min(per_hour) < 0.2, per_hour
    assert per_hour[0] == pytest.approx((960 - 44 - 14) / 25, abs=0.2)
    # the line and the areas break over the night instead of joining across it
    line = re.search(r'class="valence-line" d="([^"]*)"', page)
    assert line is not None and line.group(1).count("M") == 2
    for d in re.findall(r'class="area" data-mood="\w+" d="([^"]*)"', page):
        assert d.count("M") == 2
    assert "Blank stretches" in page


@pytest.mark.parametrize(
    ("minutes", "step"),
    [
        ([i * 3 * 24 * 60 for i in range(122)], "30 days"),  # a year, every three days
        ([0, 60, 60 * 24 * 365 * 30], "1 year"),  # thirty years
        ([0, 60 * 24 * 365 * 300], "8 years"),  # three centuries
    ],
)
def test_long_spans_keep_the_steps_bounded(minutes: list[int], step: str) -> None:
    data = data_of([message(i, minute=m) for i, m in enumerate(minutes)])
    buckets, axis = data.buckets()
    assert len(buckets) <= 40 and sum(b.count for b in buckets) == len(minutes)
    assert axis == f"time (UTC), {step} per step" and buckets[0].count and buckets[-1].count
    assert "<svg" in render_html(data)


def test_names_from_the_log_are_escaped() -> None:
    sneaky = '<script>alert("hi")</script><img src=x onerror=alert(1)>'
    data = ReportData(
        '"><b>log</b>.jsonl',
        (message(1, author=sneaky, minute=0), message(2, author="ann & bob", minute=5)),
        (),
        datetime.datetime(2024, 1, 2, tzinfo=UTC),
    )
    page = render_html(data)
    assert "<script" not in page and "<img" not in page and "<b>log" not in page
    assert "&lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt;" in page
    assert "Mood report: &#34;&gt;&lt;b&gt;log&lt;/b&gt;.jsonl" in page
    assert "ann &amp; bob" in page
    assert 'font-family: "moodmoji emoji"' in page  # the constant CSS is not escaped


def test_long_logs_use_at_most_40_steps_and_12_authors() -> None:
    many = data_of([message(i, author=f"user{i % 20:02d}") for i in range(1000)])
    buckets, _ = many.buckets()
    assert len(buckets) <= 40 and sum(b.count for b in buckets) == 1000
    authors = many.authors()
    assert len(authors) == 13 and authors[-1][0] == "8 others" and authors[-1][2] == 400


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T18:30:00+02:00", datetime.datetime(2024, 5, 1, 16, 30, tzinfo=UTC)),
        ("2024-05-01 18:30", datetime.datetime(2024, 5, 1, 18, 30, tzinfo=UTC)),
        ("2024-05-01T18:30:00Z", datetime.datetime(2024, 5, 1, 18, 30, tzinfo=UTC)),
        (1714588200, datetime.datetime(2024, 5, 1, 18, 30, tzinfo=UTC)),
        (1714588200000, datetime.datetime(2024, 5, 1, 18, 30, tzinfo=UTC)),
        ("12:00", None),
        ("yesterday", None),
        (float("nan"), None),
        (1e300, None),
        (None, None),
    ],
)
def test_parse_time(value: str | float | None, expected: datetime.datetime | None) -> None:
    parsed = parse_time(value)
    assert parsed == expected


def run_report(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moodmoji.tools.cli", "report", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=180,
        check=False,
    )


def test_report_command(tmp_path: Path, tiny_bundle: Path) -> None:
    texts = write_log(tmp_path / "chat.jsonl")
    result = run_report("--model", str(tiny_bundle), "chat.jsonl", "out.html", cwd=tmp_path)
    # like analyze --jsonl: the report is written, and a line that could not be read makes
    # the exit status 1
    assert result.returncode == 1, result.stderr
    page = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<svg" in page
    assert not any(text in page for text in texts)
    assert "report" in result.stderr and "9/9" in result.stderr  # the progress bar
    assert "1 line(s) could not be read (line 4)" in result.stderr
    assert "Traceback" not in result.stderr
    assert not any(text in result.stderr for text in texts)


def test_report_command_errors_are_one_line(tmp_path: Path, tiny_bundle: Path) -> None:
    missing = run_report("--model", str(tiny_bundle), "absent.jsonl", "out.html", cwd=tmp_path)
    assert missing.returncode == 1
    assert "absent.jsonl" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "junk.jsonl").write_text("{nope\n[1]\n", encoding="utf-8")
    junk = run_report("--model", str(tiny_bundle), "junk.jsonl", "out.html", cwd=tmp_path)
    assert junk.returncode == 1 and "no readable message" in junk.stderr
    assert not (tmp_path / "out.html").exists()
    nowhere = run_report(
        "--model", str(tiny_bundle), "junk.jsonl", str(tmp_path / "no" / "out.html"), cwd=tmp_path
    )
    assert nowhere.returncode == 1 and "no such directory" in nowhere.stderr
