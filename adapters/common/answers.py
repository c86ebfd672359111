"""The texts the bot answers its commands with, the same on every platform.

Plain text without markup, so each adapter may send it as it is (Telegram without a parse mode,
Discord as message content). Each function takes the user's :class:`~adapters.common.i18n.Catalogue`
(``tx``, English by default); the constants are the English texts. No function here ever
receives the message text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from moodmoji.adapters.common.i18n import DEFAULT_LANGUAGE, Catalogue, texts_for
from moodmoji.bot.chats import DeletionReport
from moodmoji.bot.decision import Decision

__all__ = [
    "ENGLISH",
    "FORGET_USER_NOTE",
    "OPT_IN",
    "OPT_OUT_CHAT",
    "OPT_OUT_USER",
    "forget_text",
    "mood_counts_text",
    "mood_text",
    "skip_reason",
    "why_text",
]

#: The English catalogue: the source of every text.
ENGLISH = texts_for(DEFAULT_LANGUAGE)

OPT_OUT_USER = ENGLISH.template("common.opt_out_user")
OPT_OUT_CHAT = ENGLISH.template("common.opt_out_chat")
OPT_IN = ENGLISH.template("common.opt_in")
FORGET_USER_NOTE = ENGLISH.template("common.forget_user_note")

#: Labels are padded to this width at least in ``/mood``'s bars (``neutral`` + 2).
_LABEL_WIDTH = 9


def mood_text(decision: Decision, *, limit: int = 3, tx: Catalogue = ENGLISH) -> str:
    """One line of a message's moods and fine emotions: ``Mood: joy 87%, love 9% · excitement``."""
    if decision.skipped:
        return _sentence(skip_reason(decision, tx=tx))
    moods = ", ".join(
        f"{tx.label(m.label)} {tx.percent(m.score)}"
        for m in decision.moods[:limit]
        if m.score >= 0.05
    )
    emotions = ", ".join(tx.label(e.label) for e in decision.emotions[:limit])
    line = tx.text("common.mood", moods=moods or tx.text("common.mood_unclear"))
    return f"{line} · {emotions}" if emotions else line


def why_text(decision: Decision, *, remembered: bool, tx: Catalogue = ENGLISH) -> str:
    """Explains a decision: what the bot did (or would do) and each rule that took part.

    The rules' own lines (``rule: detail``) come from the core and stay in English; the rest
    is in ``tx``'s language.

    Args:
        decision: The decision.
        remembered: ``True`` when this is the decision taken when the message arrived;
            ``False`` when it was worked out again just now (cooldowns then do not apply).
        tx: The user's catalogue.

    """
    if decision.skipped:
        return _sentence(skip_reason(decision, tx=tx))
    head = tx.text("common.why_remembered" if remembered else "common.why_now")
    reactions = " ".join(r.emoji for r in decision.reactions)
    lines = [
        head,
        tx.text("common.why_reaction", reactions=reactions or tx.text("common.none")),
        mood_text(decision, tx=tx),
    ]
    why = decision.why
    if why.candidates:
        ranked = ", ".join(f"{c.emoji} {c.score:.2f}" for c in why.candidates)
        lines.append(tx.text("common.why_candidates", candidates=ranked))
    else:
        lines.append(tx.text("common.why_no_candidates"))
    if why.thresholds:
        shown = ", ".join(f"{k} {v:g}" for k, v in why.thresholds.items())
        lines.append(tx.text("common.why_thresholds", thresholds=shown))
    lines.extend(f"{step.rule}: {step.detail}" for step in why.steps)
    return "\n".join(lines)


def mood_counts_text(
    counts: Mapping[str, Mapping[str, int]], *, days: int, tx: Catalogue = ENGLISH
) -> str:
    """A chat's mood mix over recent days, from :meth:`bot.chats.Chats.mood_stats`.

    Args:
        counts: ``{'YYYY-MM-DD': {mood: count}}``.
        days: How many days the counts cover (for the heading).
        tx: The user's catalogue.

    """
    total: Counter[str] = Counter()
    for per_day in counts.values():
        total.update(per_day)
    messages = sum(total.values())
    if not messages:
        if days <= 1:
            return tx.text("common.no_moods_today")
        return tx.plural("common.no_moods_days", days)
    counted = tx.plural("common.messages", messages)
    if days <= 1:
        lines = [tx.text("common.mood_counts_today", messages=counted)]
    else:
        lines = [tx.plural("common.mood_counts_days", days, messages=counted)]
    ranked = [(tx.label(mood), count) for mood, count in total.most_common()]
    width = max(_LABEL_WIDTH, *(len(label) + 1 for label, _ in ranked))
    for label, count in ranked:
        share = count / messages
        bar = "█" * max(1, round(share * 20))
        lines.append(f"{label:<{width}} {bar} {tx.percent(share)}")
    return "\n".join(lines)


def forget_text(report: DeletionReport, *, user: bool, tx: Catalogue = ENGLISH) -> str:
    """The answer to ``/forgetme``: what was deleted (for a user: that the opt-out went too)."""
    if report.total == 0:
        return tx.text("common.forget_nothing_user" if user else "common.forget_nothing_chat")
    parts = [
        tx.plural(key, count)
        for key, count in (
            ("common.chat_settings", report.chats),
            ("common.opt_outs", report.opt_outs),
            ("common.mood_counts", report.mood_rows),
        )
        if count
    ]
    done = tx.text("common.forget_deleted", items=", ".join(parts))
    if user and report.opt_outs:
        return f"{done} {tx.text('common.forget_user_note')}"
    return done


def skip_reason(decision: Decision, *, tx: Catalogue = ENGLISH) -> str:
    """Why a message was not analysed, as a clause (``the author opted out; ...``).

    In English it is the core's own words; in another language, the catalogue's text for the
    rule that skipped it (the core's English words for a rule the catalogue does not know).
    """
    steps = decision.why.steps
    if not steps:
        return tx.text("skip.unknown")
    step = next((s for s in steps if s.rule == decision.skipped), steps[0])
    if tx.language == DEFAULT_LANGUAGE:
        return step.detail
    rule = step.rule
    if rule == "opt-out" and step.detail.startswith("this chat"):
        rule = "opt-out-chat"
    key = f"skip.{rule}"
    return tx.text(key) if key in ENGLISH.messages else step.detail


def _sentence(clause: str) -> str:
    """``clause`` with a capital first letter and a full stop."""
    return clause[:1].upper() + clause[1:] + "."
