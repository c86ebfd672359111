"""Emoji the encoder can read: each emoji in a text is replaced by its CLDR English name.

The MiniLM WordPiece vocabulary maps nearly every emoji to ``[UNK]``, so ``"😂😂 I can't
even"`` reached the model as ``[UNK] [UNK] i can ' t even``. A bundle whose manifest lists the
``emoji-names`` text step gets ``":face with tears of joy: :face with tears of joy: I can't
even"`` instead, at training and at inference alike (the same function runs in both).

Rules:

* Sequences are matched longest first, ignoring U+FE0F and skin-tone modifiers, so ``❤️`` and
  ``❤`` and ``👍🏽`` and ``👍`` read the same.
* A run of the same emoji is named at most :data:`MAX_REPEAT` times ("😂😂😂😂" and "😂😂" read
  alike: the repetition says "a lot", its exact count says little).
* Flags read ``:flag:``; an emoji-like character without a name is left as it is.
* Text without any emoji-like character is returned unchanged (the common case costs one scan).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

NAMES_FILE = Path(__file__).resolve().parent / "data" / "emoji_names.json"
EMOJI_NAMES_STEP = "emoji-names"
MAX_REPEAT = 2

_VARIATION = "\ufe0f"
_ZWJ = "\u200d"
_SKIN_TONES = re.compile("[\U0001f3fb-\U0001f3ff]")
# Emoji live in these blocks (symbols, dingbats, arrows, pictographs, regional indicators).
_EMOJI_CHAR = "\u2190-\u2bff\u3030\u303d\u3297\u3299\U0001f000-\U0001faff"
_HAS_EMOJI = re.compile(f"[{_EMOJI_CHAR}]")
_FLAG = re.compile("[\U0001f1e6-\U0001f1ff]{2}")
# A run of emoji characters with the joiners and keycap marks that build sequences.
_CLUSTER = re.compile(
    f"[{_EMOJI_CHAR}\u200d\u20e3#*0-9]*[{_EMOJI_CHAR}][{_EMOJI_CHAR}\u200d\u20e3]*"
)


def normalise_emoji(sequence: str) -> str:
    """An emoji sequence without U+FE0F and skin-tone modifiers."""
    return _SKIN_TONES.sub("", sequence.replace(_VARIATION, ""))


def emoji_like(text: str) -> bool:
    """Whether ``text`` holds a character from the emoji blocks."""
    return _HAS_EMOJI.search(text) is not None


class EmojiNamer:
    """Replaces emoji in text by ``:name:``.

    Args:
        names: Normalised emoji sequence -> name (see :func:`normalise_emoji`).
    """

    def __init__(self, names: dict[str, str]) -> None:
        self.names = dict(names)
        self._longest = max((len(k) for k in self.names), default=1)

    @classmethod
    def load(cls, path: Path = NAMES_FILE) -> EmojiNamer:
        """Reads the names file shipped with the package."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(dict(raw["names"]))

    def name(self, emoji: str) -> str | None:
        """The name of one emoji, or ``None``."""
        return self.names.get(normalise_emoji(emoji))

    def __call__(self, text: str) -> str:
        """Returns ``text`` with every known emoji replaced by its name."""
        if not emoji_like(text):
            return text
        plain = normalise_emoji(text)
        pieces: list[str] = []
        last = 0
        previous: str | None = None
        repeat = 0
        for cluster in _CLUSTER.finditer(plain):
            if plain[last : cluster.start()].strip():
                previous, repeat = None, 0
            pieces.append(plain[last : cluster.start()])
            for token, name in self._split(cluster.group(0)):
                if name is None:
                    pieces.append("" if token == _ZWJ else token)
                    previous, repeat = None, 0
                    continue
                repeat = repeat + 1 if token == previous else 1
                previous = token
                if repeat <= MAX_REPEAT:
                    pieces.append(f" :{name}: ")
            last = cluster.end()
        pieces.append(plain[last:])
        return " ".join("".join(pieces).split())

    def _split(self, cluster: str) -> list[tuple[str, str | None]]:
        """Greedy longest-first matching inside a run of emoji characters."""
        out: list[tuple[str, str | None]] = []
        i = 0
        while i < len(cluster):
            if _FLAG.match(cluster, i):
                out.append((cluster[i : i + 2], "flag"))
                i += 2
                continue
            for size in range(min(self._longest, len(cluster) - i), 0, -1):
                name = self.names.get(cluster[i : i + size])
                if name is not None:
                    out.append((cluster[i : i + size], name))
                    i += size
                    break
            else:
                out.append((cluster[i], None))
                i += 1
        return out


@lru_cache(maxsize=1)
def default_namer() -> EmojiNamer:
    """The shared namer over the packaged names file."""
    return EmojiNamer.load()


def spell_emoji(text: str) -> str:
    """Replaces emoji in ``text`` by their English names (see the module docstring)."""
    return default_namer()(text)
