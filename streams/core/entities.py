"""Entities stage: find countries and places in clean text and link them to geonames / ISO ids.

The gazetteer (built by ``make kb``) is loaded once; a call folds the text, runs one Aho-Corasick
pass over it, and keeps the matches that sit on word boundaries. Folding can delete or expand
characters, so every position is mapped back and ``text[e.start:e.end] == e.text`` always holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streams.kb import gazetteer
from streams.kb.aliases import ARTICLE, BARE, LOWER_OK
from streams.kb.gazetteer import CANDIDATE_FLAG_BITS, Automaton, Tables
from streams.kb.normalize import Folded, Script, fold, fold_char, is_mark, is_word_char, script_of
from streams.models import Entity

ENTITY_TYPE = "LOC"

# A place in a country that the text names gets this much on the log10-population scale: enough
# for "Córdoba, Spain" to be Spain's Córdoba, not enough for "Paris ... United States" to be
# Paris, Texas, or for the United States to pull "Moscow" to Idaho.
CONTEXT_BONUS = 1.5

_ARTICLE = "ال"
_CONJUNCTIONS = ("", "و", "ف")
_PREPOSITIONS = ("", "ب", "ل", "ك")
# What may be glued before an Arabic name: و/ف, then ب/ل/ك, then the article (ل + ال is لل).
_BARE_PREFIXES = frozenset(c + p for c in _CONJUNCTIONS for p in _PREPOSITIONS) - {""}
_ARTICLE_PREFIXES = frozenset(
    {c + p + _ARTICLE for c in _CONJUNCTIONS for p in _PREPOSITIONS if p != "ل"}
    | {c + "لل" for c in _CONJUNCTIONS}
)
_MAX_PREFIX = max(len(p) for p in _ARTICLE_PREFIXES)

# Korean case particles and place suffixes that attach to a name: 서울에서, 부산시는.
_HANGUL_SUFFIX_WORDS = """
    은 는 이 가 을 를 에 의 와 과 도 만 로 으로 에서 에게 에는 에서는 에도 에서도 까지 부터
    처럼 보다 와의 과의 이나 나 랑 이랑 으로는 로는 으로의 로의 에서의 이다 입니다 시 시의 시는
    시에서 시가 측 측은 측이 정부 정부는 정부가
