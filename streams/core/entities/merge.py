"""How KB matches, model spans and rule spans become one set of mentions: rules 3 and 5 of
:mod:`streams.core.entities.extractor`'s docstring, in time linear in the mentions (up to a
logarithm), whatever the text.

KB mentions and model spans that overlap form a cluster; each cluster is decided on its own by
:func:`decide`, which compares extents word by word (an Arabic proclitic the model leaves out of
a span, و|واشنطن, is still the same word).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any, NamedTuple

from streams.kb import gazetteer
from streams.kb.curated import PLACE_TYPES
from streams.kb.gazetteer import Tables

# Where a mention came from (ResolvedMention.origin, a bit set); Entity.source spells it out.
KB, WATCHLIST, MODEL, RULES = 1, 2, 4, 8
_SOURCE_NAMES = ((KB, "kb"), (WATCHLIST, "watchlist"), (MODEL, "model"), (RULES, "rules"))
# A dateline's city and country are a comma apart ("NICE , France", "NICE, France").
_DATELINE_GAP = 3
# A proclitic glued before a name is at most this many letters (وبال, ولل).
_PROCLITIC_MAX = 4


def _source_name(origin: int) -> str:
    return "+".join(name for bit, name in _SOURCE_NAMES if origin & bit)


_SOURCES = tuple(_source_name(origin) for origin in range(16))


def source_name(origin: int) -> str:
    """``kb``, ``model``, ``kb+model`` ...: the bits of ``origin`` in a fixed order."""
    return _SOURCES[origin]


class ResolvedMention(NamedTuple):
    """A mention with what it resolved to: the KB or watchlist entry, or nothing (unlinked)."""

    start: int
    end: int
    key: Any  # what mentions of one entity share: its id, else (source, entry) or (surface, type)
    source: int  # -1 unlinked, 0 the KB, 1 the watchlist
    entry: int  # index into the source's tables (-1 unlinked)
    type: str
    origin: int = KB  # KB | WATCHLIST | MODEL | RULES bits


def unlinked(start: int, end: int, etype: str, text: str, origin: int = MODEL) -> ResolvedMention:
    # Unlinked mentions of one entity share their surface and type (the contract's rule).
    return ResolvedMention(start, end, (text[start:end], etype), -1, -1, etype, origin)


_EDGE_PUNCT = "[](){}<>\"'«»“”‘’,;:،؛!?؟"


def _valid(span: tuple[int, int, str], n: int) -> bool:
    start, end, etype = span
    return 0 <= start < end <= n and etype in ("PERSON", "ORG", "LOC", "GPE", "MISC")


def clean_spans(spans: Sequence[tuple[int, int, str]], text: str) -> list[tuple[int, int, str]]:
    """Valid spans, trimmed of edge punctuation, in order, none overlapping an earlier one."""
    out: list[tuple[int, int, str]] = []
    last_end = -1
    n = len(text)
    trimmed = [_trimmed(s, text) for s in spans if _valid(s, n)]
    for span in sorted(trimmed):
        if span[0] >= last_end and span[0] < span[1]:
            out.append(span)
            last_end = span[1]
    return out


def _trimmed(span: tuple[int, int, str], text: str) -> tuple[int, int, str]:
    """A span without brackets or quotes at its edges (a tagger's token may keep them: بوتين]),
    nor the spaces they leave there."""
    start, end, etype = span
    while start < end and (text[start] in _EDGE_PUNCT or text[start].isspace()):
        start += 1
    while end > start and (text[end - 1] in _EDGE_PUNCT or text[end - 1].isspace()):
        end -= 1
    return start, end, etype


def _glued(text: str, a: int, b: int) -> bool:
    """Whether positions ``a`` <= ``b`` are in one word, at most a proclitic apart."""
    if a == b:
        return True
    gap = text[a:b]
    return len(gap) <= _PROCLITIC_MAX and all(
        "\u0600" <= c <= "\u06ff" or "\u0590" <= c <= "\u05ff" for c in gap
    )


def same_words(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two spans cover the same words (a proclitic left out of one does not count)."""
    if a[1] != b[1]:
        return False
    return a[0] == b[0] or _glued(text, min(a[0], b[0]), max(a[0], b[0]))


def merge_model(
    mentions: list[ResolvedMention], spans: Sequence[tuple[int, int, str]], text: str, kb: Tables
) -> list[ResolvedMention]:
    """Rules 2-5 of the module docstring, cluster by cluster, in O((m + s) log(m + s)).

    ``mentions`` are the KB's, non-overlapping (``longest_first``). Model spans come from a
    tagger and do not overlap each other; one that overlaps an earlier span is dropped.
    """
    return merge_clean(mentions, clean_spans(spans, text), text, kb)


def merge_clean(
    mentions: list[ResolvedMention], spans: list[tuple[int, int, str]], text: str, kb: Tables
) -> list[ResolvedMention]:
    """``merge_model`` for spans already through ``clean_spans``: both lists are in text order,
    so one sweep gathers each cluster of overlapping items; most are a KB match or a model span
    alone, which need no decision."""
    if not spans:
        return list(mentions)
    lines = datelines(mentions, text, kb)
    out: list[ResolvedMention] = []
    i = j = 0
    n_kb, n_spans = len(mentions), len(spans)
    while i < n_kb or j < n_spans:
        cluster_kb: list[ResolvedMention] = []
        cluster_spans: list[tuple[int, int, str]] = []
        if j >= n_spans or (i < n_kb and mentions[i].start <= spans[j][0]):
            reach = mentions[i].end
            cluster_kb.append(mentions[i])
            i += 1
        else:
            reach = spans[j][1]
            cluster_spans.append(spans[j])
            j += 1
        while True:
            if i < n_kb and mentions[i].start < reach:
                cluster_kb.append(mentions[i])
                reach = max(reach, mentions[i].end)
                i += 1
            elif j < n_spans and spans[j][0] < reach:
                cluster_spans.append(spans[j])
                reach = max(reach, spans[j][1])
                j += 1
            else:
                break
        if not cluster_spans:
            out.extend(cluster_kb)
        elif not cluster_kb:
            out.extend(unlinked(s, e, t, text) for s, e, t in cluster_spans)
        else:
            out.extend(decide(cluster_kb, cluster_spans, text, kb, lines))
    return out


def decide(
    found: list[ResolvedMention],
    spans: list[tuple[int, int, str]],
    text: str,
    kb: Tables | Any,
    datelines: frozenset[int] = frozenset(),
) -> list[ResolvedMention]:
    """One cluster of overlapping KB mentions and model spans (each list non-overlapping).

    - nothing to compare: each side stands alone (a model span unlinked, a KB match as is);
    - the same words (rule 2): the KB link, confirmed by the model when the types agree; a
      city or region the model reads as a person or an organisation is that (rule 3), unless
      its own country follows it after a comma (a dateline: "TIGNES , France"); a place
      the model reads as MISC is a nationality word ("Swiss", "Argentine"), not the place;
    - a model span around KB matches (rule 4): the model's longer name ("Bank of England",
      "Melbourne Cricket Ground", "Andrei Ivanov"), unless it joins two or more KB names of
      another kind than itself ("Barcelona Real Madrid" in a results table);
    - a KB match around one model span of the same type: the KB link on the model's words
      (ANERcorp and CoNLL tag مكة, not مكة المكرمة; Gaza, not the Strip), except a country,
      whose name is one whole (جنوب أفريقيا is South Africa, not Africa);
    - anything else (crossing edges): the KB's reading stands.
    """
    if not spans:
        return found
    if not found:
        return [unlinked(s, e, t, text) for s, e, t in spans]
    if len(spans) == 1:
        start, end, etype = spans[0]
        if len(found) == 1:
            m = found[0]
            if same_words(text, (m.start, m.end), (start, end)):
                return _same_words(m, (start, end, etype), text, kb, datelines)
            if (
                m.start <= start
                and end <= m.end
                and _agree(m.type, etype)
                and kb.priors[m.entry] < gazetteer.COUNTRY_PRIOR
            ):
                return [
                    ResolvedMention(start, end, m.key, m.source, m.entry, m.type, m.origin | MODEL)
                ]
        if start <= found[0].start and found[-1].end <= end:
            kinds = {m.type for m in found}
            if len(found) == 1 or etype not in kinds | (
                {"LOC", "GPE"} if kinds & PLACE_TYPES else set()
            ):
                return [unlinked(start, end, etype, text)]
    return found


def _agree(kb_type: str, model_type: str) -> bool:
    return kb_type == model_type or (kb_type in PLACE_TYPES and model_type in PLACE_TYPES)


def _same_words(
    m: ResolvedMention,
    span: tuple[int, int, str],
    text: str,
    kb: Tables | Any,
    datelines: frozenset[int],
) -> list[ResolvedMention]:
    start, end, etype = span
    if _agree(m.type, etype):
        return [ResolvedMention(m.start, m.end, m.key, m.source, m.entry, m.type, m.origin | MODEL)]
    if m.source != 0 or m.type not in PLACE_TYPES or m.start in datelines:
        return [m]  # a curated person or organisation, the deployment's own entry, a dateline
    if etype == "MISC":
        return []  # "Swiss", "Argentine": a nationality word, not the country
    if etype in ("PERSON", "ORG") and kb.priors[m.entry] < gazetteer.COUNTRY_PRIOR:
        return [unlinked(start, end, etype, text)]  # "Leeds won", "Lara scored"
    return [m]  # a country stays a country whatever the model says ("Russia said")


def datelines(mentions: list[ResolvedMention], text: str, kb: Tables | Any) -> frozenset[int]:
    """Starts of KB cities followed by a comma and their own country ("TIGNES , France")."""
    out = set()
    for m, nxt in pairwise(mentions):
        if (
            nxt.start - m.end <= _DATELINE_GAP
            and m.source == 0
            and nxt.source == 0
            and m.type in PLACE_TYPES
            and kb.priors[nxt.entry] >= gazetteer.COUNTRY_PRIOR
            and kb.countries[m.entry] is not None
            and kb.countries[m.entry] == kb.countries[nxt.entry]
            and text[m.end : nxt.start].strip() == ","
        ):
            out.add(m.start)
    return frozenset(out)


def merge_rules(
    mentions: list[ResolvedMention],
    spans: Sequence[tuple[int, int, str]],
    taken: bytearray,
    text: str,
) -> list[ResolvedMention]:
    """Rule 6: a rule span is kept only where the KB found no name (``taken`` marks them)."""
    out = list(mentions)
    for start, end, etype in spans:
        if 1 in taken[start:end]:
            continue
        out.append(unlinked(start, end, etype, text, RULES))
        taken[start:end] = b"\x01" * (end - start)
    return out
