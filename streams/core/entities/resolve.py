"""Which entry an ambiguous KB match names: namesakes decided by the document.

Evidence, added on the log10-population scale of the KB's priors (streams.kb.compile.prior):

- the prior itself: population for places, countries above every city, curated entries between;
- ``TYPE_BONUS`` for a candidate of the type the NER model gives the same words: the model read
  the sentence ("the Amazon" after Brasília is a LOC, "Amazon shares" an ORG);
- ``CONTEXT_BONUS`` for a place in a country the text names, by a country or by an unambiguous
  city of a million people or more (capitals and metropolises are rarely anything else; a
  smaller city may be a surname: "Chandler");
- ``NAMESAKE_PLACE`` less for a curated place outside its country's context: with nothing to
  go on, "Amazon" is the company, not the rainforest;
- ``DOCUMENT_BONUS`` for an entry the text names unambiguously elsewhere (a full name resolves a
  shared surname).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import NamedTuple

from streams.core.entities.match import Match
from streams.core.entities.merge import KB, WATCHLIST, ResolvedMention, same_words
from streams.kb import gazetteer
from streams.kb.curated import PLACE_TYPES
from streams.kb.gazetteer import Tables

# A place in a country the text names gets this much on the log10-population scale: enough for
# "Córdoba, Spain" to be Spain's Córdoba, or Pokrovsk near Ukrainian places to be Ukraine's, not
# enough for the United States to pull "Moscow" to Idaho.
CONTEXT_BONUS = 1.5
# An entry the text names unambiguously elsewhere (by a full name) wins its ambiguous mentions.
DOCUMENT_BONUS = 4.0
# The model's type on the same words outweighs any prior short of a country's (a curated entry
# at 12 against a city at 4-7).
TYPE_BONUS = 10.0
# A curated place is worth less than a curated person or organisation of the same name unless
# the text names its country or the model reads it as a place.
NAMESAKE_PLACE = 0.5
# A city this big (log10 population) names its country for the context bonus.
CONTEXT_CITY_PRIOR = 6.0

Spans = Mapping[int, tuple[int, str]]  # end -> (start, type) of the model's spans


def resolve(
    matches: list[Match], tables: tuple[Tables, Tables], spans: Spans, text: str
) -> list[ResolvedMention]:
    """Pick one entry per match (see the module docstring); ``tables`` are the KB's and the
    watchlist's, ``spans`` the model's spans by their end."""
    if not any(len(m.candidates) > 1 for m in matches):  # the usual case: nothing to choose
        out = []
        for m in matches:
            t = tables[m.source]
            entry = m.candidates[0]
            eid = t.ids[entry]
            key = eid if eid is not None else (m.source, entry)
            origin = WATCHLIST if m.source else KB
            out.append(
                ResolvedMention(m.start, m.end, key, m.source, entry, t.types[entry], origin)
            )
        return out
    sure, context = _document(matches, tables)
    scorers: dict[tuple[int, str | None], Callable[[int], float]] = {}
    out = []
    for m in matches:
        t = tables[m.source]
        best = m.candidates[0]
        if len(m.candidates) > 1:
            model_type = _model_type(spans, m, text) if spans else None
            score = scorers.get((m.source, model_type))
            if score is None:
                evidence = _Evidence(sure, context, model_type)
                score = scorers[m.source, model_type] = partial(_score, t, m.source, evidence)
            best = max(m.candidates, key=score)
        origin = WATCHLIST if m.source else KB
        found = _key(t, m.source, best)
        out.append(ResolvedMention(m.start, m.end, found, m.source, best, t.types[best], origin))
    return out


def _key(t: Tables, source: int, entry: int) -> str | tuple[int, int]:
    eid = t.ids[entry]
    return eid if eid is not None else (source, entry)


def _document(
    matches: list[Match], tables: tuple[Tables, Tables]
) -> tuple[set[tuple[int, int]], set[str]]:
    """The entries the text names unambiguously, and the countries it names (by a country or
    an unambiguous city of a million people)."""
    sure: set[tuple[int, int]] = set()
    context: set[str] = set()
    for m in matches:
        t = tables[m.source]
        top = m.candidates[0]
        single = len(m.candidates) == 1
        if single:
            sure.add((m.source, top))
        country = t.countries[top]
        if country:
            prior = t.priors[top]
            if prior >= gazetteer.COUNTRY_PRIOR or (
                single
                and CONTEXT_CITY_PRIOR <= prior < gazetteer.CURATED_PRIOR
                and t.types[top] in PLACE_TYPES
            ):
                context.add(country)
    return sure, context


def _model_type(spans: Spans, m: Match, text: str) -> str | None:
    hit = spans.get(m.end)
    if hit is None:
        return None
    start, etype = hit
    return etype if same_words(text, (start, m.end), (m.start, m.end)) else None


class _Evidence(NamedTuple):
    sure: set[tuple[int, int]]  # (source, entry) named unambiguously somewhere in the text
    context: set[str]  # countries the text names
    model_type: str | None  # the model's type on the same words


def _score(t: Tables, source: int, evidence: _Evidence, i: int) -> float:
    sure, context, model_type = evidence
    score = float(t.priors[i])
    if (source, i) in sure:
        score += DOCUMENT_BONUS
    etype = t.types[i]
    if etype in PLACE_TYPES:
        if t.countries[i] in context:
            score += CONTEXT_BONUS
        elif t.priors[i] == gazetteer.CURATED_PRIOR:
            score -= NAMESAKE_PLACE  # "Amazon" alone is the company; near Brazil, the rainforest
    if model_type is not None and (
        etype == model_type or (etype in PLACE_TYPES and model_type in PLACE_TYPES)
    ):
        score += TYPE_BONUS
    return score


__all__ = ["CONTEXT_BONUS", "DOCUMENT_BONUS", "TYPE_BONUS", "resolve"]
