"""The texts the bot answers its commands with, the same on every platform.

Plain text without markup, so each adapter may send it as it is (Telegram without a parse mode,
Discord as message content). No function here ever receives the message text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from moodmoji.bot.chats import DeletionReport
from moodmoji.bot.decision import Decision

__all__ = [
    "FORGET_USER_NOTE",
    "OPT_IN",
    "OPT_OUT_CHAT",
    "OPT_OUT_USER",
    "forget_text",
    "mood_counts_text",
    "mood_text",
    "why_text",
]

OPT_OUT_USER = (
    "Done: moodmoji will not read or react to your messages any more, in any chat on this "
    "platform. /optin undoes it."
)
OPT_OUT_CHAT = "Done: moodmoji stays out of this chat. /optin undoes it."
OPT_IN = "Welcome back: moodmoji reads your messages again (it never stores their text)."
FORGET_USER_NOTE = (
    "Your opt-out was deleted too, because it was the only thing kept about you; "
    "send /optout again if you want moodmoji to keep away."
)


def mood_text(decision: Decision, *, limit: int = 3) -> str:
    """One line of a message's moods and fine emotions, e.g. ``joy 87%, love 9% · excitement``."""
    if decision.skipped:
        return _skipped(decision)
    moods = ", ".join(f"{m.label} {m.score:.0%}" for m in decision.moods[:limit] if m.score >= 0.05)
    emotions = ", ".join(e.label for e in decision.emotions[:limit])
    line = f"Mood: {moods or 'unclear'}"
    return f"{line} · {emotions}" if emotions else line


def why_text(decision: Decision, *, remembered: bool) -> str:
    """Explains a decision: what the bot did (or would do) and each rule that took part.

    Args:
        decision: The decision.
        remembered: ``True`` when this is the decision taken when the message arrived;
            ``False`` when it was worked out again just now (cooldowns then do not apply).

    """
    if decision.skipped:
        return _skipped(decision)
    head = "When this message arrived:" if remembered else "Looking at this message now:"
    reactions = " ".join(r.emoji for r in decision.reactions)
    lines = [head, f"reaction: {reactions or 'none'}", mood_text(decision)]
    lines.extend(decision.why.lines())
    return "\n".join(lines)


def mood_counts_text(counts: Mapping[str, Mapping[str, int]], *, days: int) -> str:
    """A chat's mood mix over recent days, from :meth:`bot.chats.Chats.mood_stats`.

    Args:
        counts: ``{'YYYY-MM-DD': {mood: count}}``.
        days: How many days the counts cover (for the heading).

    """
    total: Counter[str] = Counter()
    for per_day in counts.values():
        total.update(per_day)
    messages = sum(total.values())
    span = "today" if days <= 1 else f"the last {days} days"
    if not messages:
        return f"No moods counted in this chat over {span}."
    lines = [f"Mood of this chat over {span} ({messages} messages):"]
    for mood, count in total.most_common():
        share = count / messages
        bar = "█" * max(1, round(share * 20))
        lines.append(f"{mood:<9} {bar} {share:.0%}")
    return "\n".join(lines)


def forget_text(report: DeletionReport, *, user: bool) -> str:
    """The answer to ``/forgetme``: what was deleted (for a user: that the opt-out went too)."""
    if report.total == 0:
        done = "Nothing was stored about you." if user else "Nothing was stored about this chat."
    else:
        parts = [
            f"{report.chats} chat setting(s)" if report.chats else "",
            f"{report.opt_outs} opt-out(s)" if report.opt_outs else "",
            f"{report.mood_rows} daily mood count(s)" if report.mood_rows else "",
        ]
        done = "Deleted " + ", ".join(p for p in parts if p) + "."
    if user and report.opt_outs:
        return f"{done} {FORGET_USER_NOTE}"
    return done


def _skipped(decision: Decision) -> str:
    steps = decision.why.steps
    return steps[0].detail.capitalize() + "." if steps else "This message was not analysed."
