"""How the chat's reaction threshold trades reactions against quiet, on a reactions JSONL file.

The model runs once; each ``reaction_threshold`` (the learned trigger's cut) is then scored by
``moodmoji eval reactions``' own code. (That command asks for suggestions, and asked-for
suggestions are not gated by ``suggestion_threshold``, so it is not swept here.) Run::

    python benchmarks/reaction_thresholds.py data/response/dev.jsonl [--model DIR]

The default thresholds in ``bot/chat_settings.py`` were chosen with it on the dev split.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.config import load_config
from moodmoji.bot.core import MoodBot
from moodmoji.bot.messages import Platform
from moodmoji.tools.reaction_eval import evaluate_reactions, read_rows


def main() -> None:
    """Prints one line of figures per threshold."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=Path)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--platform", default="discord")
    args = parser.parse_args()
    rows = read_rows(args.rows)
    base = MoodBot.from_config(load_config(None), model=args.model, keep_state=False)
    analyses = base.analyzer.analyze([row.text for row in rows])
    platform = Platform(args.platform)
    print("reaction_threshold: top1 coverage abstain_ok_rate playful_on_sad")
    for cut in (0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        bot = replace_defaults(base, ChatSettings(reaction_threshold=cut))
        s = evaluate_reactions(bot, rows, platform, analyses=analyses)
        print(
            f"  {cut:.2f}: {s.top1:.3f} {s.coverage:.3f} {s.abstain_ok_rate:.3f} {s.playful_on_sad}"
        )


def replace_defaults(bot: MoodBot, defaults: ChatSettings) -> MoodBot:
    """The same bot parts with other default chat settings."""
    return MoodBot(bot.analyzer, bot.suggester, bot.policy, bot.rules, defaults)


if __name__ == "__main__":
    main()
