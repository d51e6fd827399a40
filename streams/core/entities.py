"""Entities stage: people, organisations and places, in any language, linked to canonical ids.

The KB (built by ``make kb``) is loaded once. A call folds the text, runs one pass of a
double-array Aho-Corasick automaton over it, keeps the matches whose open sides check out (see
streams.core.entities_match), resolves ambiguous names, then adds names the KB does not know
from span proposers, reported with id null. Folding only deletes characters, and every position
is mapped back, so ``text[e.start:e.end] == e.text`` always holds.

Who wins when sources disagree (the rule for statistical NER models too):

1. Longer matches beat shorter ones they overlap; on the same words a watchlist entry beats
   a KB entry.
2. A KB match beats a model span that equals it, lies inside it or crosses it: the KB span, id
   and type are kept, whatever type the model said ("Telegram" stays ORG if a model says MISC).
3. Except where the model reads a place name as a person or an organisation, exactly on the KB
   match's words, and the place is a city or region rather than a country: the model reads the
   sentence, the KB only the name ("Porto beat Benfica": a club; "Brian Lara": a person), so
   the model's type wins and the mention is unlinked rather than linked to the wrong place.
4. A model span that contains KB places and is itself not a place replaces them: "Bank of
   England" (ORG) is one entity, not England (LOC). So does a model place strictly longer
   than every KB place inside it: "América Latina" is one place, not Latina (Italy), and
   "Río Grande do Sul" not Río Grande. In Chinese, which has no spaces, any model name strictly
   longer than every KB match inside it does: 微软公司, not 微软; 中共河北省委, not 中共 + 河北省.
5. Any other model span is reported as an unlinked entity of the model's type.
6. Where a model runs, a one-word KB place that is an everyday word (the KB's common words:
   German "Stadt", "Mitte", "Norden", all capitalised nouns; Spanish "Cita"), or any Chinese
   one (no spaces: 青年 "youth", 民主 "democracy" inside longer words), that no model span
   touches is dropped: the model read the sentence and saw no name there. Countries stay.
7. The built-in rules (capitalised words, title cues) come last, and only for languages no model
   covers: kept only where the KB found nothing. Where a model runs, it already judged those
   words, and the rules' guesses (all-capital table headers, sentence-initial words) only add
   false alarms.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from streams.core.entities_match import Match, longest_first, scan
from streams.core.entities_rules import RuleProposer
from streams.core.entities_watchlist import (
    Watchlist,
    WatchlistResult,
    load_watchlist,
    stamp,
)
from streams.core.text import cut_at_space
from streams.kb import gazetteer
from streams.kb.curated import PLACE_TYPES
from streams.kb.gazetteer import Automaton, Tables
from streams.kb.normalize import fold, fold_key
from streams.models import Entity

# A place in a country the text names gets this much on the log10-population scale: enough for
# "Córdoba, Spain" to be Spain's Córdoba, or Pokrovsk near Ukrainian places to be Ukraine's, not
# enough for the United States to pull "Moscow" to Idaho.
CONTEXT_BONUS = 1.5
# An entry the text names unambiguously elsewhere (by a full name) wins its ambiguous mentions.
DOCUMENT_BONUS = 4.0


class SpanProposer(Protocol):
    """Something that proposes entity spans: a statistical NER model, or the built-in rules.

    ``propose`` returns ``(start, end, type)`` character spans into ``text``, type one of PERSON,
    ORG, LOC, GPE, MISC. See the module docstring for how they are merged with KB matches.
    """

    def propose(self, text: str, language: str | None) -> Sequence[tuple[int, int, str]]: ...

    def covers(self, language: str | None) -> bool:
        """Whether ``propose`` has a model for this language (the rules stand down if so)."""
        ...


class Mention(NamedTuple):
    """One mention of an entity: where, what type, and the entity's id and canonical name."""

    start: int
    end: int
    type: str
    id: str | None
    name: str


# type, id, name, country, lat, lon
_Fields = tuple[str, str | None, str, str | None, float | None, float | None]


class _Mention(NamedTuple):
    start: int
    end: int
    key: Any  # what mentions of one entity share: its id, else (source, entry) or (surface, type)
    source: int  # -1 unlinked, 0 the KB, 1 the watchlist
    entry: int  # index into the source's tables (-1 unlinked)
    type: str


