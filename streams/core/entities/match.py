"""KB matching: one automaton pass over the folded text, then the checks the keys asked for.

The text is folded (streams.kb.normalize.fold) and padded with a space at each end; keys carry a
space on each side their script delimits by spaces, so every raw match is already a whole-word
candidate. What is left to check here is what a space cannot express: proclitics glued before an
Arabic or Hebrew name, particles after a Korean one, katakana words around a katakana name, the
capital a cased name needs, and names that are common words at the start of a sentence.
"""

from __future__ import annotations

from itertools import pairwise
from typing import NamedTuple

from streams.core.text import sentence_initial
from streams.kb.aliases import (
    ACRONYM,
    ARTICLE,
    BARE,
    CASED,
    COMMON,
    FLAG_BITS,
    HANGUL_SUFFIX,
    KANA_LEFT,
    KANA_RIGHT,
    LOWER_ANY,
    LOWER_OK,
    PREFIX_ARABIC,
    PREFIX_HEBREW,
)
from streams.kb.compile import ARABIC_ARTICLE_PREFIXES, ARABIC_BARE_PREFIXES
from streams.kb.gazetteer import Automaton, Tables
from streams.kb.normalize import Folded, is_mark

_FLAG_MASK = (1 << FLAG_BITS) - 1
_LEFT_CHECKS = PREFIX_ARABIC | PREFIX_HEBREW | KANA_LEFT
_RIGHT_CHECKS = KANA_RIGHT | HANGUL_SUFFIX
_MAX_PREFIX = 4
_HEBREW_PROCLITICS = frozenset("והבלמשכ")

# Korean case particles and place suffixes that attach to a name: 서울에서, 부산시는.
_HANGUL_SUFFIX_WORDS = """
    은 는 이 가 을 를 에 의 와 과 도 만 로 으로 에서 에게 에는 에서는 에도 에서도 까지 부터
    처럼 보다 와의 과의 이나 나 랑 이랑 으로는 로는 으로의 로의 에서의 이다 입니다 시 시의 시는
    시에서 시가 측 측은 측이 정부 정부는 정부가 정부의 대통령 대통령은 대통령이 대통령의 총리 총리는
    장관 장관은 장관이
"""
HANGUL_SUFFIXES = frozenset(_HANGUL_SUFFIX_WORDS.split())
_MAX_SUFFIX = max(map(len, HANGUL_SUFFIXES))


def _is_katakana(ch: str) -> bool:
    return "\u30a1" <= ch <= "\u30fa" or ch == "\u30fc"


class Match(NamedTuple):
    """A KB mention: source span and the entries it may name, best prior first."""

    start: int
    end: int
    candidates: tuple[int, ...]
    source: int  # which KB: 0 the main one, 1 the watchlist


def _extend_marks(text: str, folded: Folded, src: int) -> int:
    """Take in the marks folding dropped right after a name (حاليًا, e + U+0301)."""
    while src < len(text) and src in folded.deleted_set and is_mark(text[src]):
        src += 1
    return src


def _open_left(s: str, a: int, mode: int) -> str | None:
    """What is glued before the key at ``a`` ("" when nothing), or None when the match fails."""
    if mode & KANA_LEFT:
        return None if _is_katakana(s[a - 1]) else ""
    if s[a - 1] == " " or not mode & (PREFIX_ARABIC | PREFIX_HEBREW):
        return ""
    w = s.rfind(" ", max(0, a - _MAX_PREFIX - 1), a)
    if w < 0:
        return None  # more letters before the name than proclitics can make
    prefix = s[w + 1 : a]
    if mode & PREFIX_ARABIC:
        ok = prefix in ARABIC_BARE_PREFIXES or prefix in ARABIC_ARTICLE_PREFIXES
    else:
        ok = len(prefix) <= 3 and all(c in _HEBREW_PROCLITICS for c in prefix)
    return prefix if ok else None


def _open_right(s: str, b: int, mode: int) -> bool:
    if mode & KANA_RIGHT:
        return not _is_katakana(s[b])
    if mode & HANGUL_SUFFIX and s[b] != " ":
        # The particle runs to the next space or the text's end; no particle is longer than
        # _MAX_SUFFIX, so the search stops there.
        e = s.find(" ", b, b + _MAX_SUFFIX + 1)
        return s[b : e if e >= 0 else b + _MAX_SUFFIX + 1] in HANGUL_SUFFIXES
    return True