"""
_HANGUL_SUFFIXES = frozenset(_HANGUL_SUFFIX_WORDS.split())


def _is_katakana(ch: str) -> bool:
    # Excludes the middle dot (U+30FB), which separates words.
    return "\u30a1" <= ch <= "\u30fa" or ch == "\u30fc"


@dataclass(frozen=True, slots=True)
class _Match:
    start: int  # folded-text span of the mention (with the Arabic article, if the text has one)
    end: int
    candidates: tuple[int, ...]  # place indices, best prior first


class EntityExtractor:
    """Link place and country mentions in a text to ids; build once, call per message."""

    def __init__(self, automaton: Automaton, tables: Tables) -> None:
        self._automaton = automaton
        self._t = tables
        self._all_language_stops = frozenset().union(*tables.stop_when_language.values())

    @classmethod
    def load(cls, path: Path | None = None) -> EntityExtractor:
        """Load the compiled gazetteer (default: the package's data file, built by ``make kb``).

        Raises GazetteerMissingError (a FileNotFoundError) when it has not been built.
        """
        automaton, tables = gazetteer.load(path)
        return cls(automaton, tables)

    @property
    def meta(self) -> dict[str, Any]:
        return self._t.meta

    def extract(self, text: str, language: str | None = None) -> tuple[Entity, ...]:
        """One Entity per distinct place, at its first mention, ordered by position."""
        if not text:
            return ()
        folded = fold(text)
        matches = _leftmost_longest(self._scan(text, folded, self._language_stops(language)))
        if not matches:
            return ()
        chosen = self._resolve(matches)
        return self._entities(text, folded, matches, chosen)

    def _language_stops(self, language: str | None) -> frozenset[str]:
        base = (language or "").replace("_", "-").split("-", 1)[0].lower()
        if base in ("", "und"):
            return self._all_language_stops  # unknown language: the words of any of them
        return self._t.stop_when_language.get(base, frozenset())

    def _scan(self, text: str, folded: Folded, stops: frozenset[str]) -> Iterable[_Match]:
        s = folded.text
        n = len(s)
        for last, value in self._automaton.iter(s):
            key_len, payload, is_group = gazetteer.unpack_value(value)
            end = last + 1
            start = end - key_len
            first_script = script_of(s[start])
            prefix = ""
            if start > 0 and is_word_char(s[start - 1]):
                if first_script is Script.ARABIC:
                    prefix = _arabic_prefix(s, start)
                    if not prefix:
                        continue
                elif first_script is not Script.NOSPACE or (
                    _is_katakana(s[start]) and _is_katakana(s[start - 1])
                ):
                    continue
            if end < n and is_word_char(s[end]) and not _open_end_ok(s, end):
                continue
            if prefix and s[start - len(prefix) : end] in self._t.arabic_stopwords:
                continue  # a common word that merely looks like proclitic + name: كانت
            key = s[start:end]
            if key in stops:
                continue
            need = ARTICLE if prefix in _ARTICLE_PREFIXES else BARE
            lower = text[folded.source_start(start)].islower()
            cands = tuple(
                code >> CANDIDATE_FLAG_BITS
                for code in self._codes(payload, is_group)
                if code & need and (not lower or code & LOWER_OK)
            )
            if not cands:
                continue
            if need == ARTICLE:
                start -= 1 if prefix.endswith("لل") else len(_ARTICLE)
            yield _Match(start, end, cands)

    def _codes(self, payload: int, is_group: bool) -> Iterable[int]:
        if not is_group:
            return (payload,)
        offsets = self._t.group_offsets
        return self._t.group_members[offsets[payload] : offsets[payload + 1]]

    def _resolve(self, matches: list[_Match]) -> list[int]:
        """Pick one place per match: population prior, plus the countries the text names."""
        t = self._t
        # Only countries count as context: a city that is really a word or a surname
        # ("Chandler") must not drag other names to its country.
        context = {
            t.countries[m.candidates[0]]
            for m in matches
            if t.priors[m.candidates[0]] >= gazetteer.COUNTRY_PRIOR
        }
        context.discard(None)
        chosen = []
        for m in matches:
            if len(m.candidates) == 1:
                chosen.append(m.candidates[0])
                continue
            chosen.append(
                max(
                    m.candidates,
                    key=lambda i: t.priors[i] + (CONTEXT_BONUS if t.countries[i] in context else 0),
                )
            )
        return chosen

    def _entities(
        self, text: str, folded: Folded, matches: list[_Match], chosen: list[int]
    ) -> tuple[Entity, ...]:
        t = self._t
        first: dict[int, tuple[int, int]] = {}
        counts: dict[int, int] = {}
        for m, place in zip(matches, chosen, strict=True):
            counts[place] = counts.get(place, 0) + 1
            if place not in first:
                first[place] = (folded.source_start(m.start), _source_end(text, folded, m.end))
        out = [
            Entity(
                text=text[start:end],
                type=ENTITY_TYPE,
                id=t.ids[place],
                name=t.names[place],
                start=start,
                end=end,
                count=counts[place],
                country=t.countries[place],
                lat=gazetteer.coordinate(t.lats[place]),
                lon=gazetteer.coordinate(t.lons[place]),
            )
            for place, (start, end) in first.items()
        ]
        out.sort(key=lambda e: (e.start, e.end))
        return tuple(out)


def _arabic_prefix(s: str, start: int) -> str:
    """The proclitics glued before ``s[start]``, or "" when the letters there are not proclitics."""
    word_start = start
    while word_start > 0 and is_word_char(s[word_start - 1]):
        word_start -= 1
        if start - word_start > _MAX_PREFIX:
            return ""
    prefix = s[word_start:start]
    return prefix if prefix in _BARE_PREFIXES or prefix in _ARTICLE_PREFIXES else ""


def _open_end_ok(s: str, end: int) -> bool:
    """Whether a match may end at ``end`` although a word character follows."""
    last = s[end - 1]
    script = script_of(last)
    if script is Script.NOSPACE:
        return not (_is_katakana(last) and _is_katakana(s[end]))
    if script is Script.HANGUL:
        tail_end = end
        while tail_end < len(s) and is_word_char(s[tail_end]):
            tail_end += 1
        return s[end:tail_end] in _HANGUL_SUFFIXES
    return False


def _source_end(text: str, folded: Folded, end: int) -> int:
    """Source end of a folded span, taking in marks that folding dropped (حاليًا, e + U+0301)."""
    src = folded.source_end(end)
    while src < len(text) and fold_char(text[src]) == "" and is_mark(text[src]):
        src += 1
    return src


def _leftmost_longest(matches: Iterable[_Match]) -> list[_Match]:
    """Non-overlapping matches, preferring the earliest, then the longest: "New York City" wins
    over "York", and a name inside a longer known name is not reported."""
    ordered = sorted(matches, key=lambda m: (m.start, -m.end))
    kept: list[_Match] = []
    edge = -1
    for m in ordered:
        if m.start >= edge:
            kept.append(m)
            edge = m.end
    return kept
