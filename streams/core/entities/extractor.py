"""Entities stage: people, organisations and places, in any language, linked to canonical ids.

The KB (built by ``make kb``) is loaded once. A call folds the text, runs one pass of a
double-array Aho-Corasick automaton over it, keeps the matches whose open sides check out (see
streams.core.entities.match), resolves ambiguous names, then adds names the KB does not know
from span proposers, reported with id null. Folding only deletes characters, and every position
is mapped back, so ``text[e.start:e.end] == e.text`` always holds.

Who wins when sources disagree (the rule for statistical NER models too):

1. Longer matches beat shorter ones they overlap; on the same words a watchlist entry beats
   a KB entry.
2. An ambiguous KB name takes the candidate of the model's type there, in a country the text
   names, or named unambiguously elsewhere (streams.core.entities.resolve).
3. KB matches and model spans that overlap are decided cluster by cluster
   (streams.core.entities.merge, ``decide``): on the same words the KB's link, confirmed when
   the types agree, except a city or region the model reads as a person or an organisation
   (unless a dateline: "NICE , France") and a place it reads as MISC (a nationality word); the
   model's longer name over KB names inside it; the KB's link on a shorter model span of the
   same type inside a KB name that is not a country; otherwise the KB's reading. A model span
   alone is an unlinked entity of the model's type.
4. Then the document's context (streams.core.entities.context): a KB city or region in a
   person's context becomes a person, one opening a row of results a team, and one the model
   read as no name at all is dropped unless the story supports it.
5. The built-in rules (capitalised words, title cues) come last, and only where no model reads
   the text: kept only where the KB found nothing. Where a model runs, it already judged those
   words, and the rules' guesses (all-capital table headers, sentence-initial words) only add
   false alarms. Which model reads a text is streams.core.entities.language's choice.

Every mention says where it came from (``ResolvedMention.origin``), and every entity carries all
its mentions and the union of their sources (``Entity.mentions``, ``Entity.source``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from streams.core.entities.context import apply_context
from streams.core.entities.language import model_language
from streams.core.entities.match import longest_first, scan
from streams.core.entities.merge import (
    ResolvedMention,
    clean_spans,
    merge_clean,
    merge_rules,
    source_name,
)
from streams.core.entities.resolve import resolve
from streams.core.entities.rules import RuleProposer
from streams.core.entities.watchlist import (
    DEFAULT_LIST,
    Watchlist,
    WatchlistResult,
    load_watchlists,
    stamps_of,
)
from streams.core.text import cut_at_space
from streams.kb import gazetteer
from streams.kb.curated import PLACE_TYPES
from streams.kb.gazetteer import Automaton, Tables
from streams.kb.normalize import fold
from streams.models import Entity, Language, MentionSpan, mention_span, new_entity


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


@dataclass(frozen=True, slots=True)
class EntityLimits:
    """What bounds the stage's work on one text (settings ``entities.max_chars`` and
    ``entities.max_mentions``): the KB, the model and the rules read at most ``max_chars``
    characters (cut at a space), and at most ``max_mentions`` mentions are kept, the first in
    the text. A long article has a few hundred mentions in 30,000 characters; the caps only
    bite on lists and hostile input, and the result says when they did."""

    max_chars: int = 50_000
    max_mentions: int = 2_000


MAX_CHARS = "entities.max_chars"
# ``ner_language`` left out: the model of the text's own language.
SAME = "\x00same"
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
        self._watchlist_files: Mapping[str, Path] | None = None
        self._all_language_stops = frozenset().union(*tables.stop_when_language.values())
        self._field_cache: dict[int, _Fields] = {}

    @classmethod
    def load(
        cls,
        path: Path | None = None,
        *,
        proposer: SpanProposer | None = None,
        watchlist_path: Path | Mapping[str, Path] | None = None,
        limits: EntityLimits = EntityLimits(),
    ) -> EntityExtractor:
        """Load the compiled KB (default: the package's data file, built by ``make kb``).

        Raises GazetteerMissingError (a FileNotFoundError) when it has not been built.
        """
        automaton, tables = gazetteer.load(path)
        extractor = cls(automaton, tables, proposer=proposer, limits=limits)
        if watchlist_path:
            extractor.reload_watchlist(watchlist_path)
        return extractor

    @property
    def meta(self) -> dict[str, Any]:
        return self._t.meta

    # --- watchlists -------------------------------------------------------------------------

    def with_watchlist(self, path: Path | Mapping[str, Path]) -> EntityExtractor:
        """A new extractor sharing this one's KB, with the watchlist at ``path`` loaded (or the
        named lists of a mapping)."""
        other = EntityExtractor(
            self._automaton, self._t, proposer=self._proposer, limits=self._limits
        )
        other.reload_watchlist(path)
        return other

    @property
    def watchlist(self) -> WatchlistResult | None:
        return None if self._watchlist is None else self._watchlist.result

    def reload_watchlist(self, path: Path | Mapping[str, Path] | None = None) -> WatchlistResult:
        """(Re)load the watchlist (default: the last path loaded), or several named lists given
        as a mapping of name to path (one path is the list named ``watchlist``). Lines with
        errors are skipped and reported; a file that cannot be read keeps its previous list."""
        files = {DEFAULT_LIST: path} if isinstance(path, Path) else path or self._watchlist_files
        if not files:
            raise ValueError("no watchlist path given and none loaded before")
        self._watchlist_files = files
        loaded = load_watchlists(files, self._watchlist)
        if isinstance(loaded, WatchlistResult):
            return loaded
        self._watchlist = loaded  # one assignment: a concurrent extract sees old or new, whole
        return loaded.result

    def reload_watchlist_if_changed(self) -> WatchlistResult | None:
        """Reload when the file's mtime or size changed since it was read (for a poll timer)."""
        if self._watchlist_files is None:
            return None
        current = self._watchlist
        if current is not None and stamps_of(self._watchlist_files) == current.stamp:
            return None
        return self.reload_watchlist()

    # --- extraction -------------------------------------------------------------------------

    def model_language(self, language: Language, text: str, hint: str | None = None) -> str | None:
        """The language whose NER model should read ``text``: the detected one, else a fallback
        when detection is unsure (streams.core.entities.language); None for no model."""
        proposer = self._proposer
        if proposer is None:
            return None
        return model_language(language, text, hint, proposer.covers)

    def analyse(
        self, text: str, language: str | None = None, *, ner_language: str | None = SAME
    ) -> EntityResult:
        """One Entity per distinct entity, at its first mention, ordered by position, and the
        caps (:class:`EntityLimits`) that cut the analysis, if any. ``ner_language`` picks the
        NER model (default: ``language``'s; None: no model, the rules read the text)."""
        if not text:
            return EntityResult((), ())
        mentions, limits = self._capped_mentions(text, language, ner_language)
        return EntityResult(self._on_watchlists(self._entities(text, mentions)), limits)

    def extract(
        self, text: str, language: str | None = None, *, ner_language: str | None = SAME
    ) -> tuple[Entity, ...]:
        """``analyse`` without the caps' report."""
        return self.analyse(text, language, ner_language=ner_language).entities

    def mentions(
        self, text: str, language: str | None = None, *, ner_language: str | None = SAME
    ) -> tuple[Mention, ...]:
        """Every mention, in text order (for evaluation and highlighting; ``extract`` groups
        them into entities)."""
        if not text:
            return ()
        out = []
        for m in self._capped_mentions(text, language, ner_language)[0]:
            if m.source < 0:
                out.append(Mention(m.start, m.end, m.type, None, text[m.start : m.end]))
            else:
                t = self._tables(m.source)
                out.append(Mention(m.start, m.end, m.type, t.ids[m.entry], t.names[m.entry]))
        return tuple(out)

    def _capped_mentions(
        self, text: str, language: str | None, ner_language: str | None
    ) -> tuple[list[ResolvedMention], tuple[str, ...]]:
        """The mentions in text order, within the stage's limits, and the limits that bit."""
        limits: list[str] = []
        read = cut_at_space(text, self._limits.max_chars)
        if len(read) < len(text):
            limits.append(MAX_CHARS)
        model = language if ner_language == SAME else ner_language
        mentions = sorted(self._mentions(read, language, model), key=lambda m: m.start)
        if len(mentions) > self._limits.max_mentions:
            del mentions[self._limits.max_mentions :]
            limits.append(MAX_MENTIONS)
        return mentions, tuple(limits)

    def _mentions(
        self, text: str, language: str | None, model: str | None
    ) -> list[ResolvedMention]:
        folded = fold(text)
        stops = self._language_stops(language)
        matches = list(scan(self._automaton, self._t, text, folded, stops))
        wl = self._watchlist
        if wl is not None:
            matches.extend(scan(wl.automaton, wl.tables, text, folded, stops, source=1))
        matches = longest_first(matches)
        tables = (self._t, self._tables(1))
        proposer = self._proposer
        if proposer is not None and model is not None and proposer.covers(model):
            spans = clean_spans(proposer.propose(text, model), text)
            by_end = {end: (start, etype) for start, end, etype in spans}
            merged = merge_clean(resolve(matches, tables, by_end, text), spans, text, self._t)
            return apply_context(merged, spans, text, self._t)
        mentions = resolve(matches, tables, {}, text)
        taken = bytearray(len(text))
        for m in mentions:
            taken[m.start : m.end] = b"\x01" * (m.end - m.start)
        return merge_rules(mentions, self._rules.propose(text, language, taken), taken, text)

    def _language_stops(self, language: str | None) -> frozenset[str]:
        base = (language or "").replace("_", "-").split("-", 1)[0].lower()
        if base in ("", "und"):
            return self._all_language_stops  # unknown language: the words of any of them
        return self._t.stop_when_language.get(base, frozenset())

    def _tables(self, source: int) -> Tables:
        if source == 1 and self._watchlist is not None:
            return self._watchlist.tables
        return self._t

    def _entities(self, text: str, mentions: list[ResolvedMention]) -> tuple[Entity, ...]:
        """One Entity per key, at its first mention, with every mention and their sources.
        ``mentions`` are in text order."""
        groups: dict[Any, list[ResolvedMention]] = {}
        for m in mentions:
            group = groups.get(m.key)
            if group is None:
                groups[m.key] = [m]
            else:
                group.append(m)
        out = []
        for group in groups.values():
            m = group[0]
            surface = text[m.start : m.end]
            if len(group) == 1:  # most entities are named once
                where: tuple[MentionSpan, ...] = (mention_span(m.start, m.end),)
                origin = m.origin
            else:
                where = tuple([mention_span(g.start, g.end) for g in group])
                origin = 0
                for g in group:
                    origin |= g.origin
            source = source_name(origin)
            if m.source < 0:
                out.append(
                    new_entity(
                        surface, m.type, None, surface, m.start, m.end, len(where), None, None,
                        None, where, source,
                    )
                )  # fmt: skip
                continue
            etype, eid, name, country, lat, lon = self._fields(m.source, m.entry)
            out.append(
                new_entity(
                    surface, etype, eid, name, m.start, m.end, len(where), country, lat, lon,
                    where, source,
                )
            )  # fmt: skip
        return tuple(out)

    def _on_watchlists(self, entities: tuple[Entity, ...]) -> tuple[Entity, ...]:
        """Each entity with the names of the watchlists its id is on."""
        wl = self._watchlist
        if wl is None or not wl.members:
            return entities
        return tuple(
            replace(e, watchlists=lists) if (lists := wl.lists_of(e.id)) else e for e in entities
        )

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
