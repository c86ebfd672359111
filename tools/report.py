"""``moodmoji report LOG OUT.html``: a self-contained mood report of a chat log.

The log is JSON lines, one ``{"text", "author"?, "time"?}`` per message (``time``: ISO 8601, or
seconds since the epoch). Every message is decided on in batches, as ``moodmoji analyze`` does,
and the report keeps aggregates only: the mix of moods over time, how positive the conversation
was, the reactions moodmoji would set most, and each author's mood mix. **No message text is
written to the report**, and nothing is stored.

The report is one HTML file with its CSS and SVG charts inline: no script, no external URL (a
Content-Security-Policy in the file forbids loading anything), so it opens offline and can be
mailed around.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import logging
import math
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice, pairwise
from pathlib import Path
from typing import Any

import jinja2
from tqdm import tqdm

from moodmoji.bot.config import Config
from moodmoji.bot.core import MoodBot
from moodmoji.bot.decision import Decision
from moodmoji.bot.messages import IncomingMessage, Platform
from moodmoji.tools.analyze import InputItem, items_from_jsonl

__all__ = [
    "MOODS",
    "Bucket",
    "MessageMood",
    "ReportData",
    "collect",
    "parse_time",
    "render_html",
    "run",
    "valence",
]

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED = 0, 1

#: Coarse moods from the most positive to the most negative, with their colours.
MOODS: dict[str, str] = {
    "joy": "#f2b01e",
    "love": "#e2467f",
    "surprise": "#8b68d6",
    "neutral": "#9aa3ad",
    "fear": "#5b5fc7",
    "sadness": "#3f7fc4",
    "anger": "#d9473b",
    "disgust": "#4e9a4b",
}
_VALENCE = {
    "joy": 1.0,
    "love": 1.0,
    "surprise": 0.25,
    "neutral": 0.0,
    "fear": -0.8,
    "sadness": -1.0,
    "anger": -0.9,
    "disgust": -0.9,
}
_OTHER_MOOD_COLOR = "#c5cad3"
_MAX_BUCKETS = 40
_MAX_AUTHORS = 12
_TOP_REACTIONS = 12
_BUCKET_SECONDS = (
    60,
    5 * 60,
    15 * 60,
    30 * 60,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86400,
    7 * 86400,
    30 * 86400,
    365 * 86400,
)
_UNKNOWN_AUTHOR = "(no author)"


def valence(moods: Iterable[tuple[str, float]]) -> float:
    """How positive a message is, from its mood shares: -1 (negative) to +1 (positive)."""
    total = weight = 0.0
    for label, score in moods:
        total += _VALENCE.get(label, 0.0) * score
        weight += score
    return max(-1.0, min(1.0, total / weight)) if weight > 0 else 0.0


def parse_time(value: str | float | None) -> datetime.datetime | None:
    """A log line's ``time`` as an aware datetime (UTC when no offset is given), or ``None``.

    Strings are ISO 8601 (``2024-05-01T18:30:00+02:00``, ``2024-05-01 18:30``); numbers are
    seconds since the epoch (milliseconds when larger than 10^11).
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
    if not math.isfinite(value):
        return None
    seconds = value / 1000 if abs(value) > 1e11 else value
    try:
        return datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    except (OverflowError, OSError, ValueError):
        return None


@dataclass(frozen=True)
class MessageMood:
    """What the report keeps of one message: never its text.

    Attributes:
        line: Its line in the log.
        author: Who wrote it, if the log says.
        time: When, if the log says (and it could be read).
        mood: The leading coarse mood (``None`` if the model gave none).
        valence: How positive it is (-1..1).
        reactions: The reactions moodmoji would set (generic rules).

    """

    line: int
    author: str | None
    time: datetime.datetime | None
    mood: str | None
    valence: float
    reactions: tuple[str, ...]


