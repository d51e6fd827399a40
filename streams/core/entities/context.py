"""Context before the gazetteer: a KB place name read in a person's or an organisation's context
is not a place.

Runs after the merge (streams.core.entities.merge), where a model covers the language, on the KB
place matches that the model did not confirm as places: cities and regions, never countries (a
country is a country whatever its context: "Russia said"). Such a match becomes an unlinked name
of another type when the document says so:

- **agreement across mentions**: the model gives the same words another type elsewhere in the
  text, as a whole span or as the surname of a longer person, and never calls them a place
  ("Kazuyoshi Miura ... Miura scored": Miura is no town in Japan here);
- **a title or role word** right before it ("coach Soma", "Mr Honda", "الرئيس");
- **a given name** right before it, or a surname right after: a person span of the model that
  touches it on the same line joins it ("Andrei" + "Ivanov" is Andrei Ivanov);
- **a list of people**: it sits in a run of names on one line, separated by commas or "and",
  in which the model's persons outnumber its places ("Hassan , Abbas , Salem" among players).

An unlinked name the model calls a person or an organisation that opens a dateline (it starts a
line, then a comma, a country and a date: "TIGNES , France 1996-12-06") is a place, LOC.

A city or region that opens a row of results (a rank or marker, the name, an optional
parenthesis, then three or more numbers and no date: "CALGARY 10 16 2 65 77 22", "Charleroi (
Belgium ) 9 0 9 9") is a team, ORG, whatever the model said.

And where the model read no name at all, a city or region is dropped, unless the model reads
the same entity as a place elsewhere, the text names its country, or it sits in a list of places:
the model's features include the KB's place names, so when it still saw no name, the words around
said so ("IPO" is no Ipoh, سلطات "authorities" no Settat).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

from streams.core.entities.merge import MODEL, RULES, ResolvedMention, datelines, unlinked
from streams.core.entities.rules import TITLES
from streams.kb import gazetteer
from streams.kb.curated import PLACE_TYPES
from streams.kb.gazetteer import Tables

DROP = ""  # the retyping that drops a mention
_NAMED = frozenset({"PERSON", "ORG"})
# What separates the names of a list on one line: a comma, "and", a slash, an ampersand (a space
# alone does not: "Hassan Abbas" is one name, الحريري تمسك a name and a verb).
_LIST_GAP = re.compile(r"\s*(?:,|،|;|/|&|\band\b)\s*")
_TITLE_WORD = re.compile(r"([\w'’.-]+)\s+$")
# A results row: a rank or marker, the name, then numbers ("CALGARY 10 16 2 65 77 22").
_ROW_HEAD = re.compile(r"\s*(?:\d{1,3}\.?|[a-zA-Z]-|\*)?\s*")
_PARENTHESIS = re.compile(r"^\s*\([^)\n]{1,40}\)")
_NUMBER = re.compile(r"[-+]?(?:\d[\d.,:/-]*|\.\d+)%?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ROW_NUMBERS = 3
# How far the rules that read a mention's line look: back to the line's start (a dateline's or a
# results row's head is short) and on to its end (a row's numbers follow the name closely).
_LINE_HEAD = 64
_ROW_REACH = 256
# The first word after a position on the same line ("" at a line's end).
_FIRST_WORD = re.compile(r"[^\S\n]*(\S*)")
_AR_TITLES = frozenset({"الرئيس", "الوزير", "السيد", "الشيخ", "المدرب", "اللاعب"})
# Roles that only stand before a person's name (titles are rules.TITLES).
_ROLES = frozenset({
    "coach", "manager", "captain", "striker", "midfielder", "goalkeeper", "keeper", "defender",
    "batsman", "bowler", "jockey", "skipper",
})  # fmt: skip


def _key(surface: str) -> str:
    return surface.casefold()


def model_types(
    spans: Sequence[tuple[int, int, str]], text: str, wanted: set[str] | None = None
) -> dict[str, set[str]]:
    """Surface -> the types the model gave it: whole spans, and the last word of persons
    (only the surfaces in ``wanted``, when given)."""
    typed: dict[str, set[str]] = {}
    for start, end, etype in spans:
        if etype == "MISC":
            continue
        surface = text[start:end]
        key = _key(surface)
        if wanted is None or key in wanted:
            typed.setdefault(key, set()).add(etype)
        if etype == "PERSON" and " " in surface:
            last = _key(surface.rsplit(" ", 1)[1])
            if wanted is None or last in wanted:
                typed.setdefault(last, set()).add(etype)
    return typed


def _open_place(m: ResolvedMention, kb: Tables) -> bool:
    """A KB city or region the model did not confirm: what context may retype."""
    return (
        m.source == 0
        and m.type in PLACE_TYPES
        and not m.origin & MODEL
        and kb.priors[m.entry] < gazetteer.COUNTRY_PRIOR
    )


def _city(m: ResolvedMention, kb: Tables) -> bool:
    """A KB city or region: not a country, not a curated entity."""
    return (
        m.source == 0
        and m.type in PLACE_TYPES
        and kb.priors[m.entry] < gazetteer.COUNTRY_PRIOR
        and kb.priors[m.entry] != gazetteer.CURATED_PRIOR
    )


def _dateline_name(m: ResolvedMention, nxt: ResolvedMention, text: str, kb: Tables) -> bool:
    """Whether an unlinked name the model calls a person or an organisation opens a dateline: it
    starts a line, a comma and a KB country follow, then a date or the end of the line."""
    if m.source >= 0 or m.type not in _NAMED or nxt.source != 0:
        return False
    if kb.priors[nxt.entry] < gazetteer.COUNTRY_PRIOR or text[m.end : nxt.start].strip() != ",":
        return False
    line_start = _line_start(text, m.start)
    if line_start is None or text[line_start : m.start].strip():
        return False
    after = _FIRST_WORD.match(text, nxt.end)
    word = after.group(1) if after is not None else ""
    return not word or _DATE.fullmatch(word) is not None


def _heads_results_row(text: str, m: ResolvedMention) -> bool:
    """Whether the name opens a line of results: only a rank or a marker before it on the line
    ("3.", "x-"), and after it (and an optional parenthesis, "( Belgium )") three or more numbers
    and no date. A dateline ("LONDON 1996-12-06") is no results row."""
    line_start = _line_start(text, m.start)
    if line_start is None or _ROW_HEAD.fullmatch(text, line_start, m.start) is None:
        return False
    line_end = text.find("\n", m.end, m.end + _ROW_REACH)
    if line_end < 0:
        if len(text) > m.end + _ROW_REACH:
            return False  # a line this long after the name is prose, not a row of results
        line_end = len(text)
    words = _PARENTHESIS.sub("", text[m.end : line_end], count=1).split()
    return (
        len(words) >= _ROW_NUMBERS
        and all(_NUMBER.fullmatch(w) for w in words)
        and not any(_DATE.fullmatch(w) for w in words)
    )


def _line_start(text: str, start: int) -> int | None:
    """Where the line holding ``start`` begins, if within ``_LINE_HEAD`` characters of it (None
    further back: no dateline or results row has a longer head). Bounded, so that a text of one
    long line costs each mention the same."""
    window = max(0, start - _LINE_HEAD)
    newline = text.rfind("\n", window, start)
    if newline >= 0:
        return newline + 1
    return 0 if window == 0 else None


def _titled(text: str, start: int) -> bool:
    head = _TITLE_WORD.search(text, max(0, start - 40), start)
    if head is None:
        return False
    word = head.group(1).strip(".").casefold()
    return word in TITLES or word in _ROLES or word in _AR_TITLES


def _list_gap(text: str, a: int, b: int) -> bool:
    return b - a <= 6 and "\n" not in text[a:b] and _LIST_GAP.fullmatch(text, a, b) is not None


def apply_context(
    mentions: list[ResolvedMention],
    spans: Sequence[tuple[int, int, str]],
    text: str,
    kb: Tables,
) -> list[ResolvedMention]:
    """The module docstring's rules, over the mentions in text order (linear in them)."""
    ms = sorted(mentions, key=lambda m: m.start)
    n = len(ms)
    cities = datelines(ms, text, kb)  # "NICE , France": a place whatever else is said
    open_at = [_open_place(m, kb) and m.start not in cities for m in ms]
    any_open = any(open_at)
    retyped: list[str | None] = [None] * n
    by_rule: set[int] = set()  # retyped by the words around it, not by the model's reading
    for i, m in enumerate(ms):
        if m.source < 0:
            if i + 1 < n and _dateline_name(m, ms[i + 1], text, kb):
                retyped[i] = "LOC"  # "TIGNES , France 1996-12-06": where the story is filed
                by_rule.add(i)
        elif _city(m, kb) and _heads_results_row(text, m):
            retyped[i] = "ORG"  # "CALGARY 10 16 2 65 77 22": a team's row in a table
            by_rule.add(i)
    if any_open:
        wanted = {_key(text[m.start : m.end]) for m, o in zip(ms, open_at, strict=True) if o}
        typed = model_types(spans, text, wanted)
        for i, m in enumerate(ms):
            if not open_at[i] or retyped[i] is not None:
                continue
            kinds = typed.get(_key(text[m.start : m.end]))
            if kinds and not kinds & PLACE_TYPES:
                retyped[i] = "PERSON" if "PERSON" in kinds else "ORG"
            elif _titled(text, m.start):
                retyped[i] = "PERSON"
                by_rule.add(i)
            elif _touches_person(ms, i, text):
                retyped[i] = "PERSON"
        listed = _lists(ms, open_at, retyped, text)
        unread = [o and i not in listed for i, o in enumerate(open_at)]
        _unread_places(ms, unread, retyped, kb, spans)
    if not any(retyped):
        return (
            ms
            if DROP not in retyped
            else [m for m, r in zip(ms, retyped, strict=True) if r != DROP]
        )
    return _joined(ms, retyped, by_rule, text)