@dataclass(frozen=True, slots=True)
class EntityLimits:
    """What bounds the stage's work on one text (settings ``entities.max_chars`` and
    ``entities.max_mentions``): the KB, the model and the rules read at most ``max_chars``
    characters (cut at a space), and at most ``max_mentions`` mentions are kept, the first in
    the text. A long article has a few hundred mentions in 30,000 characters; the caps only
    bite on lists and hostile input, and the result says when they did."""

    max_chars: int = 100_000
    max_mentions: int = 2_000


MAX_CHARS = "entities.max_chars"
MAX_MENTIONS = "entities.max_mentions"


class EntityResult(NamedTuple):
    entities: tuple[Entity, ...]
    limits: tuple[str, ...]  # the caps that cut this text's analysis (MAX_CHARS, MAX_MENTIONS)


class EntityExtractor:
    """Find and link entities in a text; build once, call per message."""

    def __init__(
        self,
        automaton: Automaton,
        tables: Tables,
        *,
        proposer: SpanProposer | None = None,
        watchlist: Watchlist | None = None,
        limits: EntityLimits = EntityLimits(),
    ) -> None:
        self._automaton = automaton
        self._t = tables
        self._proposer = proposer
        self._limits = limits
        self._rules = RuleProposer(tables.common_words)
        self._watchlist = watchlist
        self._watchlist_path: Path | None = None
        self._all_language_stops = frozenset().union(*tables.stop_when_language.values())
        self._field_cache: dict[int, _Fields] = {}

    @classmethod
    def load(
        cls,
        path: Path | None = None,
        *,
        proposer: SpanProposer | None = None,
        watchlist_path: Path | None = None,
        limits: EntityLimits = EntityLimits(),
    ) -> EntityExtractor:
        """Load the compiled KB (default: the package's data file, built by ``make kb``).

        Raises GazetteerMissingError (a FileNotFoundError) when it has not been built.
        """
        automaton, tables = gazetteer.load(path)
        extractor = cls(automaton, tables, proposer=proposer, limits=limits)
        if watchlist_path is not None:
            extractor.reload_watchlist(watchlist_path)
        return extractor

    @property
    def meta(self) -> dict[str, Any]:
        return self._t.meta

    # --- watchlists -------------------------------------------------------------------------

    def with_watchlist(self, path: Path) -> EntityExtractor:
        """A new extractor sharing this one's KB, with the watchlist at ``path`` loaded."""
        other = EntityExtractor(
            self._automaton, self._t, proposer=self._proposer, limits=self._limits
        )
        other.reload_watchlist(path)
        return other

    @property
    def watchlist(self) -> WatchlistResult | None:
        return None if self._watchlist is None else self._watchlist.result

    def reload_watchlist(self, path: Path | None = None) -> WatchlistResult:
        """(Re)load the watchlist (default: the last path loaded). Lines with errors are skipped
        and reported; a file that cannot be read keeps the previous watchlist in place."""
        path = path or self._watchlist_path
        if path is None:
            raise ValueError("no watchlist path given and none loaded before")
        self._watchlist_path = path
        loaded = load_watchlist(path)
        if isinstance(loaded, WatchlistResult):
            return loaded
        self._watchlist = loaded  # one assignment: a concurrent extract sees old or new, whole
        return loaded.result

    def reload_watchlist_if_changed(self) -> WatchlistResult | None:
        """Reload when the file's mtime or size changed since it was read (for a poll timer)."""
        if self._watchlist_path is None:
            return None
        current = self._watchlist
        if current is not None and stamp(self._watchlist_path) == current.stamp:
            return None
        return self.reload_watchlist()

    # --- extraction -------------------------------------------------------------------------

    def analyse(self, text: str, language: str | None = None) -> EntityResult:
        """One Entity per distinct entity, at its first mention, ordered by position, and the
        caps (:class:`EntityLimits`) that cut the analysis, if any."""
        if not text:
            return EntityResult((), ())
        mentions, limits = self._capped_mentions(text, language)
        return EntityResult(self._entities(text, mentions), limits)

    def extract(self, text: str, language: str | None = None) -> tuple[Entity, ...]:
        """``analyse`` without the caps' report."""
        return self.analyse(text, language).entities

    def mentions(self, text: str, language: str | None = None) -> tuple[Mention, ...]:
        """Every mention, in text order (for evaluation and highlighting; ``extract`` groups
        them into entities)."""
        if not text:
            return ()
        out = []
        for m in self._capped_mentions(text, language)[0]:
            if m.source < 0:
                out.append(Mention(m.start, m.end, m.type, None, text[m.start : m.end]))
            else:
                t = self._tables(m.source)
                out.append(Mention(m.start, m.end, m.type, t.ids[m.entry], t.names[m.entry]))
        return tuple(out)

    def _capped_mentions(
        self, text: str, language: str | None
    ) -> tuple[list[_Mention], tuple[str, ...]]:
        """The mentions in text order, within the stage's limits, and the limits that bit."""
        limits: list[str] = []
        read = cut_at_space(text, self._limits.max_chars)
        if len(read) < len(text):
            limits.append(MAX_CHARS)
        mentions = sorted(self._mentions(read, language), key=lambda m: m.start)
        if len(mentions) > self._limits.max_mentions:
            del mentions[self._limits.max_mentions :]
            limits.append(MAX_MENTIONS)
        return mentions, tuple(limits)

    def _mentions(self, text: str, language: str | None) -> list[_Mention]:
        folded = fold(text)
        stops = self._language_stops(language)
        matches = list(scan(self._automaton, self._t, text, folded, stops))
        wl = self._watchlist
        if wl is not None:
            matches.extend(scan(wl.automaton, wl.tables, text, folded, stops, source=1))
        mentions = self._resolve(longest_first(matches))
        proposer = self._proposer
        if proposer is not None and proposer.covers(language):
            return _merge_model(mentions, proposer.propose(text, language), text, self._t)
        taken = bytearray(len(text))
        for m in mentions:
            taken[m.start : m.end] = b"\x01" * (m.end - m.start)
        return _merge_rules(mentions, self._rules.propose(text, language, taken), taken, text)

    def _language_stops(self, language: str | None) -> frozenset[str]:
        base = (language or "").replace("_", "-").split("-", 1)[0].lower()
        if base in ("", "und"):
            return self._all_language_stops  # unknown language: the words of any of them
        return self._t.stop_when_language.get(base, frozenset())

    def _tables(self, source: int) -> Tables:
        if source == 1 and self._watchlist is not None:
            return self._watchlist.tables
        return self._t

    def _resolve(self, matches: list[Match]) -> list[_Mention]:
        """Pick one entry per match: prior, the countries the text names, and entries the text
        names unambiguously elsewhere."""
        tables = (self._t, self._tables(1))
        sure: set[tuple[int, int]] = set()
        context: set[str] = set()
        for m in matches:
            t = tables[m.source]
            top = m.candidates[0]
            if len(m.candidates) == 1:
                sure.add((m.source, top))
            # Only countries count as context: a city that is really a word or a surname
            # ("Chandler") must not drag other names to its country.
            country = t.countries[top]
            if t.priors[top] >= gazetteer.COUNTRY_PRIOR and country:
                context.add(country)
        out = []
        for m in matches:
            t = tables[m.source]
            best = m.candidates[0]
            if len(m.candidates) > 1:
                best = max(m.candidates, key=partial(_score, t, m.source, sure, context))
            eid = t.ids[best]
            key = eid if eid is not None else (m.source, best)
            out.append(_Mention(m.start, m.end, key, m.source, best, t.types[best]))
        return out

    def _entities(self, text: str, mentions: list[_Mention]) -> tuple[Entity, ...]:
        first: dict[Any, _Mention] = {}
        counts: dict[Any, int] = {}
        for m in sorted(mentions, key=lambda m: m.start):
            counts[m.key] = counts.get(m.key, 0) + 1
            first.setdefault(m.key, m)
        out = []
        for key, m in first.items():
            surface = text[m.start : m.end]
            if m.source < 0:
                out.append(Entity(surface, m.type, None, surface, m.start, m.end, counts[key]))
                continue
            etype, eid, name, country, lat, lon = self._fields(m.source, m.entry)
            out.append(
                Entity(surface, etype, eid, name, m.start, m.end, counts[key], country, lat, lon)
            )
        return tuple(out)

    def _fields(self, source: int, i: int) -> _Fields:
        """An entry's output fields; the main KB's are cached (they never change)."""
        if source == 0:
            known = self._field_cache.get(i)
            if known is not None:
                return known
        t = self._tables(source)
        etype = t.types[i]
        if etype in PLACE_TYPES:  # the contract gives places a country and coordinates
            lat, lon = gazetteer.coordinate(t.lats[i]), gazetteer.coordinate(t.lons[i])
            fields = (etype, t.ids[i], t.names[i], t.countries[i], lat, lon)
        else:
            fields = (etype, t.ids[i], t.names[i], None, None, None)
        if source == 0:
            self._field_cache[i] = fields
        return fields


