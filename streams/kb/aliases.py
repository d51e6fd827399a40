"""Which names of an entity become match keys, and with what flags (KB build and watchlists).

Geonames alternate names are crowd-sourced: besides real exonyms they hold airport codes,
lower-case romanizations of non-Latin names, and nicknames that are plain words ("Terminus" for
Atlanta). The filters here keep the names a reader would recognise and drop the rest.

A key is the folded name with a space on each side where the script delimits words by spaces, so
the automaton can only meet whole words and never reports the thousands of names hidden inside
other words. Where a script glues things to a name, that side is left open and the extractor
checks what is glued there: Arabic and Hebrew proclitics before, Korean particles after, and
nothing at all around Han and kana (which have no spaces).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from streams.kb.entry import Origin
from streams.kb.inflect import cyrillic_forms
from streams.kb.normalize import Script, fold_key, is_cased, key_spellings, script_of

# Candidate flags, stored per (key, entity): how a match of the key may be written in text.
BARE = 1  # the name as written, with nothing glued before it
ARTICLE = 2  # Arabic name stored without its article: the text must supply ال (or لل)
LOWER_OK = 4  # the name itself starts lower-case ("les Escaldes"), so no capital is required
COMMON = 8  # the key is also a common word: needs a capital and must not open a sentence
ACRONYM = 16  # written in capitals in the KB ("UN", "NATO"): the text must be in capitals too
FLAG_BITS = 5

# Key modes, stored per key: which open side the extractor must check.
PREFIX_ARABIC = 1  # the key starts with an Arabic letter: proclitics may come before it
PREFIX_HEBREW = 2
KANA_LEFT = 4  # katakana key: must not continue a katakana word on the left
KANA_RIGHT = 8
HANGUL_SUFFIX = 16  # Hangul key: only particles may follow it
CASED = 32  # the key starts with a letter of a cased script: check the capital in the source
LOWER_ANY = 64  # some candidate of the key is LOWER_OK (set by the compiler, per key)

ARABIC_ARTICLE = "ال"

_REJECT_CHARS = frozenset(',،;:/()[]{}"«»=+|*#@?!…_')
_LATIN_MAX = 0x024F
_MIN_LETTERS = 3  # "drop 1-2 letter names": too many are words or abbreviations
_MIN_LETTERS_DENSE = 2  # Han/kana/Hangul syllables carry more: 北京, 서울
_MIN_LETTERS_MINOR = 5
_ACRONYM_MAX = 6


def _is_latin(letters: str) -> bool:
    return all(ord(c) <= _LATIN_MAX or 0x1E00 <= ord(c) <= 0x1EFF for c in letters)


def _is_katakana(ch: str) -> bool:
    return "\u30a1" <= ch <= "\u30fa" or ch == "\u30fc"


def _skeleton(folded: str) -> str:
    """Consonant skeleton, so exonyms spelled differently still meet: Mecca/Makkah, Wien/Vienna."""
    s = re.sub("[^a-z]", "", folded).replace("ph", "f").replace("x", "ks")
    s = s.translate(str.maketrans("cqwzy", "kkvsi"))
    if s:
        s = s[0] + re.sub("[aeiouh]", "", s[1:])
    return re.sub(r"(.)\1+", r"\1", s)


def resembles(alternate: str, main: str) -> bool:
    """Whether a Latin alternate name is a spelling of the main name rather than another name.

    Nicknames and historic names ("Terminus", "Google" for Topeka) share little with the main name,
    while exonyms and transliterations (Moskau, Kiew, Mekka) share most of it.
    """
    a, m = fold_key(alternate), fold_key(main)
    if SequenceMatcher(None, a, m).ratio() >= 0.5:
        return True
    sa, sm = _skeleton(a), _skeleton(m)
    return len(sa) >= 2 and SequenceMatcher(None, sa, sm).ratio() >= 0.75


@dataclass(frozen=True, slots=True)
class MatchKey:
    key: str  # the automaton key: folded name, with a space on each delimited side
    word: str  # the folded name alone (what word-frequency checks look up)
    flags: int
    mode: int
    letters: int  # letters in the name: short keys need a bigger place (see build)
    script: Script


def _trusted_latin(name: str, origin: Origin, mains: Sequence[str]) -> bool:
    letters = [c for c in name if c.isalpha()]
    if origin is Origin.MINOR and len(letters) < _MIN_LETTERS_MINOR:
        return False
    if not any(c.isupper() for c in letters):
        return False  # romanizations of non-Latin names come all lower-case ("mosukuwa")
    if name.isupper() and len(letters) <= 4:
        return False  # IATA/ICAO codes
    return origin is not Origin.ALTERNATE or any(resembles(name, m) for m in mains)


def anchor(word: str) -> tuple[str, int]:
    """The automaton key for a folded name, and the checks its open sides need."""
    first, last = word[0], word[-1]
    mode = CASED if is_cased(first) else 0
    left = " "
    head = script_of(first)
    if head is Script.ARABIC:
        left, mode = "", mode | PREFIX_ARABIC
    elif head is Script.HEBREW:
        left, mode = "", mode | PREFIX_HEBREW
    elif head is Script.NOSPACE:
        left, mode = "", mode | (KANA_LEFT if _is_katakana(first) else 0)
    right = " "
    tail = script_of(last)
    if tail is Script.NOSPACE:
        right, mode = "", mode | (KANA_RIGHT if _is_katakana(last) else 0)
    elif tail is Script.HANGUL:
        right, mode = "", mode | HANGUL_SUFFIX
    return left + word + right, mode


def _keep(name: str, origin: Origin, mains: Sequence[str]) -> tuple[str, bool] | None:
    """The letters of a usable name and whether it is Latin, or None when it is not usable."""
    if not name or name.endswith(".") or any(c in _REJECT_CHARS or c.isdigit() for c in name):
        return None
    letters = "".join(c for c in name if c.isalpha())
    if not letters:
        return None
    latin = _is_latin(letters)
    if latin and origin in (Origin.ALTERNATE, Origin.MINOR):
        return (letters, latin) if _trusted_latin(name, origin, mains) else None
    return letters, latin


def match_keys(
    raw: str, origin: Origin, mains: Sequence[str], *, inflect: bool = True
) -> list[MatchKey]:
    """The match keys of one raw name (every spelling, and case forms when ``inflect``), or []."""
    name = raw.strip()
    kept = _keep(name, origin, mains) if origin is not Origin.CURATED else _curated(name)
    if kept is None:
        return []
    letters, latin = kept
    acronym = origin is Origin.CURATED and name.isupper() and len(letters) <= _ACRONYM_MAX
    out: list[MatchKey] = []
    for spelled in key_spellings(name):
        words = [spelled]
        if inflect and "\u0400" <= letters[-1] <= "\u04ff":
            words.extend(sorted(cyrillic_forms(spelled)))
        for word in words:
            mk = _one_key(word, letters, latin, acronym, name)
            if mk is not None:
                out.append(mk)
    return out


def _curated(name: str) -> tuple[str, bool] | None:
    letters = "".join(c for c in name if c.isalpha())
    return (letters, _is_latin(letters)) if letters else None


def _one_key(word: str, letters: str, latin: bool, acronym: bool, name: str) -> MatchKey | None:
    script = script_of(letters[0])
    flags = BARE
    if script is Script.ARABIC and word.startswith(ARABIC_ARTICLE) and " " not in word[:3]:
        # Text writes the article fused with proclitics (بال، لل), so the name is matched on its
        # stem and the article is checked in the text instead.
        word, flags = word[len(ARABIC_ARTICLE) :].lstrip(), ARTICLE
    if name[0].islower():  # "les Escaldes", "сектор Газа": no capital to require
        flags |= LOWER_OK
    if acronym:
        flags |= ACRONYM
    count = sum(1 for c in word if c.isalpha())
    dense = script in (Script.NOSPACE, Script.HANGUL)
    if count < (_MIN_LETTERS_DENSE if dense or acronym else _MIN_LETTERS) or not word:
        return None
    key, mode = anchor(word)
    return MatchKey(key, word, flags, mode, count, script)
