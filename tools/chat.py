"""``moodmoji chat``: a terminal chat; every line typed shows its reactions, moods and replies.

Lines starting with ``/`` are commands: ``/why`` explains the last message's decision,
``/platform NAME`` switches between generic, discord and telegram, ``/help`` lists the commands
and ``/quit`` (or end of input) leaves. Nothing typed is stored or logged.

At a terminal, lines are read with the standard library's ``readline``: the arrow keys edit
the line and walk through this session's history (kept in memory only, never written to a
file, as it holds what was typed).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO

from moodmoji.bot.core import MoodBot
from moodmoji.bot.decision import Decision
from moodmoji.bot.messages import IncomingMessage, Platform

logger = logging.getLogger(__name__)

__all__ = ["format_decision", "run_chat", "terminal_lines"]

HELP = (
    "Type a message and press Enter. Commands: /why (explain the last decision), "
    "/platform generic|discord|telegram, /help, /quit."
)


def format_decision(decision: Decision) -> list[str]:
    """The lines shown for one message.

    Under the reactions, ``gate`` shows the value compared with the reaction threshold (the
    learned probability that a reader would react, or the best candidate's confidence) and
    whether it passed; a reaction's own candidate score is in ``/why``.
    """
    reactions = " ".join(r.emoji for r in decision.reactions) or "(none)"
    moods = ", ".join(f"{m.label} {m.score:.0%}" for m in decision.moods[:3] if m.score >= 0.05)
    emotions = ", ".join(f"{e.label} {e.score:.2f}" for e in decision.emotions) or "(none)"
    lines = [f"  reactions:   {reactions}"]
    if decision.gate is not None:  # the value the reaction threshold was compared with
        lines.append(f"  gate:        {decision.gate.describe()}")
    lines += [
        f"  moods:       {moods or '(none)'}",
        f"  emotions:    {emotions}",
    ]
    if decision.suggestions:
        lines.append("  suggestions:")
        lines.extend(f"    - {s.text}  [{s.intent}]" for s in decision.suggestions)
    else:
        lines.append("  suggestions: (none)")
    return lines


def terminal_lines(prompt: Callable[[], str]) -> Iterator[str]:
    """Lines typed at a terminal, with line editing and in-memory history, until end of input.

    Args:
        prompt: Called before each line for the prompt to show (it may change between lines).
    """
    with contextlib.suppress(ImportError):  # not on every platform; input() still works
        import readline  # noqa: F401  (importing it gives input() editing and history)
    while True:
        try:
            yield input(prompt())
        except EOFError:
            return


def run_chat(
    bot: MoodBot,
    lines: Iterable[str] | None,
    out: TextIO,
    *,
    platform: Platform = Platform.GENERIC,
    prompt: bool = True,
) -> int:
    """Runs the chat loop until ``/quit`` or the end of ``lines``.

    Args:
        bot: The bot.
        lines: Input lines (a file or pipe); ``None`` reads the terminal with line editing
            and history (:func:`terminal_lines`), which shows the prompt itself.
        out: Where to print.
        platform: The platform whose reaction rules apply at first.
        prompt: Whether to print a ``you>`` prompt (off when input is not a terminal).

    Returns:
        The number of messages analysed.

    """
    last: Decision | None = None
    count = 0
    at_terminal = lines is None
    if lines is None:
        lines = terminal_lines(lambda: f"you ({platform})> ")
        prompt = False

    def show_prompt() -> None:
        if prompt:
            out.write(f"you ({platform})> ")
            out.flush()

    out.write(HELP + "\n")
    show_prompt()
    for raw in lines:
        text = raw.rstrip("\r\n")
        command = text.strip()
        if command in ("/quit", "/exit"):
            break
        if command == "/help":
            out.write(HELP + "\n")
        elif command == "/why":
            explanation = last.why.lines() if last else ["nothing said yet"]
            out.write("\n".join(f"  {line}" for line in explanation) + "\n")
        elif command.startswith("/platform"):
            name = command.removeprefix("/platform").strip()
            if name in bot.platforms:
                platform = Platform(name)
                out.write(f"  now on {platform}\n")
            else:
                out.write(f"  platforms: {', '.join(bot.platforms)}\n")
        elif command:
            count += 1
            message = IncomingMessage(platform, "console", str(count), "console", text)
            last = bot.decide(message, explicit=True)
            out.write("\n".join(format_decision(last)) + "\n")
        show_prompt()
    if prompt or at_terminal:
        out.write("\n")
    return count