def _score(t: Tables, source: int, sure: set[tuple[int, int]], context: set[str], i: int) -> float:
    bonus = DOCUMENT_BONUS if (source, i) in sure else 0.0
    if t.types[i] in PLACE_TYPES and t.countries[i] in context:
        bonus += CONTEXT_BONUS
    return float(t.priors[i]) + bonus


def _unlinked(start: int, end: int, etype: str, text: str) -> _Mention:
    # Unlinked mentions of one entity share their surface and type (the contract's rule).
    return _Mention(start, end, (text[start:end], etype), -1, -1, etype)


def _valid(span: tuple[int, int, str], n: int) -> bool:
    start, end, etype = span
    return 0 <= start < end <= n and etype in ("PERSON", "ORG", "LOC", "GPE", "MISC")


def _merge_model(
    mentions: list[_Mention], spans: Sequence[tuple[int, int, str]], text: str, kb: Tables
) -> list[_Mention]:
    """Rules 2-6 of the module docstring, in O((m + s) log m) for m KB mentions and s spans.

    ``mentions`` are the KB's, non-overlapping and in text order (``longest_first``), so their
    ends are sorted too and the mentions a span touches are one run found by bisection. Model
    spans come from a tagger and do not overlap each other; one that overlaps a span already
    taken is dropped.
    """
    starts = [m.start for m in mentions]
    ends = [m.end for m in mentions]
    removed = bytearray(len(mentions))
    judged = bytearray(len(mentions))  # a model span touches it
    added: list[_Mention] = []
    taken_end = -1  # end of the last model span added: spans do not overlap it
    for span in sorted(s for s in spans if _valid(s, len(text))):
        start, end, etype = span
        lo, hi = bisect_right(ends, start), bisect_left(starts, end)
        judged[lo:hi] = b"\x01" * max(0, hi - lo)
        if start < taken_end:
            continue
        touching = [i for i in range(lo, hi) if not removed[i]]
        inside = [mentions[i] for i in touching if start <= starts[i] and ends[i] <= end]
        if len(inside) < len(touching):
            continue  # a KB mention crosses the span's edge: the KB's reading stands
        if inside and not _model_reads_place_as_name(inside, start, end, etype, kb):
            places = all(m.type in PLACE_TYPES for m in inside)
            shorter = all(m.end - m.start < end - start for m in inside)
            if _han(text[start:end]):  # rule 4, Chinese: a longer name of any type
                replaces = shorter
            elif etype in PLACE_TYPES:  # rule 4, a longer place: every KB place is shorter
                replaces = places and shorter
            else:
                replaces = places and any(m.end - m.start < end - start for m in inside)
            if not replaces:
                continue  # rule 2: the KB match stands
        for i in touching:
            removed[i] = 1
        added.append(_unlinked(start, end, etype, text))
        taken_end = end
    for i, m in enumerate(mentions):  # rule 6
        if not judged[i] and not removed[i] and _everyday_place(m, text, kb):
            removed[i] = 1
    return [m for m, gone in zip(mentions, removed, strict=True) if not gone] + added


