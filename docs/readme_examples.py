"""Prints the README's table of example messages with the shipped model's decisions.

Each message is decided as an explicit request on Discord (its reaction rules apply, pacing
does not), with suggestions asked for. Run::

    python docs/readme_examples.py
"""

from __future__ import annotations

from moodmoji.bot.config import load_config
from moodmoji.bot.core import MoodBot
from moodmoji.bot.messages import IncomingMessage, Platform

MESSAGES = (
    "we're having twins!!! I'm literally crying 😭",
    "exam tomorrow and I haven't slept, so nervous",
    "gg ez, carried the whole team 😎",
    "fantastic, the build broke again on a Friday",
    "my grandma passed away last night",
    "made pizza from scratch for the first time 🍕",
    "meeting moved to 3pm, same room",
    "merged!!! the refactor is finally in",
    "🎄🎄 tree is up!",
    "my cat just knocked my coffee onto my laptop 💀",
    "ok",
    "I GOT THE JOB",
    "¡Ganamos la final! 🏆",
)


def main() -> None:
    """Prints a Markdown table: message, reactions, mood, suggestions."""
    bot = MoodBot.from_config(load_config(None), keep_state=False)
    print("| message | reactions (Discord) | mood | suggestions when asked |")
    print("|---|---|---|---|")
    for number, text in enumerate(MESSAGES):
        message = IncomingMessage(Platform.DISCORD, "readme", str(number), "readme", text)
        decision = bot.decide(message, explicit=True, suggest=True)
        reactions = " ".join(r.emoji for r in decision.reactions) or "(none)"
        mood = decision.moods[0].label if decision.moods else "-"
        replies = "; ".join(f"{s.text} ({s.intent})" for s in decision.suggestions[:2])
        print(f"| {text} | {reactions} | {mood} | {replies or '(none)'} |")


if __name__ == "__main__":
    main()
