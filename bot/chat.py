"""``moodmoji chat``: a terminal chat; every line typed shows its reactions, moods and replies.

Lines starting with ``/`` are commands: ``/why`` explains the last message's decision,
``/platform NAME`` switches between generic, discord and telegram, ``/help`` lists the commands
and ``/quit`` (or end of input) leaves. Nothing typed is stored or logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TextIO

from bot.core import MoodBot
from bot.decision import Decision
from bot.messages import IncomingMessage, Platform

logger = logging.getLogger(__name__)

__all__ = ["format_decision", "run_chat"]

HELP = (
    "Type a message and press Enter. Commands: /why (explain the last decision), "
    "/platform generic|discord|telegram, /help, /quit."
)


def format_decision(decision: Decision) -> list[str]:
    """The lines shown for one message."""
    reactions = " ".join(r.emoji for r in decision.reactions) or "(none)"
    moods = ", ".join(f"{m.label} {m.score:.0%}" for m in decision.moods[:3] if m.score >= 0.05)
    emotions = ", ".join(f"{e.label} {e.score:.2f}" for e in decision.emotions) or "(none)"
    lines = [
        f"  reactions:   {reactions}",
        f"  moods:       {moods or '(none)'}",
        f"  emotions:    {emotions}",
    ]
    if decision.suggestions:
        lines.append("  suggestions:")
        lines.extend(f"    - {s.text}  [{s.intent}]" for s in decision.suggestions)
    else:
        lines.append("  suggestions: (none)")
    return lines


def run_chat(
    bot: MoodBot,
    lines: Iterable[str],
    out: TextIO,
    *,
    platform: Platform = Platform.GENERIC,
    prompt: bool = True,
) -> int:
    """Runs the chat loop until ``/quit`` or the end of ``lines``.

    Args:
        bot: The bot.
        lines: Input lines (``sys.stdin`` for a terminal).
        out: Where to print.
        platform: The platform whose reaction rules apply at first.
        prompt: Whether to print a ``you>`` prompt (off when input is not a terminal).

    Returns:
        The number of messages analysed.

    """
    last: Decision | None = None
    count = 0

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
            try:
                platform = Platform(name)
            except ValueError:
                out.write("  platforms: generic, discord, telegram\n")
            else:
                out.write(f"  now on {platform}\n")
        elif command:
            count += 1
            message = IncomingMessage(platform, "console", str(count), "console", text)
            last = bot.decide(message, explicit=True)
            out.write("\n".join(format_decision(last)) + "\n")
        show_prompt()
    if prompt:
        out.write("\n")
    return count
