"""Language identification of one chat message.

:func:`detect` names the language of a message with an ISO 639-1 code (``"ru"``), or says
``"und"`` when it should not guess: the message is empty, emoji only, has no words (links,
numbers, symbols), is too short to tell, or the model is unsure. A wrong language costs more than
none (a reply in the wrong language, a chat counted under the wrong one), so the guards prefer
``und``. Every threshold below was chosen by ``benchmarks/language_id.py``; the numbers and the
choice of library are in ``docs/languages.md``.

How:

1. The text is cleaned like any model input (:func:`inference.hygiene.clean_text`) and cut to
   :data:`READ_CHARS`; links, e-mail addresses, mentions, custom emoji, ``:shortcodes:``,
   hashtags, emoji, digits and symbols are taken out (:func:`strip_non_language`), which leaves
   letters, combining marks, apostrophes and spaces.
2. The script of most letters (:func:`script_of`) names the language outright where only one of
   :data:`LANGUAGES` is written in it (Hangul: ``ko``, kana: ``ja``, Thai: ``th``, Hebrew:
   ``he``) and narrows the candidates otherwise (Cyrillic: ``ru`` or ``uk``; Latin: 13 of them).
3. py3langid (a numpy port of langid.py whose model ships inside the wheel) scores every
   language it knows. The best of the script's candidates is named, with its probability among
   them, unless a language outside :data:`LANGUAGES` is clearly ahead over all of py3langid's
   languages (Afrikaans is not Dutch, Tatar is not Russian): then that one is named (an ISO 639-1
   code where one exists, else py3langid's ISO 639-3 code).

Too few letters for the script (:data:`MIN_LETTERS`) give ``und`` with the reason ``too
short``; a probability under the script's :data:`MIN_CONFIDENCE` gives ``low confidence``.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from moodmoji.inference.emoji_names import emoji_like
from moodmoji.inference.hygiene import clean_text
from moodmoji.inference.langid_model import load_identifier

__all__ = [
    "LANGUAGES",
    "NOT_READ",
    "UNDETERMINED",
    "LanguageGuess",
    "detect",
    "letters",
    "script_of",
    "strip_non_language",
]

logger = logging.getLogger(__name__)

UNDETERMINED = "und"

# The candidate set: the languages moodmoji's chats are expected in (ISO 639-1).
LANGUAGES: tuple[str, ...] = (
    "ar", "de", "en", "es", "fa", "fr", "he", "hi", "id", "it", "ja", "ko",
    "nl", "pl", "pt", "ro", "ru", "sv", "th", "tr", "uk", "vi", "zh",
)  # fmt: skip

# Fewest letters to guess from, by script ("default" for the rest).
MIN_LETTERS: dict[str, int] = {
    "default": 4,
    "han": 2,
    "hangul": 2,
    "kana": 2,
    "thai": 2,
    "hebrew": 2,
    "devanagari": 2,
}
# Lowest probability among the script's candidates to name a language ("default" for the rest,
# including a language outside LANGUAGES). Two close candidates (ru/uk, ar/fa, zh/ja written in
# Han alone) need more than thirteen distinct ones.
MIN_CONFIDENCE: dict[str, float] = {
    "default": 0.6,
    "cyrillic": 0.8,
    "arabic": 0.9,
    "han": 0.95,
}
# A language outside LANGUAGES is named, instead of the best of the script's candidates, when
# py3langid gives it at least this probability over all of its languages.
OTHER_CONFIDENCE = 0.8
# The language is clear well before this many characters; the rest is not read.
READ_CHARS = 400

# py3langid's dialect and variety labels, folded into their language.
_ALIASES = {"ary": "ar", "arz": "ar", "yue": "zh", "wuu": "zh"}
# py3langid's label for "no linguistic content".
_NO_LANGUAGE = "zxx"

# A script only one of LANGUAGES is written in names the language outright.
_SCRIPT_LANGUAGE = {"hangul": "ko", "kana": "ja", "thai": "th", "hebrew": "he"}
# The candidates the model chooses among, by script; other scripts (Greek, Georgian, Ethiopic
# ...) take py3langid's best language over all it knows.
_SCRIPT_CANDIDATES: dict[str, tuple[str, ...]] = {
    "latin": ("de", "en", "es", "fr", "id", "it", "nl", "pl", "pt", "ro", "sv", "tr", "vi"),
    "cyrillic": ("ru", "uk"),
    "arabic": ("ar", "fa"),
    "devanagari": ("hi",),
    "han": ("zh", "ja"),
}
# Letters that only one of a script's candidates uses: when the text has one candidate's and no
# other's, they settle the language (right in 1,838 of the 1,839 test texts where they did).
_MARKERS: dict[str, dict[str, str]] = {
    "cyrillic": {"uk": "іїєґІЇЄҐ", "ru": "ыэъёЫЭЪЁ"},
    "arabic": {"fa": "پچژگیک", "ar": "ةيكى"},
}
# Scripts by code point range (first, last, script); other letters are "other".
_RANGES = (
    (0x0041, 0x024F, "latin"),
    (0x0370, 0x03FF, "greek"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0530, 0x058F, "armenian"),
    (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x08A0, 0x08FF, "arabic"),
    (0x0900, 0x097F, "devanagari"),
    (0x0E00, 0x0E7F, "thai"),
    (0x10A0, 0x10FF, "georgian"),
    (0x1100, 0x11FF, "hangul"),
    (0x1E00, 0x1EFF, "latin"),
    (0x1F00, 0x1FFF, "greek"),
    (0x3040, 0x30FF, "kana"),
    (0x3130, 0x318F, "hangul"),
    (0x31F0, 0x31FF, "kana"),
    (0x3400, 0x4DBF, "han"),
    (0x4E00, 0x9FFF, "han"),
    (0xA960, 0xA97F, "hangul"),
    (0xAC00, 0xD7FF, "hangul"),
    (0xF900, 0xFAFF, "han"),
    (0xFB1D, 0xFB4F, "hebrew"),
    (0xFB50, 0xFDFF, "arabic"),
    (0xFE70, 0xFEFF, "arabic"),
    (0xFF21, 0xFF5A, "latin"),
    (0xFF66, 0xFFDC, "kana"),
    (0x20000, 0x3FFFF, "han"),
)

_LINK = re.compile(
    r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.-]+|\S+\.(?:com|org|net|io|ru|de|me|ly)\b",
    re.IGNORECASE,
)
# Discord mentions, roles, channels and custom emoji; @handles; #hashtags; :shortcodes:.
_HANDLES = re.compile(r"<(?:@[!&]?|#|a?:\w+:)\d+>|(?<!\w)[@#]\w+|:[\w+-]+:")
_SPACES = re.compile(r"\s+")


class _CharTable(dict[int, str]):
    """A ``str.translate`` table computed on first sight of each character.

    Letters keep their code point, combining marks and apostrophes too; anything else becomes a
    space. With ``tags``, each kept character becomes one letter naming its script instead
    (marks and apostrophes: ``"m"``), so counting scripts is counting characters.
    """

    LIMIT = 65536  # characters remembered (adversarial input must not grow it without end)

    def __init__(self, tags: bool) -> None:
        super().__init__()
        self.tags = tags

    def __missing__(self, point: int) -> str:
        char = chr(point)
        category = unicodedata.category(char)
        if category[0] == "L":
            value = _TAGS[_script(point)] if self.tags else char
        elif category[0] == "M" or char in "'’":
            value = "m" if self.tags else char
        else:
            value = " "
        if len(self) < self.LIMIT:
            self[point] = value
        return value


_TAGS = {
    name: tag
    for name, tag in zip(
        ("latin", "greek", "cyrillic", "armenian", "hebrew", "arabic", "devanagari", "thai",
         "georgian", "hangul", "kana", "han", "other"),
        "LGCAHRDTEKJZO",
        strict=True,
    )
}  # fmt: skip
_SCRIPTS = {tag: name for name, tag in _TAGS.items()}
_KEEP = _CharTable(tags=False)
_SCRIPT_TAGS = _CharTable(tags=True)


def _script(point: int) -> str:
    for first, last, name in _RANGES:
        if first <= point <= last:
            return name
    return "other"


@dataclass(frozen=True)
class LanguageGuess:
    """The language of one message.

    Attributes:
        code: ISO 639-1 code (``"ru"``; py3langid's ISO 639-3 code for a language without
            one), or ``"und"`` when undetermined.
        confidence: The model's probability of ``code`` among the script's candidates (1.0
            when the script settles it). For ``und``: the best guess's probability when it
            was too unsure, else 0.0.
        reason: Why the code is ``und``: ``"empty"``, ``"emoji only"``, ``"no words"`` (links,
            numbers, symbols), ``"too short"``, ``"low confidence"``, ``"error"``, or ``"not
            read"`` (:data:`NOT_READ`); ``None`` when a language was named.
        script: The script most letters are written in (``"latin"``, ``"cyrillic"``, ``"han"``
            ...; :func:`script_of`), ``None`` when the text has no letters or was not read. An
            undetermined Cyrillic message is still not English, which routing uses.
        likely: For a ``low confidence`` guess, the language it would have named (``"ru"``
            for a short message that may be Ukrainian too); ``None`` otherwise. Never used to
            choose replies, only to pick a language's emotion head when the message is read
            anyway.

    """

    code: str
    confidence: float = 0.0
    reason: str | None = None
    script: str | None = None
    likely: str | None = None

    @property
    def known(self) -> bool:
        """Whether a language was named."""
        return self.code != UNDETERMINED

    def describe(self) -> str:
        """One line for ``why``: ``ru (0.97)`` or ``und (too short)``."""
        if self.known:
            return f"{self.code} ({self.confidence:.2f})"
        return f"{UNDETERMINED} ({self.reason})"


#: The guess of a text that was not read (an analysis made without its text).
NOT_READ = LanguageGuess(UNDETERMINED, 0.0, "not read")


def strip_non_language(text: str) -> str:
    """``text`` without links, mentions, emoji, digits and symbols; words separated by spaces."""
    text = _LINK.sub(" ", text)
    text = _HANDLES.sub(" ", text)
    return _SPACES.sub(" ", text.translate(_KEEP)).strip()


def _counts(text: str) -> dict[str, int]:
    tags = text.translate(_SCRIPT_TAGS)
    return {_SCRIPTS[tag]: n for tag in _SCRIPTS if (n := tags.count(tag))}


def letters(text: str) -> int:
    """How many letters ``text`` has."""
    return sum(_counts(text).values())


def script_of(text: str) -> str:
    """The script most letters of ``text`` are written in (``"none"`` without letters).

    Kana and Han together are Japanese: the kana side takes the Han letters.
    """
    return _dominant(_counts(text))


def _dominant(counts: dict[str, int]) -> str:
    if not counts:
        return "none"
    if "kana" in counts and "han" in counts:
        counts["kana"] += counts.pop("han")
    return max(counts.items(), key=lambda item: item[1])[0]


class _Model:
    """py3langid's model over all of its languages, read as probabilities per language."""

    def __init__(self) -> None:
        self.identifier = load_identifier()
        labels = [_ALIASES.get(str(label), str(label)) for label in self.identifier.nb_classes]
        self.codes = list(dict.fromkeys(labels))
        index = {code: i for i, code in enumerate(self.codes)}
        self.groups = np.array([index[label] for label in labels], dtype=np.intp)
        self.candidates = {
            script: np.array([index[c] for c in codes], dtype=np.intp)
            for script, codes in _SCRIPT_CANDIDATES.items()
        }

    def probabilities(self, text: str) -> npt.NDArray[np.float64]:
        """Each of :attr:`codes`' probability, unnormalised.

        Tempered as py3langid tempers its own (log-likelihoods ÷ √bytes); dialect labels are
        added to their language's.
        """
        # py3langid's raw per-label scores: the step of its classify() before the softmax
        # (a private method, hence the pinned minor version; tests/inference covers it).
        raw = np.asarray(self.identifier._decide(text), dtype=np.float64)
        raw *= 1.0 / math.sqrt(len(text.encode("utf-8", "surrogatepass")) or 1)
        weights = np.exp(raw - raw.max())
        grouped: npt.NDArray[np.float64] = np.bincount(
            self.groups, weights=weights, minlength=len(self.codes)
        ).astype(np.float64, copy=False)
        return grouped

    def best(
        self, weights: npt.NDArray[np.float64], script: str | None = None
    ) -> tuple[str, float]:
        """The best language (among the script's candidates, or all) and its probability."""
        if script is not None:
            among = self.candidates[script]
            sub = weights[among]
            total = float(sub.sum())
            if total <= 0.0:  # every candidate is vanishingly unlikely next to another language
                return self.codes[int(among[0])], 0.0
            i = int(sub.argmax())
            return self.codes[int(among[i])], float(sub[i]) / total
        i = int(weights.argmax())
        return self.codes[i], float(weights[i]) / float(weights.sum())