def _joined(
    ms: list[ResolvedMention], retyped: list[str | None], by_rule: set[int], text: str
) -> list[ResolvedMention]:
    """The retyped mentions, a retyped person joined with an unlinked person it touches. A
    retyped mention keeps its origin and adds what retyped it (``kb+model``, ``kb+rules``)."""
    out: list[ResolvedMention] = []
    joinable = False  # whether out[-1] is or contains a retyped place
    for i, (m, etype) in enumerate(zip(ms, retyped, strict=True)):
        if etype == DROP:
            continue
        why = RULES if i in by_rule else MODEL
        cur = m if etype is None else unlinked(m.start, m.end, etype, text, m.origin | why)
        prev = out[-1] if out else None
        if (
            prev is not None
            and (joinable or etype is not None)
            and prev.type == cur.type == "PERSON"
            and prev.source < 0
            and cur.source < 0
            and _adjacent(text, prev.end, cur.start)
        ):
            out[-1] = unlinked(prev.start, cur.end, "PERSON", text, prev.origin | cur.origin)
            joinable = True
            continue
        out.append(cur)
        joinable = etype is not None
    return out


def _adjacent(text: str, a: int, b: int) -> bool:
    return 0 < b - a <= 2 and text[a:b].isspace() and "\n" not in text[a:b]


