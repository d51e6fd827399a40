"""Match-normalization shared by the KB builder and the extractor.

Both sides must fold text identically, or a name stored at build time would never be found at run
time; that is why this lives in one module that both import.

Folding runs on every message, so it is built from whole-string C operations only (``lower``,
``str.replace``, ``str.translate`` on ASCII, one regex substitution) and never visits characters
one by one in Python. Every step keeps the length except deleting marks (harakat, tatweel,
zero-width characters), which is recorded so that positions map back to the source.

What folding does NOT do is strip Latin accents: that would need a per-character pass over the
text. Instead a name is stored under both spellings (see ``key_spellings``), so "Sao Paulo" and
"São Paulo" both meet a key.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from enum import IntEnum

from streams.core.text import strip_accents, written_without_spaces

# Arabic-script letters folded to one spelling: hamza-carrying alefs, alef maqsura, ta marbuta, and
# the Persian/Urdu/Kurdish letters that Arabic text writes with the nearest Arabic letter (Persian
# "Kupyansk" is written with peh, Arabic news with beh).
_ARABIC_FOLD = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا", "ٵ": "ا",
    "ى": "ي", "ی": "ي", "ې": "ي", "ے": "ي", "ۓ": "ي", "ۍ": "ي", "ێ": "ي", "ئ": "ي",
    "ة": "ه", "ۀ": "ه", "ە": "ه", "ھ": "ه", "ۂ": "ه", "ہ": "ه",
    "ک": "ك", "ګ": "ك", "ڭ": "ك", "گ": "ك",
    "پ": "ب", "چ": "ج", "ژ": "ز", "ڤ": "ف", "ڥ": "ف", "ڨ": "ق", "ڠ": "غ",
    "ٹ": "ت", "ڈ": "د", "ڑ": "ر", "ڕ": "ر", "ں": "ن", "ڵ": "ل",
    "ؤ": "و", "ۇ": "و", "ۆ": "و", "ۈ": "و", "ۋ": "و",
}  # fmt: skip
# The commonest Arabic-script letters and variant letters: any Arabic, Persian or Urdu text that
# has something to fold holds one of these.
_ARABIC_COMMON = "اليمونهرتبدعسیکةأإىئؤآپچگھہے"
# Other one-to-one folds: Russian writes ё as е more often than not; Greek final sigma.
_OTHER_FOLD = {"ё": "е", "ς": "σ"}

# Characters that end a word. Each becomes a space, so a key stored as " name " (see
# streams.kb.aliases) can only meet whole words. ASCII punctuation, the usual quotes and dashes,
# and the punctuation of the wire's scripts; anything rarer acts as a letter (a missed match,
# never a wrong offset).
SEPARATORS = (
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\n\t\r\x0b\x0c"
    "\u00a0\u00ab\u00b7\u00bb\u00bf\u00a1\u00b4\u2018\u2019\u201c\u201d\u201e"
    "\u2010\u2011\u2013\u2014\u2212\u2026\u2022\u2009\u202f\u02bc\u3000"
    "\u3001\u3002\uff0c\uff08\uff09\u300c\u300d\u300a\u300b\u30fb"
    "\u060c\u061b\u061f\u06d4\u05be\u0964"
)
_ASCII_SEPARATORS = {ord(c): " " for c in SEPARATORS if ord(c) < 0x80}
_WIDE_SEPARATORS = tuple(c for c in SEPARATORS if ord(c) >= 0x80)
_LATIN1_SEPARATORS = tuple(c for c in _WIDE_SEPARATORS if ord(c) <= 0xFF)
_ASCII_SEPARATOR_CHARS = tuple(c for c in SEPARATORS if ord(c) < 0x80)

# Characters that carry no letter: Arabic harakat/tatweel/Quranic marks, combining accents (only
# seen in decomposed text), invisible format characters and variation selectors. They are deleted,
# so "مُوسْكُو" and "موسكو" meet.
_DELETED_CLASS = (
    "\u0300-\u036f\u0610-\u061a\u061c\u0640\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ufe00-\ufe0f"
)
_DELETED_RE = re.compile(f"[{_DELETED_CLASS}]")
# Outside Arabic and Hebrew text only these few occur in practice; checking them one by one is much
# cheaper than a regex scan of a CJK or Cyrillic text.
_DELETED_COMMON = "\u00ad\u200b\u200c\u200d\u200e\u200f\ufeff\u2060\u0301\u0300"


class Script(IntEnum):
    """How a match is delimited, decided from the characters at its ends."""

    SPACED = 0  # words are delimited by non-letters: a match needs a boundary at both ends
    ARABIC = 1  # spaced, but a word may carry proclitics (و ف ب ل ك ال) before the name
    NOSPACE = 2  # Han, kana, Thai, ...: no boundaries exist, longest match decides
    HANGUL = 3  # boundary before, but case particles attach after the name
    HEBREW = 4  # like Arabic: prefixes ו ה ב ל מ ש כ attach to the name


def script_of(ch: str) -> Script:
    o = ord(ch)
    if 0x0600 <= o <= 0x06FF or 0x0750 <= o <= 0x077F or 0x08A0 <= o <= 0x08FF:
        return Script.ARABIC
    if 0x0590 <= o <= 0x05FF:
        return Script.HEBREW
    if 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
        return Script.HANGUL
    if written_without_spaces(ch):
        return Script.NOSPACE
    return Script.SPACED


def is_cased(ch: str) -> bool:
    """Whether the script of ``ch`` has capitals (Latin, Greek, Cyrillic, Armenian, ...)."""
    return ch.lower() != ch.upper()


def is_mark(ch: str) -> bool:
    return unicodedata.category(ch) == "Mn"


@dataclass(frozen=True, slots=True)
class Folded:
    """A folded copy of a text and the way back to source positions.

    Folding only ever deletes characters, so the map is the folded position of each deletion:
    ``cuts[j]`` is where the j-th deleted character would have stood. Empty (the common case)
    means positions map to themselves.
    """

    text: str
    cuts: tuple[int, ...] = ()
    deleted: tuple[int, ...] = ()  # source positions of the deleted characters, sorted
    deleted_set: frozenset[int] = frozenset()

    def source_start(self, i: int) -> int:
        """Source index of the character that folded to ``text[i]``."""
        return i + bisect_right(self.cuts, i) if self.cuts else i

    def source_end(self, i: int) -> int:
        """Source index just past the character that folded to ``text[i - 1]``."""
        return self.source_start(i - 1) + 1

    def is_deleted(self, src: int) -> bool:
        return src in self.deleted_set


def _is_latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def fold(text: str, *, arabic: bool | None = None) -> Folded:
    """Lower-case, unify Arabic letter variants, turn separators into spaces, drop marks.

    ``arabic`` forces (or skips) the Arabic-script folds; by default they run when the text holds
    a common Arabic-script letter (see _ARABIC_COMMON).
    """
    if "İ" in text:  # the one character whose lower case is two characters ("i̇")
        text = text.replace("İ", "I")
    s = text.lower()
    if s.isascii():
        return Folded(s.translate(_ASCII_SEPARATORS))
    latin1 = _is_latin1(s)
    # Any Arabic-script text holds one of its dozen commonest letters; checking those few is far
    # cheaper for the other scripts than trying every variant letter.
    if arabic is None:
        arabic = not latin1 and any(c in s for c in _ARABIC_COMMON)
    arabic = arabic and not latin1
    if not latin1:
        s = _replace_all(s, _ARABIC_FOLD if arabic else _OTHER_FOLD)
        if arabic:
            s = _replace_all(s, _OTHER_FOLD)
    s = _replace_separators(s, latin1)
    # Marks to delete: a soft hyphen in Latin-1 text; else harakat, Hebrew points (vav says the
    # text is Hebrew), or one of the common invisible characters.
    marked = (
        "\xad" in s if latin1 else arabic or "\u05d5" in s or any(c in s for c in _DELETED_COMMON)
    )
    if not marked or _DELETED_RE.search(s) is None:
        return Folded(s)
    deleted = tuple(m.start() for m in _DELETED_RE.finditer(s))
    cuts = tuple(p - j for j, p in enumerate(deleted))
    return Folded(_DELETED_RE.sub("", s), cuts, deleted, frozenset(deleted))


def _replace_all(s: str, table: dict[str, str]) -> str:
    for src, dst in table.items():
        if src in s:
            s = s.replace(src, dst)
    return s


def _replace_separators(s: str, latin1: bool) -> str:
    # str.translate is fast only on ASCII; replace() per separator is a vectorised scan each, and
    # most separators are absent from any one text.
    for ch in _LATIN1_SEPARATORS if latin1 else _WIDE_SEPARATORS:
        if ch in s:
            s = s.replace(ch, " ")
    for ch in _ASCII_SEPARATOR_CHARS:
        if ch in s:
            s = s.replace(ch, " ")
    return s


_SPACES_RE = re.compile(" +")


def fold_key(name: str) -> str:
    """Fold a stored name the way text is folded, with its spacing made canonical."""
    return _SPACES_RE.sub(" ", fold(name, arabic=True).text).strip()


def key_spellings(name: str) -> list[str]:
    """Every folded spelling a name is stored under: as written, and without accents."""
    keys = [fold_key(name)]
    bare = fold_key(strip_accents(name))
    if bare != keys[0]:
        keys.append(bare)
    return [k for k in keys if k]