@dataclass(frozen=True)
class Bucket:
    """A stretch of the conversation: a span of time, or a run of consecutive messages.

    All stretches of a report are equally long (the same span of time, or the same number of
    messages), and with a time axis the stretches without messages are there too, so that
    each stretch's place on the axis is its true time.

    Attributes:
        label: How the axis names it.
        moods: Leading moods of its messages, counted.
        valence: Mean valence of its messages (0 when it has none).
        count: Its messages; 0 for a span of time in which nobody wrote.
        start: When it starts, on a time axis.

    """

    label: str
    moods: dict[str, int]
    valence: float
    count: int
    start: datetime.datetime | None = None


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows: aggregates of the log, never text.

    Attributes:
        source: The log's file name.
        messages: One entry per analysed message, in log order.
        unreadable: Line numbers of lines that could not be read.
        generated: When the report was made.

    """

    source: str
    messages: tuple[MessageMood, ...]
    unreadable: tuple[int, ...]
    generated: datetime.datetime

    @property
    def timed(self) -> bool:
        """Whether every message has a time (the charts then have a time axis)."""
        return bool(self.messages) and all(m.time is not None for m in self.messages)

    def buckets(self) -> tuple[list[Bucket], str]:
        """The conversation cut into at most 40 stretches, and the axis's name."""
        if not self.messages:
            return [], ""
        if self.timed:
            return self._time_buckets()
        size = max(1, math.ceil(len(self.messages) / _MAX_BUCKETS))
        groups = [self.messages[i : i + size] for i in range(0, len(self.messages), size)]
        out = []
        start = 1
        for group in groups:
            end = start + len(group) - 1
            out.append(_bucket(f"{start}" if size == 1 else f"{start}–{end}", group))
            start = end + 1
        return out, "messages, in log order"

    def _time_buckets(self) -> tuple[list[Bucket], str]:
        """Equal steps of time from the first message's to the last's, empty steps included.

        Every step of the span is a bucket (one without messages has ``count`` 0), so the
        charts can place them at their true time; the step is the shortest readable one that
        keeps the number of buckets at :data:`_MAX_BUCKETS` or under, whatever the span, and
        is no shorter than the usual pause between two messages (so that the lines break
        where the conversation paused, not between every two messages).
        """
        times = sorted(m.time.timestamp() for m in self.messages if m.time is not None)
        first, last = times[0], times[-1]
        pauses = sorted(b - a for a, b in pairwise(times))
        width = _step_seconds(first, last, pauses[len(pauses) // 2] if pauses else 0.0)
        origin = math.floor(first / width) * width
        groups: dict[int, list[MessageMood]] = {}
        for message in self.messages:
            assert message.time is not None
            groups.setdefault(int((message.time.timestamp() - origin) // width), []).append(message)
        span = last - first
        fmt = "%Y-%m-%d" if width >= 86400 else "%H:%M" if span < 86400 else "%m-%d %H:%M"
        out = []
        for index in range(max(groups) + 1):
            start = datetime.datetime.fromtimestamp(origin + index * width, datetime.UTC)
            out.append(_bucket(start.strftime(fmt), groups.get(index, ()), start))
        return out, f"time (UTC), {_duration(width)} per step"

    def mood_totals(self) -> Counter[str]:
        """Messages per leading mood."""
        return Counter(m.mood for m in self.messages if m.mood)

    def reaction_totals(self) -> Counter[str]:
        """Messages each emoji would be set on."""
        counts: Counter[str] = Counter()
        for message in self.messages:
            counts.update(set(message.reactions))
        return counts

    def authors(self) -> list[tuple[str, Counter[str], int]]:
        """Each author's leading moods and message count, most active first.

        Twelve authors at most; the rest are summed as "N others".
        """
        per: dict[str, Counter[str]] = {}
        for message in self.messages:
            per.setdefault(message.author or _UNKNOWN_AUTHOR, Counter())[message.mood or ""] += 1
        ranked = sorted(per.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        out = [(name, moods, sum(moods.values())) for name, moods in ranked[:_MAX_AUTHORS]]
        rest: Counter[str] = Counter()
        for _, moods in ranked[_MAX_AUTHORS:]:
            rest.update(moods)
        if rest:
            others = f"{len(ranked) - _MAX_AUTHORS} others"
            out.append((others, rest, sum(rest.values())))
        return out


def _step_seconds(first: float, last: float, pause: float = 0.0) -> int:
    """The shortest readable step that cuts ``first``..``last`` (seconds) into 40 steps at most.

    It is no shorter than ``pause`` (the median pause between messages) unless only the
    longest steps are; beyond 40 years, whole numbers of years.
    """

    def steps(width: int) -> int:
        return math.floor(last / width) - math.floor(first / width) + 1

    for width in _BUCKET_SECONDS:
        if width >= pause and steps(width) <= _MAX_BUCKETS:
            return width
    year = _BUCKET_SECONDS[-1]
    width = year * max(1, math.ceil((last - first) / (year * (_MAX_BUCKETS - 1))))
    while steps(width) > _MAX_BUCKETS:
        width += year
    return width


def _bucket(
    label: str, messages: Sequence[MessageMood], start: datetime.datetime | None = None
) -> Bucket:
    moods = Counter(m.mood or "neutral" for m in messages)
    mean = sum(m.valence for m in messages) / len(messages) if messages else 0.0
    return Bucket(label, dict(moods), mean, len(messages), start)


def _duration(seconds: int) -> str:
    for unit, size in (("year", 365 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return f"{seconds} s"


# --------------------------------------------------------------------------------------------
# Collecting
# --------------------------------------------------------------------------------------------


def collect(
    bot: MoodBot,
    items: Iterable[InputItem],
    *,
    source: str,
    batch_size: int,
    progress: bool = True,
    total: int | None = None,
) -> ReportData:
    """Decides about every message of a log, in batches, and keeps the aggregates only.

    Args:
        bot: The bot; its model runs in this thread.
        items: The log's lines.
        source: The log's name, for the title.
        batch_size: Messages per model run.
        progress: Show a progress bar on stderr.
        total: Lines in the log, for the progress bar.

    """
    messages: list[MessageMood] = []
    unreadable: list[int] = []
    iterator = iter(items)
    with tqdm(total=total, desc="report", unit="msg", file=sys.stderr, disable=not progress) as bar:
        while chunk := list(islice(iterator, max(1, batch_size))):
            readable = [item for item in chunk if item.text is not None]
            unreadable.extend(item.line for item in chunk if item.text is None)
            incoming = [
                IncomingMessage(
                    Platform.GENERIC,
                    "report",
                    str(item.line),
                    item.author or "unknown",
                    item.text or "",
                )
                for item in readable
            ]
            decisions = bot.decide_many(incoming, explicit=True) if incoming else []
            for item, decision in zip(readable, decisions, strict=True):
                messages.append(_keep(item, decision))
            bar.update(len(chunk))
    return ReportData(
        source=source,
        messages=tuple(messages),
        unreadable=tuple(unreadable),
        generated=datetime.datetime.now(datetime.UTC),
    )


def _keep(item: InputItem, decision: Decision) -> MessageMood:
    """The aggregate-ready part of a decision; the text is dropped here."""
    return MessageMood(
        line=item.line,
        author=item.author,
        time=parse_time(item.time),
        mood=decision.mood,
        valence=valence((m.label, m.score) for m in decision.moods),
        reactions=tuple(r.emoji for r in decision.reactions),
    )


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

_CSS = """
@font-face {
  /* Emoji in colour: system text fonts (DejaVu, Noto Sans) carry black-and-white outlines of
     some emoji (😂 😊 😢), and they came first in the stack. This face holds only emoji code
     points, so text still uses the system font. */
  font-family: "moodmoji emoji";
  src: local("Noto Color Emoji"), local("Apple Color Emoji"), local("Segoe UI Emoji"),
    local("Twemoji Mozilla"), local("EmojiOne Color");
  unicode-range: U+00A9, U+00AE, U+203C, U+2049, U+2122, U+2139, U+2194-2199, U+21A9-21AA,
    U+231A-231B, U+2328, U+23CF, U+23E9-23F3, U+23F8-23FA, U+24C2, U+25AA-25AB, U+25B6, U+25C0,
    U+25FB-25FE, U+2600-27BF, U+2934-2935, U+2B05-2B07, U+2B1B-2B1C, U+2B50, U+2B55, U+3030,
    U+303D, U+3297, U+3299, U+FE0F, U+200D, U+1F000-1FAFF, U+E0020-E007F;
}
:root { --ink:#1d2330; --muted:#6b7382; --line:#e3e6ec; --bg:#f4f5f8; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font-family: "moodmoji emoji", system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial,
  sans-serif, "Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji"; }
main { max-width: 1040px; margin: 0 auto; padding: 28px 24px 40px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 16px; margin: 0 0 12px; }
.sub { color: var(--muted); margin: 0 0 22px; }
.stats { display:grid; grid-template-columns: repeat(4, 1fr); gap: 14px; margin-bottom: 18px; }
.stat, .card { background:#fff; border-radius: 14px; padding: 16px 18px;
  box-shadow: 0 1px 2px rgba(20,30,50,.06), 0 4px 16px rgba(20,30,50,.06); }
.stat b { display:block; font-size: 24px; margin-top: 2px; }
.stat span { color: var(--muted); font-size: 13px; }
.card { margin-bottom: 18px; }
.grid2 { display:grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.grid2 .card { margin-bottom: 0; }
svg { width: 100%; height: auto; display:block; }
svg text { font-size: 11px; fill: var(--muted); }
.legend { display:flex; flex-wrap: wrap; gap: 12px; font-size: 12px; color: var(--muted);
  margin-top: 8px; }
.legend i { display:inline-block; width: 10px; height: 10px; border-radius: 3px;
  margin-right: 5px; vertical-align: -1px; }
.bars { display:flex; flex-direction: column; gap: 7px; }
.bar-row { display:grid; grid-template-columns: 150px 1fr 48px; gap: 10px; align-items:center;
  font-size: 13px; }
.bar-row .name { overflow:hidden; text-overflow: ellipsis; white-space: nowrap; }
.bar-row.reaction { grid-template-columns: 36px 1fr 48px; }
.bar-row .emoji { font-size: 20px; }
.bar-row .n { text-align:right; color: var(--muted); }
.track { display:flex; height: 18px; border-radius: 6px; overflow:hidden; background:#f0f2f6; }
.track span { display:block; height:100%; }
.note { color: var(--muted); font-size: 13px; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
"""


_PAGE = """\
{% macro legend() -%}
<div class="legend">
{%- for mood, color in moods -%}
<span><i style="background:{{ color }}"></i>{{ mood }}</span>
{%- endfor -%}
</div>
{%- endmacro %}
{% macro ticks(chart) -%}
{%- for tick in chart.ticks -%}
<text class="x-tick" x="{{ tick.x }}" y="{{ chart.tick_y }}" text-anchor="{{ tick.anchor }}">\
{{ tick.label }}</text>
{%- endfor -%}
<text class="axis-name" x="{{ chart.axis_x }}" y="{{ chart.axis_y }}" text-anchor="end">\
{{ chart.axis }}</text>
{%- endmacro %}
{% macro area_chart(chart) -%}
<svg class="mood-area" viewBox="0 0 {{ chart.width }} {{ chart.height }}" role="img" \
aria-label="Share of each mood over time">
{%- for line in chart.grid -%}
<line x1="{{ chart.left }}" x2="{{ chart.right }}" y1="{{ line.y }}" y2="{{ line.y }}" \
stroke="#eceef2"/><text x="{{ line.label_x }}" y="{{ line.label_y }}" text-anchor="end">\
{{ line.label }}</text>
{%- endfor -%}
{%- for area in chart.areas -%}
<path class="area" data-mood="{{ area.mood }}" d="{{ area.d }}" fill="{{ area.color }}" \
fill-opacity="0.88"><title>{{ area.mood }}</title></path>
{%- endfor -%}
{{ ticks(chart) }}</svg>
{%- if chart.gaps %}<p class="note gaps">Blank stretches: nobody wrote then.</p>{% endif %}
{%- endmacro %}
{% macro valence_chart(chart) -%}
<svg class="valence-chart" viewBox="0 0 {{ chart.width }} {{ chart.height }}" role="img" \
aria-label="Mean mood valence over time">
{%- for band in chart.bands -%}
<rect x="{{ chart.left }}" y="{{ band.y }}" width="{{ chart.plot_width }}" \
height="{{ band.height }}" fill="{{ band.color }}"/>
{%- endfor -%}
{%- for line in chart.grid -%}
<line x1="{{ chart.left }}" x2="{{ chart.right }}" y1="{{ line.y }}" y2="{{ line.y }}" \
stroke="{{ line.color }}"/><text x="{{ line.label_x }}" y="{{ line.label_y }}" \
text-anchor="end">{{ line.label }}</text>
{%- endfor -%}
<path class="valence-line" d="{{ chart.line }}" fill="none" stroke="#2b3140" stroke-width="2.5" \
stroke-linejoin="round"/>
{%- for point in chart.points -%}
<circle class="point" cx="{{ point.x }}" cy="{{ point.y }}" r="{{ point.r }}" \
fill="{{ point.color }}" stroke="#fff" stroke-width="1.5"><title>{{ point.title }}</title></circle>
{%- endfor -%}
{{ ticks(chart) }}</svg>
{%- endmacro %}
<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
img-src data:">
<title>{{ title }}</title><style>{{ css|safe }}</style></head><body><main>
<h1>{{ title }}</h1>
<p class="sub">{{ count }} messages analysed by moodmoji on {{ generated }} UTC · {{ span }}</p>
<section class="stats">
{% for label, value in stats %}
<div class="stat"><span>{{ label }}</span><b>{{ value }}</b></div>
{% endfor %}
</section>
<section class="card" id="mood-over-time"><h2>Mood over time</h2>
{% if area %}{{ area_chart(area) }}{% else %}<p class="note">No messages.</p>{% endif %}
{{ legend() }}
</section>
<section class="card" id="positivity"><h2>How positive, over time</h2>
{% if valence %}{{ valence_chart(valence) }}{% else %}<p class="note">No messages.</p>{% endif %}
<p class="note">Each point is the mean of its messages' mood, from −1 (sad, angry, afraid) to \
+1 (joyful, loving); its size grows with the number of messages.</p>
</section>
<div class="grid2">
<section class="card" id="top-reactions"><h2>Top reactions</h2>
{% if reactions %}
<div class="bars">
{%- for row in reactions -%}
<div class="bar-row reaction"><span class="emoji">{{ row.emoji }}</span><div class="track">\
<span style="width:{{ row.width }}%;background:#4f6df5"></span></div>\
<span class="n">{{ row.count }}</span></div>
{%- endfor -%}
</div><p class="note">Messages each emoji would be set on, of {{ count }}.</p>
{% else %}
<p class="note">moodmoji would set no reaction on these messages.</p>
{% endif %}
</section>
<section class="card" id="authors"><h2>Mood mix per author</h2>
<div class="bars">
{%- for row in authors -%}
<div class="bar-row author"><span class="name">{{ row.name }}</span><div class="track">
{%- for part in row.parts -%}
<span style="width:{{ part.width }}%;background:{{ part.color }}" title="{{ part.title }}"></span>
{%- endfor -%}
</div><span class="n">{{ row.count }}</span></div>
{%- endfor -%}
</div>{{ legend() }}
</section></div>
{% if unreadable %}
<p class="note" id="unreadable">{{ unreadable.count }} line(s) of the log could not be read and \
were left out: {{ unreadable.shown }}{{ unreadable.more }}.</p>
{% endif %}
<footer>Aggregates only: this report holds no message text. Made offline by moodmoji (reactions \
under its generic rules).</footer></main></body></html>
"""

#: Autoescaping on: every value a template writes is escaped, the log's author names and file
#: name included; only the constant CSS is marked safe.
_TEMPLATES = jinja2.Environment(
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


@functools.cache
def _page() -> jinja2.Template:
    """The page's template, compiled once."""
    return _TEMPLATES.from_string(_PAGE)


def render_html(data: ReportData) -> str:
    """The report as one HTML document (inline CSS and SVG, no script, no external URL)."""
    buckets, axis = data.buckets()
    totals = data.mood_totals()
    leading = totals.most_common(1)[0][0] if totals else "none"
    reacted = sum(1 for m in data.messages if m.reactions)
    rate = reacted / len(data.messages) if data.messages else 0.0
    authors = {m.author or _UNKNOWN_AUTHOR for m in data.messages}
    unreadable = None
    if data.unreadable:
        more = len(data.unreadable) - 20
        unreadable = {
            "count": len(data.unreadable),
            "shown": ", ".join(str(n) for n in data.unreadable[:20]),
            "more": f" and {more} more" if more > 0 else "",
        }
    return _page().render(
        title=f"Mood report: {data.source}",
        css=_CSS,  # a constant, so marked safe in the template: no value of the log is in it
        count=len(data.messages),
        generated=data.generated.strftime("%Y-%m-%d %H:%M"),
        span=_span(data),
        stats=[
            ("messages", str(len(data.messages))),
            ("authors", str(len(authors))),
            ("leading mood", leading),
            ("would react to", f"{rate:.0%}"),
        ],
        moods=list(MOODS.items()),
        area=_area_chart(buckets, axis),
        valence=_valence_chart(buckets, axis),
        reactions=_reaction_bars(data.reaction_totals()),
        authors=_author_bars(data.authors()),
        unreadable=unreadable,
    )


def _span(data: ReportData) -> str:
    if not data.timed:
        return "in log order (not every line has a readable time)"
    times = [m.time for m in data.messages if m.time is not None]
    first, last = min(times), max(times)
    return f"from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC"


_W, _H = 960, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 14, 12, 40


def _extents(count: int) -> list[tuple[float, float]]:
    """Where each of ``count`` equal stretches lies on the x axis: (left, right).

    The stretches are equally long and none is missing (an empty one included), so x is
    proportional to time on a time axis.
    """
    step = (_W - _LEFT - _RIGHT) / count
    return [(_LEFT + i * step, _LEFT + (i + 1) * step) for i in range(count)]


def _runs(buckets: Sequence[Bucket]) -> list[list[int]]:
    """The indexes of the buckets in each run of consecutive buckets that hold messages."""
    runs: list[list[int]] = []
    previous = -2
    for i, bucket in enumerate(buckets):
        if not bucket.count:
            continue
        if i == previous + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
        previous = i
    return runs


def _frame(
    buckets: Sequence[Bucket], extents: Sequence[tuple[float, float]], axis: str
) -> dict[str, Any]:
    """What both charts share: the canvas, the plot's edges and the x axis's labels.

    A stretch of time is named at its start, a run of messages at its middle.
    """
    ticks = []
    step = max(1, math.ceil(len(buckets) / 8))
    for i in range(0, len(buckets), step):
        left, right = extents[i]
        x = left if buckets[i].start is not None else (left + right) / 2
        anchor = "start" if x - _LEFT < 30 else "end" if _W - _RIGHT - x < 30 else "middle"
        ticks.append({"x": f"{x:.1f}", "anchor": anchor, "label": buckets[i].label})
    return {
        "width": _W,
        "height": _H,
        "left": _LEFT,
        "right": _W - _RIGHT,
        "plot_width": _W - _LEFT - _RIGHT,
        "ticks": ticks,
        "tick_y": _H - _BOTTOM + 16,
        "axis": axis,
        "axis_x": _W - _RIGHT,
        "axis_y": _H - 6,
    }


def _area_chart(buckets: Sequence[Bucket], axis: str) -> dict[str, Any] | None:
    """Stacked areas: each mood's share of the messages of each stretch.

    Each run of stretches with messages is one piece, drawn through the middles of its
    stretches and out to its edges; a stretch without messages stays blank (a break in the
    areas, never an interpolation across it).
    """
    if not buckets:
        return None
    plot_h = _H - _TOP - _BOTTOM
    extents = _extents(len(buckets))
    runs = _runs(buckets)
    grid = []
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = _TOP + (1 - share) * plot_h
        grid.append(
            {
                "y": f"{y:.1f}",
                "label_x": _LEFT - 6,
                "label_y": f"{y + 4:.1f}",
                "label": f"{share:.0%}",
            }
        )
    areas = []
    below = [0.0] * len(buckets)
    for mood, color in MOODS.items():
        shares = [b.moods.get(mood, 0) / b.count if b.count else 0.0 for b in buckets]
        if not any(shares):
            continue
        above = [lo + s for lo, s in zip(below, shares, strict=True)]
        pieces = []
        for run in runs:
            xs = [
                extents[run[0]][0],
                *((extents[i][0] + extents[i][1]) / 2 for i in run),
                extents[run[-1]][1],
            ]
            tops = [above[run[0]], *(above[i] for i in run), above[run[-1]]]
            lows = [below[run[0]], *(below[i] for i in run), below[run[-1]]]
            top = [(x, _TOP + (1 - v) * plot_h) for x, v in zip(xs, tops, strict=True)]
            bottom = [(x, _TOP + (1 - v) * plot_h) for x, v in zip(xs, lows, strict=True)]
            points = top + bottom[::-1]
            pieces.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in points) + " Z")
        areas.append({"mood": mood, "d": " ".join(pieces), "color": color})
        below = above
    gaps = not all(b.count for b in buckets)
    return {**_frame(buckets, extents, axis), "grid": grid, "areas": areas, "gaps": gaps}


def _valence_chart(buckets: Sequence[Bucket], axis: str) -> dict[str, Any] | None:
    """A line through each stretch's mean valence, with a point per stretch with messages.

    The line breaks where a stretch holds no message.
    """
    if not buckets:
        return None
    plot_h = _H - _TOP - _BOTTOM
    extents = _extents(len(buckets))
    xs = [(left + right) / 2 for left, right in extents]

    def y_of(v: float) -> float:  # 10 px inside the plot, so that no point is clipped
        return _TOP + 10 + (1 - v) / 2 * (plot_h - 20)

    bands = [
        {"y": _TOP, "height": f"{plot_h / 2:.1f}", "color": "#f0f9f1"},
        {"y": f"{_TOP + plot_h / 2:.1f}", "height": f"{plot_h / 2:.1f}", "color": "#fbf0f0"},
    ]
    grid = [
        {
            "y": f"{y_of(v):.1f}",
            "color": "#b9bec8" if v == 0 else "#e7e9ee",
            "label_x": _LEFT - 6,
            "label_y": f"{y_of(v) + 4:.1f}",
            "label": label,
        }
        for v, label in ((1.0, "+1"), (0.0, "0"), (-1.0, "−1"))
    ]
    line = " ".join(
        "M" + " L".join(f"{xs[i]:.1f},{y_of(buckets[i].valence):.1f}" for i in run)
        for run in _runs(buckets)
    )
    biggest = max(b.count for b in buckets)
    points = []
    for x, bucket in zip(xs, buckets, strict=True):
        if not bucket.count:
            continue
        mood = max(bucket.moods.items(), key=lambda kv: kv[1])[0]
        radius = 3.5 + 4.5 * math.sqrt(bucket.count / biggest)
        points.append(
            {
                "x": f"{x:.1f}",
                "y": f"{y_of(bucket.valence):.1f}",
                "r": f"{radius:.1f}",
                "color": MOODS.get(mood, _OTHER_MOOD_COLOR),
                "title": f"{bucket.label}: {bucket.count} messages, mostly {mood}, "
                f"valence {bucket.valence:+.2f}",
            }
        )
    frame = _frame(buckets, extents, axis)
    return {**frame, "bands": bands, "grid": grid, "line": line, "points": points}


def _reaction_bars(counts: Counter[str]) -> list[dict[str, Any]]:
    top = counts.most_common(_TOP_REACTIONS)
    biggest = top[0][1] if top else 1
    return [
        {"emoji": emoji, "width": f"{100 * count / biggest:.1f}", "count": count}
        for emoji, count in top
    ]


def _author_bars(authors: Sequence[tuple[str, Counter[str], int]]) -> list[dict[str, Any]]:
    rows = []
    for name, moods, count in authors:
        parts = [
            {
                "width": f"{100 * moods[mood] / count:.2f}",
                "color": color,
                "title": f"{mood or 'no mood'}: {moods[mood]}",
            }
            for mood, color in (*MOODS.items(), ("", _OTHER_MOOD_COLOR))
            if moods.get(mood, 0)
        ]
        rows.append({"name": name, "parts": parts, "count": count})
    return rows


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def write_report(data: ReportData, out: Path) -> None:
    """Writes the report atomically (a temporary file renamed over ``out``).

    Raises:
        OSError: The file could not be written.

    """
    text = render_html(data)
    directory = out.parent if str(out.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace, config: Config) -> int:
    """``moodmoji report LOG OUT.html``; returns the exit status.

    Args:
        args: ``log``, ``out`` and ``model``.
        config: The loaded configuration (``model``, ``inference``, ``bot``).

    """
    log: Path = args.log
    out: Path = args.out
    if not out.parent.is_dir():
        print(f"moodmoji: error: {out.parent}: no such directory", file=sys.stderr)
        return EXIT_FAILED
    try:
        stream = log.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        print(f"moodmoji: error: {log}: {exc.strerror}", file=sys.stderr)
        return EXIT_FAILED
    bot = MoodBot.from_config(config, model=args.model, keep_state=False)
    with stream:
        items = items_from_jsonl(stream)
        data = collect(
            bot,
            items,
            source=log.name,
            batch_size=config.inference.max_batch_size,
            total=items.total,
        )
    if data.unreadable:
        shown = ", ".join(str(n) for n in data.unreadable[:10])
        more = ", ..." if len(data.unreadable) > 10 else ""
        print(
            f"moodmoji: {log}: {len(data.unreadable)} line(s) could not be read "
            f"(line {shown}{more}); left out",
            file=sys.stderr,
        )
    if not data.messages:
        print(f"moodmoji: error: {log}: no readable message to report on", file=sys.stderr)
        return EXIT_FAILED
    try:
        write_report(data, out)
    except OSError as exc:
        print(f"moodmoji: error: {out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"moodmoji: wrote {out} ({len(data.messages)} messages)", file=sys.stderr)
    # as analyze --jsonl: the rest still runs, and lines left out make the status 1
    return EXIT_FAILED if data.unreadable else EXIT_OK