def _everyday_place(m: _Mention, text: str, kb: Tables) -> bool:
    surface = text[m.start : m.end]
    return (
        m.source == 0
        and m.type in PLACE_TYPES
        and " " not in surface
        and kb.priors[m.entry] < gazetteer.COUNTRY_PRIOR
        and (fold_key(surface) in kb.common_words or _han(surface))
    )


def _han(surface: str) -> bool:
    """Chinese has no spaces: a KB name may be two characters of a longer word (青年, 民主)."""
    return all("\u4e00" <= ch <= "\u9fff" for ch in surface)


def _model_reads_place_as_name(
    inside: list[_Mention], start: int, end: int, etype: str, kb: Tables
) -> bool:
    """Rule 3: the model calls a KB city or region, exactly on its words, a person or an org."""
    if etype not in ("PERSON", "ORG") or len(inside) != 1:
        return False
    m = inside[0]
    return (
        (m.start, m.end) == (start, end)
        and m.source == 0
        and m.type in PLACE_TYPES
        and kb.priors[m.entry] < gazetteer.COUNTRY_PRIOR
    )


def _merge_rules(
    mentions: list[_Mention], spans: Sequence[tuple[int, int, str]], taken: bytearray, text: str
) -> list[_Mention]:
    """Rule 7: a rule span is kept only where the KB found no name (``taken`` marks them)."""
    out = list(mentions)
    for start, end, etype in spans:
        if 1 in taken[start:end]:
            continue
        out.append(_unlinked(start, end, etype, text))
        taken[start:end] = b"\x01" * (end - start)
    return out
