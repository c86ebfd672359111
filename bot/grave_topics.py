"""A word-level safety net for grave topics the model may read as neutral.

The emotion model reads most bereavements and bad news right, but not all: "the biopsy came
back positive" or "we had to put our old dog to sleep" can come out neutral, and a neutral
message may be offered cheerful replies or playful reactions. :func:`grave_topic` spots the
plain words of death, serious illness, injury, crime and loss, so that the policy treats such
a message as somber whatever the model says. It only ever makes the bot *more* careful: a
mishap told for laughs ("A&E for stitches, bagel won") still gets no laughter, as a friend
would ask first.

Figurative uses are left alone on purpose ("dying of laughter", "killed it", "dead tired").
The patterns are English; other languages rely on the model alone.
"""

from __future__ import annotations

import re

__all__ = ["GRAVE_PATTERNS", "grave_topic"]

#: Named patterns; each is matched case-insensitively on word boundaries.
GRAVE_PATTERNS: dict[str, str] = {
    "death": (
        r"passed away|passed on|(?<!almost )(?<!nearly )died|has died|have died|"
        r"didn'?t (?:make it|survive)|lost (?:my|our|his|her|their) (?:mom|mum|mother|dad|"
        r"father|wife|husband|son|daughter|baby|brother|sister|grand\w+|friend|best friend|"
        r"partner|uncle|aunt|cousin|dog|cat|pet|horse)|r\.?i\.?p\b|rest in peace"
    ),
    "mourning": (
        r"funeral|memorial service|eulogy|buried|burial|cremat\w+|condolences|grieving|"
        r"in mourning|obituary|wake for"
    ),
    "pet loss": (
        r"(?:had|have|has) to (?:have )?(?:\w+ ){0,3}put (?:\w+ ){0,3}(?:to sleep|down)|"
        r"(?:was|were|got) put (?:to sleep|down)|euthani[sz]\w*"
    ),
    "illness": (
        r"cancer|tumou?r|biopsy|chemo\w*|diagnos(?:ed|is)|terminal(?:ly)? ill|hospice|"
        r"in (?:the )?(?:icu|intensive care)|hospitali[sz]ed|stroke|heart attack|"
        r"miscarr\w+|stillb\w+|overdos\w+|suicid\w+|self[- ]harm"
    ),
    "harm": (
        r"(?:car|bike|motorcycle) (?:crash|accident)|was in an accident|hit by a (?:car|truck|bus)|"
        r"seriously (?:hurt|injured)|assault\w*|abus(?:ed|ive)"
    ),
    "injury": (
        r"stitches|a ?& ?e\b|emergency room|concussion|"
        r"(?:broke|broken|fractured?|dislocated|sprained|torn|tore) "
        r"(?:my |his |her |their |a |an )?"
        r"(?:arm|leg|wrist|ankle|hip|foot|hand|finger|toe|rib|ribs|collarbone|nose|back|knee|"
        r"shoulder|acl|meniscus|ligament|bone)|fractur\w+"
    ),
    "crime": (
        r"burgl\w+|(?:got|was|were|been) (?:robbed|mugged|scammed|nicked)|stolen|"
        r"break-in|broke into|hit and run|drove off|scam\w*"
    ),
    "loss": r"laid off|got fired|been fired|lost (?:my|his|her) job|evicted|divorce\w*|broke up|"
    r"dumped me|left me",
}

_ALTERNATIVES = "|".join(
    f"(?P<{name.replace(' ', '_')}>{pattern})" for name, pattern in GRAVE_PATTERNS.items()
)
# One word-boundary check per position for all the patterns, rather than one per pattern.
_GRAVE = re.compile(f"\\b(?:{_ALTERNATIVES})", re.IGNORECASE)
# The same patterns without IGNORECASE, for ASCII text lower-cased first: on ASCII text that is
# exactly what IGNORECASE does (the patterns are lower case but for escapes such as \W), and
# the regex engine can skip alternatives on their first letter, about three times faster.
_GRAVE_ASCII = re.compile(f"\\b(?:{_ALTERNATIVES})")


def grave_topic(text: str) -> str | None:
    """The grave topic a text names in plain words, or ``None``.

    Args:
        text: The message text (only searched, never kept).

    Returns:
        The pattern's name (``death``, ``illness``...) of the first match, or ``None``.

    """
    match = _GRAVE_ASCII.search(text.lower()) if text.isascii() else _GRAVE.search(text)
    if match is None or match.lastgroup is None:
        return None
    return match.lastgroup.replace("_", " ")
