"""Text primitives every stage shares, so that each exists once: where a text may be cut, where a
sentence starts, how a Latin word folds, and which scripts are written without spaces.

No dependencies beyond the standard library: the KB (``streams.kb``) uses it too.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "LATIN_EXTRA",
    "NO_SPACE_CLASS",
    "NO_SPACE_RANGES",
    "cut_at_space",
    "fold_latin",
    "sentence_initial",
    "strip_accents",
    "written_without_spaces",
]

_SEEK_BACK = 200  # how far before the cut a space or line break is looked for


def cut_at_space(text: str, max_chars: int) -> str:
    """The text's first ``max_chars`` characters, ending at a space or line break near the cut
    where there is one, so that no word is read in half; the text itself when it is short."""
    if len(text) <= max_chars:
        return text
    lo = max(0, max_chars - _SEEK_BACK)
    space = max(text.rfind(" ", lo, max_chars), text.rfind("\n", lo, max_chars))
    return text[: space if space > 0 else max_chars]


# --- sentences -----------------------------------------------------------------------------------

_SENTENCE_ENDS = frozenset(".!?:;\n\r؟。！？")
# What may stand between a sentence's end and its first word: space, quotes, brackets, dashes.
_OPENERS = frozenset(" \t\"'“”‘’«»„([{-—–")


def sentence_initial(text: str, start: int) -> bool:
    """Whether the word at ``start`` opens a sentence (or the text): a capital there says
    nothing about a name ("Reading the report")."""
    i = start - 1
    while i >= 0 and text[i] in _OPENERS:
        i -= 1
    return i < 0 or text[i] in _SENTENCE_ENDS


# --- Latin letters -------------------------------------------------------------------------------

# Latin letters that no Unicode decomposition takes apart, which spellings still vary on: without
# them Polish, Nordic, Turkish and German names would not fold ("Musiałowski", "Søren", "Kılıç").
LATIN_EXTRA = {
    "đ": "d", "ð": "d", "ł": "l", "ø": "o", "ı": "i", "ħ": "h", "ŧ": "t", "ŀ": "l",
    "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th",
}  # fmt: skip
_ASCII_WORD = re.compile(r"[a-z][a-z'’-]*")


def strip_accents(text: str) -> str:
    """``text`` without Latin and Greek diacritics; other scripts are left as they are."""
    out = []
    for ch in text:
        o = ord(ch)
        if o < 0x0400 or 0x1E00 <= o <= 0x1FFF:
            base = "".join(
                c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)
            )
            out.append(LATIN_EXTRA.get(base.lower(), base) if base else "")
        else:
            out.append(ch)
    return "".join(out)


# A wire's vocabulary repeats from item to item, and folding is most of what a word costs.
@lru_cache(maxsize=1 << 15)
def fold_latin(word: str) -> str | None:
    """``word`` casefolded without accents if it is written in Latin letters; else None."""
    plain = strip_accents(word.casefold())
    return plain if _ASCII_WORD.fullmatch(plain) else None


# --- scripts written without spaces --------------------------------------------------------------

# Kana, Han (and its extensions), Thai, Lao, Myanmar, Khmer: no spaces delimit words, so every
# character is a unit of its own, or a "word" would be a whole clause.
NO_SPACE_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF),  # kana
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3FFFF),  # Han
)
NO_SPACE_CLASS = "".join(f"{chr(a)}-{chr(b)}" for a, b in NO_SPACE_RANGES)


def written_without_spaces(ch: str) -> bool:
    o = ord(ch)
    return any(a <= o <= b for a, b in NO_SPACE_RANGES)
