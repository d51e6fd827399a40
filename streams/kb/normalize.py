"""Match-normalization shared by the KB builder and the extractor.

Both sides must fold text identically, or a name stored at build time would never be found at run
time; that is why this lives in one module that both import. Folding is per character so the
extractor can map every folded position back to the original text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from enum import IntEnum

# Arabic-script letters folded to one spelling: hamza-carrying alefs, alef maqsura, ta marbuta, and
# the Persian/Urdu/Kurdish/Uyghur letters that Arabic text writes with the nearest Arabic letter
# (Persian "Kupyansk" is written with peh, Arabic news with beh).
_ARABIC_FOLD = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا", "ٵ": "ا",
    "ى": "ي", "ی": "ي", "ې": "ي", "ے": "ي", "ۓ": "ي", "ۍ": "ي", "ێ": "ي", "ئ": "ي",
    "ة": "ه", "ۀ": "ه", "ە": "ه", "ھ": "ه", "ۂ": "ه", "ہ": "ه",
    "ک": "ك", "ګ": "ك", "ڭ": "ك", "گ": "ك",
    "پ": "ب", "چ": "ج", "ژ": "ز", "ڤ": "ف", "ڥ": "ف", "ڨ": "ق", "ڠ": "غ",
    "ٹ": "ت", "ڈ": "د", "ڑ": "ر", "ڕ": "ر", "ں": "ن", "ڵ": "ل",
    "ؤ": "و", "ۇ": "و", "ۆ": "و", "ۈ": "و", "ۋ": "و",
}  # fmt: skip

# Characters that carry no letter: Arabic harakat/tatweel/Quranic marks and invisible format
# characters. They fold to nothing so "مُوسْكُو" and "موسكو" meet.
_DELETED_RE = re.compile(
    "[\u0300-\u036f\u0610-\u061a\u061c\u0640\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u00ad\u200b-\u200f\u202a-\u202e\u2060\ufeff]"
)

# Letters without a diacritic decomposition that Latin-script spellings still vary on.
_LATIN_EXTRA = {"đ": "d", "ð": "d", "ł": "l", "ø": "o", "ı": "i", "ħ": "h", "ŧ": "t", "ŀ": "l"}

_APOSTROPHES = frozenset("'’‘ʼ`´ʻ")
_DASHES = frozenset("-‐‑‒–—―−")


class Script(IntEnum):
    """How a match is delimited, decided from the characters at its ends."""

    SPACED = 0  # words are delimited by non-letters: a match needs a boundary at both ends
    ARABIC = 1  # spaced, but a word may carry proclitics (و ف ب ل ك ال) before the name
    NOSPACE = 2  # Han, kana, Thai, ...: no boundaries exist, longest match decides
    HANGUL = 3  # boundary before, but case particles attach after the name


def _script_of(ch: str) -> Script:
    o = ord(ch)
    if 0x0600 <= o <= 0x06FF or 0x0750 <= o <= 0x077F or 0x08A0 <= o <= 0x08FF:
        return Script.ARABIC
    if 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
        return Script.HANGUL
    if (
        0x3040 <= o <= 0x30FF  # kana
        or 0x3400 <= o <= 0x4DBF
        or 0x4E00 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x3FFFF  # Han
        or 0x0E00 <= o <= 0x0EFF  # Thai, Lao
        or 0x1000 <= o <= 0x109F  # Myanmar
        or 0x1780 <= o <= 0x17FF  # Khmer
    ):
        return Script.NOSPACE
    return Script.SPACED


_FIXED = {**_ARABIC_FOLD, **dict.fromkeys(_APOSTROPHES, "'"), **dict.fromkeys(_DASHES, "-")}


def _fold_uncached(ch: str) -> str:
    fixed = _FIXED.get(ch)
    if fixed is not None:
        return fixed
    if _DELETED_RE.match(ch):
        return ""
    if ch.isspace():
        return " "
    o = ord(ch)
    if 0xFB50 <= o <= 0xFDFF or 0xFE70 <= o <= 0xFEFF or 0xFF00 <= o <= 0xFFEF:
        # Presentation forms and full-width letters: compatibility-decompose, then fold the parts.
        return "".join(_fold_uncached(c) for c in unicodedata.normalize("NFKC", ch))
    if o < 0x0590 or 0x1E00 <= o <= 0x1FFF:
        # Latin, Greek, Cyrillic, Armenian: spellings differ by accents across languages and
        # transliterations, so accents are dropped along with case.
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        folded = base.casefold()
        return "".join(_LATIN_EXTRA.get(c, c) for c in folded)
    return ch.casefold()


class _FoldTable(dict[int, str]):
    """``str.translate`` table that fills itself: each distinct character is folded once."""

    def __missing__(self, key: int) -> str:
        value = _fold_uncached(chr(key))
        self[key] = value
        if len(value) != 1:
            _NON_UNIT.add(chr(key))
        return value


_NON_UNIT: set[str] = set()  # characters seen so far that fold to zero or several characters
_TABLE = _FoldTable()
_WORD: dict[str, bool] = {}
_SCRIPT: dict[str, Script] = {}


def fold_char(ch: str) -> str:
    return _TABLE[ord(ch)]


def is_word_char(ch: str) -> bool:
    """Letters, digits and combining marks continue a word; everything else ends one."""
    known = _WORD.get(ch)
    if known is None:
        known = ch.isalnum() or unicodedata.category(ch)[0] == "M"
        _WORD[ch] = known
    return known


def script_of(ch: str) -> Script:
    known = _SCRIPT.get(ch)
    if known is None:
        known = _script_of(ch)
        _SCRIPT[ch] = known
    return known


def is_mark(ch: str) -> bool:
    return unicodedata.category(ch) == "Mn"


@dataclass(frozen=True, slots=True)
class Folded:
    """A folded copy of a text and the way back to source positions.

    Most characters fold to exactly one character, so the map is kept sparse: one breakpoint
    after each character that folded to none or several. ``marks`` is empty when there is none
    (the common case for Latin text) and positions then map to themselves.
    """

    text: str
    # Per breakpoint: folded position after it, source position after it, source position of
    # the character that made it. Sorted, and bisected on the first field.
    marks: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] = ((), (), ())

    def source_start(self, i: int) -> int:
        """Source index of the character that folded ``text[i]``."""
        dst_after, src_after, src_at = self.marks
        if not dst_after:
            return i
        j = bisect_right(dst_after, i)
        if j == 0:
            base_dst = base_src = 0
        else:
            base_dst, base_src = dst_after[j - 1], src_after[j - 1]
        src = base_src + (i - base_dst)
        # Inside a multi-character expansion (ß -> ss): every part maps to the one source char.
        return min(src, src_at[j]) if j < len(src_at) else src

    def source_end(self, i: int) -> int:
        """Source index just past the character that folded ``text[i - 1]``."""
        return self.source_start(i - 1) + 1


_non_unit_re: tuple[int, re.Pattern[str] | None] = (0, None)


def _non_unit_pattern() -> re.Pattern[str]:
    global _non_unit_re  # noqa: PLW0603 - a cache rebuilt only when a new such character appears
    size, pattern = _non_unit_re
    if pattern is None or size != len(_NON_UNIT):
        pattern = re.compile("[" + "".join(re.escape(c) for c in sorted(_NON_UNIT)) + "]")
        _non_unit_re = (len(_NON_UNIT), pattern)
    return pattern


def fold(text: str) -> Folded:
    folded = text.translate(_TABLE)  # fills the table, and so _NON_UNIT, for any new character
    if len(folded) == len(text) and _NON_UNIT.isdisjoint(text):
        return Folded(folded)
    table = _TABLE
    dst_after: list[int] = []
    src_after: list[int] = []
    src_at: list[int] = []
    shift = 0  # folded position minus source position, before the current character
    for m in _non_unit_pattern().finditer(text):
        i = m.start()
        width = len(table[ord(text[i])])
        dst_after.append(i + shift + width)
        src_after.append(i + 1)
        src_at.append(i)
        shift += width - 1
    return Folded(folded, (tuple(dst_after), tuple(src_after), tuple(src_at)))


_SPACES_RE = re.compile(" +")


def fold_key(name: str) -> str:
    """Fold a stored name the way text is folded, with its spacing made canonical."""
    return _SPACES_RE.sub(" ", name.translate(_TABLE)).strip()
