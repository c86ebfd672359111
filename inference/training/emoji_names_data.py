"""Builds ``inference/data/emoji_names.json`` from the CLDR English emoji annotations.

Run once when the CLDR copy changes::

    python -m moodmoji.inference.training.emoji_names_data \
        ../shared/data/cldr_annotations/en/annotations.json

Only characters of the emoji blocks are kept (CLDR also names currency, letters and punctuation;
arrows and symbols of those blocks stay, so "a → b" reads "a :right-pointing arrow: b"); keys are
stored without
U+FE0F and skin-tone modifiers, the way :mod:`inference.emoji_names` looks them up.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from moodmoji.inference.emoji_names import NAMES_FILE, emoji_like, normalise_emoji

CLDR_LICENCE = "Unicode License v3 (CLDR 47 annotations, unicode-org/cldr-json)"


def build(annotations: Path) -> dict[str, str]:
    """Emoji sequence -> English CLDR name, emoji only."""
    raw = json.loads(annotations.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for sequence, entry in raw["annotations"]["annotations"].items():
        key = normalise_emoji(sequence)
        tts = entry.get("tts") or []
        if key and tts and emoji_like(key):
            names.setdefault(key, str(tts[0]).lower())
    return dict(sorted(names.items()))


def main() -> None:
    """Writes the names file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("annotations", type=Path, help="CLDR en/annotations.json")
    parser.add_argument("--out", type=Path, default=NAMES_FILE)
    args = parser.parse_args()
    names = build(args.annotations)
    payload = {"_source": CLDR_LICENCE, "names": names}
    args.out.write_text(json.dumps(payload, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {len(names)} names to {args.out}")


if __name__ == "__main__":
    main()
