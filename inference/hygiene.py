"""Text hygiene applied to every message before tokenization.

Chat text arrives in every shape: NUL bytes from broken clients, lone surrogates from JSON
escapes, zalgo with hundreds of stacked combining marks, 100k-character pastes. Clean-up makes
each of them a normal input; it never raises and never returns ``None``. Empty and emoji-only
results are valid inputs for the model.
"""

from __future__ import annotations

import re
import unicodedata

from moodmoji.inference.settings import HygieneSettings

# C0/C1 control characters (tab, newline and carriage return are turned into spaces instead),
# lone surrogates (not encodable as UTF-8) and the 66 non-characters (U+FDD0-U+FDEF and the
# last two code points of every plane).
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17)
)
_DROP = re.compile(f"[\\x00-\\x08\\x0e-\\x1f\\x7f-\\x9f\\ud800-\\udfff{_NONCHARACTERS}]")
_SPACES = re.compile(r"[\t\n\v\f\r\u2028\u2029 ]+")
# Raw input longer than this multiple of max_chars is cut before normalisation, to bound work.
_RAW_SLACK = 4


_DEFAULT = HygieneSettings()


def clean_text(text: str, settings: HygieneSettings = _DEFAULT) -> str:
    """Returns ``text`` cleaned for tokenization.

    Steps: cut absurdly long input, NFC-normalise, drop control characters, lone surrogates and
    non-characters, collapse whitespace runs to one space, keep at most
    ``settings.max_combining_run`` combining marks on each base character (zalgo is capped, not
    removed, so accented text is untouched), and cut to ``settings.max_chars``.

    Args:
        text: Any string.
        settings: Limits to apply.

    Returns:
        The cleaned text, possibly empty.

    """
    if not isinstance(text, str):  # defensive: adapters may hand over None or bytes by mistake
        text = "" if text is None else str(text)
    text = text[: settings.max_chars * _RAW_SLACK]
    text = _DROP.sub("", text)
    text = unicodedata.normalize("NFC", text)
    if not text.isascii():
        text = _cap_combining_runs(text, settings.max_combining_run)
    text = _SPACES.sub(" ", text).strip()
    return text[: settings.max_chars].rstrip()


def _cap_combining_runs(text: str, limit: int) -> str:
    out: list[str] = []
    run = 0
    for char in text:
        if unicodedata.category(char) in ("Mn", "Me"):
            run += 1
            if run > limit:
                continue
        else:
            run = 0
        out.append(char)
    return "".join(out)
