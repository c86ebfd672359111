"""How often the bot would react or suggest, and how often wrongly, on labelled messages.

Runs the reaction policy (sensitivity, confidence gate, platform constraints; no pacing) over a
GoEmotions split at several thresholds and compares each chosen reaction with the human labels,
mapped to coarse moods:

* ``react``: share of messages that get a reaction;
* ``agree``: the reaction's moods (from the emoji vocabulary) include a gold mood;
* ``topical``: a topical emoji without moods (🍕, 🦷), no mood claim to check;
* ``clash``: a joy/love-only reaction on a message whose gold moods are all negative, or a
  sadness/anger/fear/disgust-only reaction on one whose gold moods are all joy/love;
* ``playful_on_somber``: a playful emoji on a message labelled grief, sadness, fear,
  nervousness, remorse, disappointment or embarrassment (should be 0).

Shares of ``agree``, ``topical`` and ``clash`` are of the reacted messages.

Suggestions are audited once, at the shipped ``suggestion_threshold``:

* ``suggest``: share of messages that get at least one suggestion;
* ``cheerful_on_somber``: a congratulate/celebrate/laugh/tease/compliment reply on a message
  labelled with a somber emotion (as above);
* ``condolence_on_happy``: a sympathize/comfort/validate/reassure reply on a message whose gold
  moods are joy or love only.

Usage: ``python benchmarks/decision_audit.py [--data PATH] [--platform telegram] [--model DIR]``
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.core import default_rules, read
from moodmoji.bot.messages import Platform
from moodmoji.bot.policy import ReactionPolicy
from moodmoji.bot.suggestions import CHEERFUL_INTENTS, CONDOLENCE_INTENTS, ReplyBank, Suggester
from moodmoji.inference.analyzer import Analysis, Analyzer
from moodmoji.inference.datasets import GOEMOTIONS_LABELS, Example, read_dataset
from moodmoji.inference.default_model import resolve_model_dir
from moodmoji.inference.export.labels import mood_map
from moodmoji.inference.vocabulary import SOMBER_LABELS, EmojiVocabulary, Tone

POSITIVE = {"joy", "love"}
NEGATIVE = {"sadness", "anger", "fear", "disgust"}
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "goemotions" / "dev.tsv"


def main() -> None:
    """Prints one table row and one JSON line per threshold."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--platform", choices=[str(p) for p in default_rules()], default="generic")
    parser.add_argument("--thresholds", default="0.4,0.45,0.5,0.55,0.6,0.65,0.7")
    args = parser.parse_args()

    dataset = read_dataset("goemotions", args.data)
    analyzer = Analyzer.from_path(resolve_model_dir(args.model))
    vocabulary = EmojiVocabulary.load()
    policy = ReactionPolicy(vocabulary)
    rules = default_rules()[Platform(args.platform)]
    moods_of = mood_map(GOEMOTIONS_LABELS)
    texts = [e.text for e in dataset.examples]
    analyses = []
    for start in range(0, len(texts), 64):
        analyses.extend(analyzer.analyze(texts[start : start + 64]))

    print(f"{len(texts)} messages of {args.data.name}, platform {args.platform}")
    columns = ("react", "agree", "topical", "clash")
    print(f"{'threshold':>9} " + " ".join(f"{c:>7}" for c in columns) + " playful_on_somber")
    for threshold in (float(t) for t in args.thresholds.split(",")):
        counts: Counter[str] = Counter()
        for example, analysis in zip(dataset.examples, analyses, strict=True):
            gold_labels = {GOEMOTIONS_LABELS[i] for i in example.labels}
            gold = {moods_of[label] for label in gold_labels if label in moods_of}
            reading = read(example.text, analysis)
            reactions, _ = policy.choose(
                reading.candidates,
                reading.sensitivity,
                threshold,
                rules,
                mood=analysis.mood,
            )
            if not reactions:
                continue
            counts["react"] += 1
            entry = vocabulary.get(reactions[0].stands_for or reactions[0].emoji)
            claimed = set(entry.moods) if entry else set()
            if not claimed:
                counts["topical"] += 1
            elif claimed & gold:
                counts["agree"] += 1
            emotional_gold = gold - {"neutral", "surprise"}
            if claimed and claimed <= POSITIVE and emotional_gold and emotional_gold <= NEGATIVE:
                counts["clash"] += 1
            if claimed and claimed <= NEGATIVE and emotional_gold and emotional_gold <= POSITIVE:
                counts["clash"] += 1
            sent = vocabulary.get(reactions[0].emoji)
            if gold_labels & SOMBER_LABELS and sent is not None and sent.tone is Tone.PLAYFUL:
                counts["playful_on_somber"] += 1
        reacted = max(counts["react"], 1)
        row = {
            "threshold": threshold,
            "react": round(counts["react"] / len(texts), 4),
            "agree": round(counts["agree"] / reacted, 4),
            "topical": round(counts["topical"] / reacted, 4),
            "clash": round(counts["clash"] / reacted, 4),
            "playful_on_somber": counts["playful_on_somber"],
        }
        shares = " ".join(f"{row[c]:>7.1%}" for c in columns)
        print(f"{threshold:>9g} {shares} {row['playful_on_somber']:>17d}")
        print(json.dumps({"platform": args.platform, **row}))
    audit_suggestions(
        dataset.examples, analyses, Suggester.from_embedder(ReplyBank.load(), analyzer.embed)
    )


def audit_suggestions(
    examples: Sequence[Example], analyses: Sequence[Analysis], suggester: Suggester
) -> None:
    """Prints the suggestion trigger rate and the inappropriate-reply counts."""
    settings = ChatSettings()
    moods_of = mood_map(GOEMOTIONS_LABELS)
    counts: Counter[str] = Counter()
    for example, analysis in zip(examples, analyses, strict=True):
        gold_labels = {GOEMOTIONS_LABELS[i] for i in example.labels}
        gold = {moods_of[label] for label in gold_labels if label in moods_of}
        reading = read(example.text, analysis)
        suggestions, _, _ = suggester.suggest(
            reading.moods,
            analysis.embedding,
            reading.sensitivity,
            threshold=settings.suggestion_threshold,
            limit=settings.max_suggestions,
        )
        if not suggestions:
            continue
        counts["suggest"] += 1
        counts["replies"] += len(suggestions)
        intents = {s.intent for s in suggestions}
        if gold_labels & SOMBER_LABELS and intents & CHEERFUL_INTENTS:
            counts["cheerful_on_somber"] += 1
        if gold and gold <= POSITIVE and intents & CONDOLENCE_INTENTS:
            counts["condolence_on_happy"] += 1
    row = {
        "suggestion_threshold": settings.suggestion_threshold,
        "suggest": round(counts["suggest"] / len(examples), 4),
        "replies_per_suggesting_message": round(counts["replies"] / max(counts["suggest"], 1), 2),
        "cheerful_on_somber": counts["cheerful_on_somber"],
        "condolence_on_happy": counts["condolence_on_happy"],
    }
    print(
        f"suggestions at {settings.suggestion_threshold:g}: {row['suggest']:.1%} of messages, "
        f"{row['replies_per_suggesting_message']} replies each; cheerful on somber "
        f"{row['cheerful_on_somber']}, condolence on happy {row['condolence_on_happy']}"
    )
    print(json.dumps(row))


if __name__ == "__main__":
    main()