def _touches_person(ms: list[ResolvedMention], i: int, text: str) -> bool:
    """A model person right before or right after, on the same line: a given name or surname.
    Only where capitals mark names: in Arabic the next word is as often a verb (الحريري تمسك)."""
    m = ms[i]
    if not text[m.start].isupper():
        return False
    before = ms[i - 1] if i else None
    after = ms[i + 1] if i + 1 < len(ms) else None
    return (
        before is not None
        and before.type == "PERSON"
        and before.source < 0
        and _adjacent(text, before.end, m.start)
    ) or (
        after is not None
        and after.type == "PERSON"
        and after.source < 0
        and _adjacent(text, m.end, after.start)
    )


def _unread_places(
    ms: list[ResolvedMention],
    open_at: list[bool],
    retyped: list[str | None],
    kb: Tables,
    spans: Sequence[tuple[int, int, str]],
) -> None:
    """Drop the open places where the model read no name at all, unless the model reads the same
    entity as a place elsewhere in the text or the text names the place's country: the model's
    features include the KB's place names, so where it still saw no name, the words around
    said so ("IPO" is no Ipoh, سلطات "authorities" no Settat)."""
    confirmed = {m.key for m in ms if m.origin & MODEL and m.type in PLACE_TYPES}
    countries = {
        kb.countries[m.entry]
        for m in ms
        if m.source == 0 and kb.priors[m.entry] >= gazetteer.COUNTRY_PRIOR
    }
    starts = [s for s, _e, _t in spans]  # the spans are sorted and do not overlap
    for i, m in enumerate(ms):
        if (
            open_at[i]
            and retyped[i] is None
            and not _read(spans, starts, m)
            and kb.priors[m.entry] < gazetteer.CURATED_PRIOR
            and m.key not in confirmed
            and kb.countries[m.entry] not in countries
        ):
            retyped[i] = DROP


def _read(spans: Sequence[tuple[int, int, str]], starts: list[int], m: ResolvedMention) -> bool:
    """Whether a model span overlaps the mention (the model saw a name there)."""
    i = bisect_right(starts, m.start) - 1
    return any(
        0 <= j < len(spans) and spans[j][0] < m.end and m.start < spans[j][1] for j in (i, i + 1)
    )


def _lists(
    ms: list[ResolvedMention], open_at: list[bool], retyped: list[str | None], text: str
) -> set[int]:
    """Retype the open places of each one-line list whose other names are mostly persons; and
    return those of lists whose other names are mostly places (they stay places). Only the runs
    around open places are read."""
    listed: set[int] = set()
    done = -1  # the end of the last run read
    n = len(ms)
    for i in range(n):
        if not open_at[i] or i <= done or retyped[i] is not None:
            continue
        first = i
        while first > 0 and _list_gap(text, ms[first - 1].end, ms[first].start):
            first -= 1
        last = i
        while last + 1 < n and _list_gap(text, ms[last].end, ms[last + 1].start):
            last += 1
        done = last
        if first == last:
            continue
        run = range(first, last + 1)
        persons = sum(1 for j in run if not open_at[j] and ms[j].type == "PERSON")
        places = sum(1 for j in run if not open_at[j] and ms[j].type in PLACE_TYPES)
        for j in run:
            if open_at[j] and retyped[j] is None:
                if persons and persons >= places:
                    retyped[j] = "PERSON"
                elif places:
                    listed.add(j)  # a list of places: kept as read
    return listed