_LOADING = threading.Lock()


@lru_cache(maxsize=1)
def _load() -> _Model:
    return _Model()


def _model() -> _Model:
    """The shared model, loaded once on first use (76 MB).

    The first start unpacks py3langid's model (about 0.5 s); later ones read the unpacked copy
    in the user cache (:mod:`inference.langid_model`).
    """
    with _LOADING:
        return _load()


def _marked(words: str, script: str) -> str | None:
    """The one candidate whose marker letters ``words`` has, if exactly one."""
    markers = _MARKERS.get(script)
    if markers is None:
        return None
    found = [code for code, chars in markers.items() if any(c in words for c in chars)]
    return found[0] if len(found) == 1 else None


def detect(
    text: object,
    *,
    min_letters: int | None = None,
    min_confidence: float | None = None,
    other_confidence: float = OTHER_CONFIDENCE,
) -> LanguageGuess:
    """The language of one message; never raises.

    Args:
        text: The message (``None`` or a non-string reads as no text or as its ``str``).
        min_letters: Fewest letters to guess from (default: the script's in
            :data:`MIN_LETTERS`).
        min_confidence: Lowest probability to name a language (default: the script's in
            :data:`MIN_CONFIDENCE`).
        other_confidence: See :data:`OTHER_CONFIDENCE`.
    """
    try:
        return _detect(text, min_letters, min_confidence, other_confidence)
    except Exception:  # a language guess must never cost the message its decision
        logger.exception("language identification failed")
        return LanguageGuess(UNDETERMINED, 0.0, "error")


