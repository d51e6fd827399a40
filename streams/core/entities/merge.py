"""How KB matches, model spans and rule spans become one set of mentions: rules 2-6 of
:mod:`streams.core.entities.extractor`'s docstring, each in time linear in the mentions (up to a
logarithm), whatever the text."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Any, NamedTuple

from streams.kb import gazetteer
from streams.kb.curated import PLACE_TYPES
from streams.kb.gazetteer import Tables
from streams.kb.normalize import fold_key


class ResolvedMention(NamedTuple):
    """A mention with what it resolved to: the KB or watchlist entry, or nothing (unlinked)."""

    start: int
    end: int
    key: Any  # what mentions of one entity share: its id, else (source, entry) or (surface, type)
    source: int  # -1 unlinked, 0 the KB, 1 the watchlist
    entry: int  # index into the source's tables (-1 unlinked)
    type: str


def unlinked(start: int, end: int, etype: str, text: str) -> ResolvedMention:
    # Unlinked mentions of one entity share their surface and type (the contract's rule).
    return ResolvedMention(start, end, (text[start:end], etype), -1, -1, etype)


def _valid(span: tuple[int, int, str], n: int) -> bool:
    start, end, etype = span
    return 0 <= start < end <= n and etype in ("PERSON", "ORG", "LOC", "GPE", "MISC")


def merge_model(
    mentions: list[ResolvedMention], spans: Sequence[tuple[int, int, str]], text: str, kb: Tables
) -> list[ResolvedMention]:
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
    added: list[ResolvedMention] = []
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
        added.append(unlinked(start, end, etype, text))
        taken_end = end
    for i, m in enumerate(mentions):  # rule 6
        if not judged[i] and not removed[i] and _everyday_place(m, text, kb):
            removed[i] = 1
    return [m for m, gone in zip(mentions, removed, strict=True) if not gone] + added


def _everyday_place(m: ResolvedMention, text: str, kb: Tables) -> bool:
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
    inside: list[ResolvedMention], start: int, end: int, etype: str, kb: Tables
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


def merge_rules(
    mentions: list[ResolvedMention],
    spans: Sequence[tuple[int, int, str]],
    taken: bytearray,
    text: str,
) -> list[ResolvedMention]:
    """Rule 7: a rule span is kept only where the KB found no name (``taken`` marks them)."""
    out = list(mentions)
    for start, end, etype in spans:
        if 1 in taken[start:end]:
            continue
        out.append(unlinked(start, end, etype, text))
        taken[start:end] = b"\x01" * (end - start)
    return out