def scan(  # noqa: PLR0912 - the per-match hot loop is kept flat on purpose (see below)
    automaton: Automaton,
    t: Tables,
    text: str,
    folded: Folded,
    stops: frozenset[str],
    *,
    source: int = 0,
) -> list[Match]:
    """Every KB match whose open sides check out (overlapping; see longest_first)."""
    # This loop runs for every raw match of every message: names are bound locally, and the
    # common case (no deleted marks, one candidate, no special flag) takes no function call.
    s = " " + folded.text + " "  # every folded position is one more here
    modes = t.key_modes
    values = t.key_values
    src_of = folded.source_start if folded.cuts else None
    prefixed_stop = t.prefixed_stop
    deleted = folded.deleted_set
    out: list[Match] = []
    for key_start, key_end, pid in automaton.find_overlapping(s):
        mode = modes[pid]
        a = key_start + 1 if s[key_start] == " " else key_start
        b = key_end - 1 if s[key_end - 1] == " " else key_end
        # Most raw matches in Latin text are lower-case words ("port", "said"): drop them first.
        # The folded-to-source map is a bisect, so it is only read for matches that need it.
        lower = False
        if mode & CASED:
            lower = text[src_of(a - 1) if src_of else a - 1].islower()
            if lower and not mode & LOWER_ANY:
                continue
        prefix = ""
        if mode & _LEFT_CHECKS and s[a - 1] != " ":
            glued = _open_left(s, a, mode)
            if glued is None:
                continue
            prefix = glued
        if mode & _RIGHT_CHECKS and not _open_right(s, b, mode):
            continue
        if stops or prefix:
            word = s[a:b]
            if word in stops or (prefix and prefix + word in prefixed_stop):
                continue
        need = ARTICLE if prefix and prefix in ARABIC_ARTICLE_PREFIXES else BARE
        value = values[pid]
        flags = value >> 1 & _FLAG_MASK
        simple = not (value & 1 or flags & (COMMON | ACRONYM))
        if simple and not (flags & need and (not lower or flags & LOWER_OK)):
            continue
        end = src_of(b - 2) + 1 if src_of else b - 1
        if end in deleted:
            end = _extend_marks(text, folded, end)
        cands: tuple[int, ...]
        if simple:
            cands = (value >> (1 + FLAG_BITS),)
        else:
            name_start = src_of(a - 1) if src_of else a - 1
            cands = _candidates(t, value, text, name_start, end, lower=lower, need=need)
            if not cands:
                continue
        start = a - 1
        if need == ARTICLE:
            start -= 1 if prefix.endswith("لل") else 2  # the span takes in the article
        out.append(Match(src_of(start) if src_of else start, end, cands, source))
    return out


def _candidates(
    t: Tables, value: int, text: str, start: int, end: int, *, lower: bool, need: int
) -> tuple[int, ...]:
    out = []
    initial: bool | None = None
    for code in t.candidates(value):
        flags = code & _FLAG_MASK
        if not flags & need or (lower and not flags & LOWER_OK):
            continue
        if flags & (COMMON | ACRONYM) and not text[start:end].isupper():
            if flags & ACRONYM:
                continue
            if initial is None:
                initial = sentence_initial(text, start)
            if initial:
                continue  # an everyday word opening a sentence: "Reading the report"
        out.append(code >> FLAG_BITS)
    return tuple(out)


def longest_first(matches: list[Match]) -> list[Match]:
    """Non-overlapping matches, longest first, then leftmost, then the watchlist's: "New York
    City" wins over "York", "Unión Europea" over "La Unión" in "La Unión Europea", and a name
    inside a longer known name is not reported. Returned in text order."""
    in_order = sorted(matches)  # by start, then end: tuple order, no key function to call
    if all(a.end <= b.start for a, b in pairwise(in_order)):
        return in_order  # the usual case: nothing overlaps
    taken = bytearray(max(m.end for m in in_order))
    kept: list[Match] = []
    for m in sorted(in_order, key=lambda m: (m.start - m.end, m.start, -m.source)):
        if 1 not in taken[m.start : m.end]:
            kept.append(m)
            taken[m.start : m.end] = b"\x01" * (m.end - m.start)
    kept.sort(key=lambda m: m.start)
    return kept