def _detect(
    text: object,
    min_letters: int | None,
    min_confidence: float | None,
    other_confidence: float,
) -> LanguageGuess:
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    cleaned = clean_text(text[: READ_CHARS * 4])[:READ_CHARS]
    if not cleaned:
        return LanguageGuess(UNDETERMINED, 0.0, "empty")
    words = strip_non_language(cleaned)
    counts = _counts(words)
    if not counts:
        reason = "emoji only" if emoji_like(cleaned) and not _LINK.search(cleaned) else "no words"
        return LanguageGuess(UNDETERMINED, 0.0, reason)
    script = _dominant(counts)
    needed = MIN_LETTERS.get(script, MIN_LETTERS["default"]) if min_letters is None else min_letters
    if sum(counts.values()) < needed:
        return LanguageGuess(UNDETERMINED, 0.0, "too short", script)
    if script in _SCRIPT_LANGUAGE:
        return LanguageGuess(_SCRIPT_LANGUAGE[script], 1.0, script=script)
    model = _model()
    weights = model.probabilities(words)
    top, confidence = model.best(weights)
    ours = script in _SCRIPT_CANDIDATES
    if ours and not (top not in LANGUAGES and confidence >= other_confidence):
        marked = _marked(words, script)
        if marked is not None:
            return LanguageGuess(marked, 1.0, script=script)
        top, confidence = model.best(weights, script)
        floor = MIN_CONFIDENCE.get(script, MIN_CONFIDENCE["default"])
    else:  # a script none of ours is written in, or clearly another language
        floor = MIN_CONFIDENCE["default"]
    if top in (_NO_LANGUAGE, UNDETERMINED):
        return LanguageGuess(UNDETERMINED, 0.0, "no words", script)
    floor = floor if min_confidence is None else min_confidence
    if confidence < floor:
        return LanguageGuess(UNDETERMINED, round(confidence, 4), "low confidence", script, top)
    return LanguageGuess(top, round(confidence, 4), script=script)
