"""Which names of a place become match keys, and with what flags (build time only).

Geonames alternate names are crowd-sourced: besides real exonyms they hold airport codes,
lower-case romanizations of non-Latin names, and nicknames that are plain words ("Terminus" for
Atlanta). The filters here keep the names a reader would recognise and drop the rest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from streams.kb.normalize import Script, fold_key, script_of
from streams.kb.sources import Origin

# Candidate flags, stored per (key, place): how a match of the key may be written in text.
BARE = 1  # the name as written, with nothing glued before it
ARTICLE = 2  # Arabic name stored without its article: the text must supply ال (or لل)
LOWER_OK = 4  # the name itself starts lower-case ("les Escaldes"), so no capital is required

ARABIC_ARTICLE = "ال"

_REJECT_CHARS = frozenset(',،;:/()[]{}"«»=+|*#@?!…_')
_LATIN_MAX = 0x024F
_MIN_LETTERS = 3  # "drop 1-2 letter names": too many are words or abbreviations
_MIN_LETTERS_DENSE = 2  # Han/kana/Hangul syllables carry more: 北京, 서울
_MIN_LETTERS_MINOR = 5


def _is_latin(letters: str) -> bool:
    return all(ord(c) <= _LATIN_MAX or 0x1E00 <= ord(c) <= 0x1EFF for c in letters)


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
    key: str  # folded name, the automaton key
    flags: int
    letters: int  # letters in the key: short keys need a bigger place (see build)
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


def match_key(raw: str, origin: Origin, mains: Sequence[str]) -> MatchKey | None:
    """The match key of one raw name, or None when the name is not usable."""
    name = raw.strip()
    if not name or name.endswith(".") or any(c in _REJECT_CHARS or c.isdigit() for c in name):
        return None
    letters = "".join(c for c in name if c.isalpha())
    if not letters:
        return None
    latin = _is_latin(letters)
    if latin and origin is not Origin.CANONICAL and not _trusted_latin(name, origin, mains):
        return None
    key = fold_key(name)
    script = script_of(letters[0])
    flags = BARE
    if script is Script.ARABIC and key.startswith(ARABIC_ARTICLE):
        # Text writes the article fused with proclitics (بال، لل), so the name is matched on its
        # stem and the article is checked in the text instead.
        key, flags = key[len(ARABIC_ARTICLE) :].lstrip(), ARTICLE
    if latin and name[0].islower():
        flags |= LOWER_OK
    count = sum(1 for c in key if c.isalpha())
    dense = script in (Script.NOSPACE, Script.HANGUL)
    if count < (_MIN_LETTERS_DENSE if dense else _MIN_LETTERS):
        return None
    return MatchKey(key, flags, count, script)
