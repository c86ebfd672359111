"""Real chat traffic for ``moodmoji bench --irc DIR``: Ubuntu IRC logs, one file per chat.

The logs are those of the IRC disentanglement corpus (Kummerfeld et al., ACL 2019), one
``*.raw.txt`` file per sample of the ``#ubuntu`` channel, one line per event::

    [12:18] <HrdwrBoB> tweaked: just one?
    [10:00]  * mrglinux prefer go on debian..
    === topyli [~juha@dsl-hkigw3k9b.dial.inet.fi]  has left #ubuntu []

How a log becomes messages:

* Each file is one chat (its id is the file name without ``.raw.txt``); files are read in name
  order and lines in file order.
* ``[HH:MM] <nick> text`` is a message by ``nick``. ``[HH:MM] * nick text`` (an IRC ``/me``
  action) is a message reading ``nick text``, as clients show it.
* System lines (``===`` joins, parts, nick changes), lines of no known shape and messages whose
  text is blank are skipped and counted.
* The text is kept as written, the nick addressing included ("tweaked: just one?"): a platform
  hands the bot the whole text of a reply or mention too (a Discord mention stays in the
  content), so stripping it would flatter the tokenizer and the model. The addressee is noted
  (:attr:`IrcMessage.addressee`, a nick that spoke in the same log followed by ``:`` or ``,``)
  and :attr:`IrcMessage.bare_text` is the text without it, for comparisons.
* The channel's bots (``ubotu``, ``ubottu``, ``FloodBot1``: factoid and flood bots) are marked
  as bots, as a platform marks them; the bot ignores their messages before any inference.
* Times are minutes; a minute's messages are spread evenly over it, and a clock that goes
  backwards is the next day (the logs are in order). :attr:`IrcMessage.seconds` counts from the
  log's first line, so pacing can be replayed on the chat's own clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

LOG_SUFFIX = ".raw.txt"
BOT_NICKS = re.compile(r"ubot+u|ubot\d+|floodbot\d*", re.IGNORECASE)
"""Nicks of the Ubuntu channels' bots."""

_MESSAGE = re.compile(r"\[(\d{1,2}):(\d{2})\] <([^>\s]+)>(?: (.*))?")
_ACTION = re.compile(r"\[(\d{1,2}):(\d{2})\]\s+\* (\S+)(?: (.*))?")
_ADDRESS = re.compile(r"\s*([^\s:,]+)[:,]\s*")
_DAY = 24 * 60


@dataclass(frozen=True)
class IrcMessage:
    """One message of a log.

    Attributes:
        chat: The chat (the log's name).
        line: The line number in the log (1-based).
        seconds: Seconds since the log's first line (see the module docstring).
        nick: Who wrote it.
        text: The text as written (an action reads ``nick text``).
        action: Whether it was an IRC ``/me`` action.
        bot: Whether a channel bot wrote it.
        addressee: The nick the message is addressed to by a leading ``nick:`` or ``nick,``,
            if that nick spoke in the log.

    """

    chat: str
    line: int
    seconds: float
    nick: str
    text: str
    action: bool = False
    bot: bool = False
    addressee: str | None = None

    @property
    def bare_text(self) -> str:
        """The text without its addressing prefix."""
        if self.addressee is None:
            return self.text
        found = _ADDRESS.match(self.text)
        return self.text[found.end() :] if found else self.text


@dataclass(frozen=True)
class IrcLog:
    """One parsed log.

    Attributes:
        chat: Its name.
        messages: Its messages, in order.
        skipped: Lines skipped: system lines, unknown shapes and blank messages.

    """

    chat: str
    messages: tuple[IrcMessage, ...]
    skipped: int


def parse_log(lines: Iterable[str], chat: str) -> IrcLog:
    """Parses the lines of one log (see the module docstring)."""
    found: list[tuple[int, int, str, str, bool]] = []  # (line, minute, nick, text, action)
    skipped = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        match = _MESSAGE.fullmatch(line)
        action = match is None
        if match is None:
            match = _ACTION.fullmatch(line)
        if match is None:
            skipped += 1
            continue
        hours, minutes, nick, text = match.groups()
        text = text or ""
        if action:
            text = f"{nick} {text}".rstrip()
        if not text.strip() or int(hours) > 23 or int(minutes) > 59:
            skipped += 1
            continue
        found.append((number, int(hours) * 60 + int(minutes), nick, text, action))
    nicks = {nick.casefold() for _, _, nick, _, _ in found}
    minutes = _absolute_minutes([minute for _, minute, _, _, _ in found])
    messages = []
    first = minutes[0] if minutes else 0
    for (number, _, nick, text, action), minute, offset in zip(
        found, minutes, _offsets(minutes), strict=True
    ):
        address = None if action else _ADDRESS.match(text)
        addressee = address.group(1) if address and address.group(1).casefold() in nicks else None
        messages.append(
            IrcMessage(
                chat=chat,
                line=number,
                seconds=(minute - first) * 60.0 + offset,
                nick=nick,
                text=text,
                action=action,
                bot=BOT_NICKS.fullmatch(nick) is not None,
                addressee=addressee,
            )
        )
    return IrcLog(chat, tuple(messages), skipped)


def _absolute_minutes(minutes: Sequence[int]) -> list[int]:
    """Minutes of the day made monotonic: a clock going backwards starts the next day."""
    out, day, previous = [], 0, None
    for minute in minutes:
        if previous is not None and minute < previous:
            day += 1
        previous = minute
        out.append(day * _DAY + minute)
    return out


def _offsets(minutes: Sequence[int]) -> list[float]:
    """Seconds into its minute for each message: a minute's messages spread evenly over it."""
    out: list[float] = []
    start = 0
    while start < len(minutes):
        end = start
        while end < len(minutes) and minutes[end] == minutes[start]:
            end += 1
        count = end - start
        out.extend(60.0 * (k + 0.5) / count for k in range(count))
        start = end
    return out


def read_logs(directory: Path) -> tuple[IrcLog, ...]:
    """Every ``*.raw.txt`` log of a directory, in name order.

    Raises:
        ValueError: The directory holds no log (the message names it).

    """
    paths = sorted(directory.glob(f"*{LOG_SUFFIX}"))
    if not paths:
        raise ValueError(f"{directory}: no IRC logs (*{LOG_SUFFIX}) here")
    return tuple(
        parse_log(
            path.read_text(encoding="utf-8", errors="replace").splitlines(),
            path.name[: -len(LOG_SUFFIX)],
        )
        for path in paths
    )


def interleave(logs: Sequence[IrcLog]) -> list[IrcMessage]:
    """The messages of every log as one stream, as a bot in all the chats at once sees them.

    The logs come from different days, so each is started at the same moment: the stream is
    ordered by :attr:`IrcMessage.seconds` (ties by log, then line), and every chat keeps its
    own order.
    """
    merged = [m for log in logs for m in log.messages]
    order = {log.chat: i for i, log in enumerate(logs)}
    return sorted(merged, key=lambda m: (m.seconds, order[m.chat], m.line))
