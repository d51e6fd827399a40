"""One name, one type, within a document: a pass over the tagger's spans of a whole text.

A CRF tags each sentence alone, so a story that opens with "Santa Fe Pacific Gold Corp" may
later call the company "Santa Fe" and get a city, or find "Orlando Pace" and then miss "Pace" at
the start of a sentence. News names an entity in full first and shortens it after, so:

1. a shorter mention that is a later part of a longer PERSON mention in the same text (its last
   word, "Pace" for "Orlando Pace") is a PERSON; one that begins a longer ORG mention ("Santa Fe",
   "Newmont" for "Newmont Mining Corp") is an ORG;
2. in cased scripts, a capitalized word sequence left untagged that equals such a short form,
   or a multi-word name tagged elsewhere, is tagged too;
A short form claimed by entities of different types is ambiguous and left alone, and so is a
short ORG form the text also tags as a place ("New York" of "New York Stock Exchange"), and one
whose every word the text also writes in lower case: an article or a common word ("De" of
"De Morgen", "La" of "La Caixa"), which a sentence opens with. Measured
on CoNLL-2003 dev documents (docs/ner.md), retyping by majority vote gained nothing and was left
out.
"""

from __future__ import annotations

from collections.abc import Sequence

TokenSpan = tuple[int, int, str]
_PROPER_TYPES = ("PERSON", "ORG")


def harmonize(
    sentences: Sequence[Sequence[str]],
    spans: Sequence[Sequence[TokenSpan]],
    *,
    cased: bool,
) -> list[list[TokenSpan]]:
    """``spans[i]`` (token spans of ``sentences[i]``), made consistent across the document."""
    mentions = [
        (tuple(sentences[i][a:b]), kind) for i, sent in enumerate(spans) for a, b, kind in sent
    ]
    if not mentions:
        return [list(s) for s in spans]
    lower = {w for sent in sentences for w in sent if w.islower()}
    aliases = _aliases(mentions, lower)
    # first word -> lengths of the names it starts, longest first
    lengths: dict[str, list[int]] = {}
    for name in aliases:
        lengths.setdefault(name[0], []).append(len(name))
    for found in lengths.values():
        found.sort(reverse=True)
    out: list[list[TokenSpan]] = []
    for words, sent in zip(sentences, spans, strict=True):
        fixed = [(a, b, aliases.get(tuple(words[a:b]), kind)) for a, b, kind in sent]
        if cased:
            fixed = _add_missed(words, fixed, aliases, lengths)
        out.append(fixed)
    return out


def _aliases(
    mentions: Sequence[tuple[tuple[str, ...], str]], lower: set[str]
) -> dict[tuple[str, ...], str]:
    """Short forms of the text's multi-word PERSON and ORG names, and the full names themselves;
    ``lower`` holds the words the text writes in lower case."""
    claims: dict[tuple[str, ...], set[str]] = {}
    for name, kind in mentions:
        if kind not in _PROPER_TYPES or len(name) < 2:
            continue
        claims.setdefault(name, set()).add(kind)
        if kind == "PERSON":
            shorts = [name[-1:], name[-2:]] if len(name) > 2 else [name[-1:]]
        else:
            shorts = [name[:k] for k in range(1, len(name))]
        for short in shorts:
            if all(w[:1].isupper() for w in short) and not all(w.lower() in lower for w in short):
                claims.setdefault(short, set()).add(kind)
    # A short ORG form the text itself also tags as a place is more often the place ("New York"
    # of "New York Stock Exchange") than the company: leave it be.
    places = {name for name, kind in mentions if kind == "LOC"}
    return {
        name: next(iter(kinds))
        for name, kinds in claims.items()
        if len(kinds) == 1 and not (name in places and "ORG" in kinds)
    }


def _add_missed(
    words: Sequence[str],
    spans: list[TokenSpan],
    aliases: dict[tuple[str, ...], str],
    lengths: dict[str, list[int]],
) -> list[TokenSpan]:
    taken = [False] * len(words)
    for a, b, _ in spans:
        for i in range(a, b):
            taken[i] = True
    added: list[TokenSpan] = []
    i = 0
    while i < len(words):
        hit = None
        for length in lengths.get(words[i], ()):
            if i + length > len(words):
                continue
            name = tuple(words[i : i + length])
            if name in aliases and not any(taken[i : i + length]):
                hit = (i, i + length, aliases[name])
                break
        if hit is None or _touches_name(words, taken, hit[0], hit[1]):
            i += 1
            continue
        added.append(hit)
        for j in range(hit[0], hit[1]):
            taken[j] = True
        i = hit[1]
    return sorted(spans + added) if added else spans


def _touches_name(words: Sequence[str], taken: list[bool], a: int, b: int) -> bool:
    """Whether the span would glue onto a capitalized neighbour: "Pace" in "Pace Foods" is not
    the Pace of the story, and a span next to a tagged one would change its boundaries."""
    for j in (a - 1, b):
        if 0 <= j < len(words) and (taken[j] or (words[j][:1].isupper() and j != a - 1)):
            return True
    return False
