"""Compile the place gazetteer from packaged data: ``python -m streams.kb.build [--out PATH]``.

All the costly work of entity linking happens here, once: choosing which names to trust, folding
them, dropping common words, ranking places, and compiling the automaton. The worker only loads
the result (see streams.kb.gazetteer).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ahocorasick
import orjson

from streams.kb import gazetteer, stoplists
from streams.kb.aliases import ARTICLE, BARE, MatchKey, match_key
from streams.kb.gazetteer import CANDIDATE_FLAG_BITS, MAX_KEY_LEN, Automaton, Tables
from streams.kb.normalize import Script, fold_key
from streams.kb.sources import (
    Kind,
    Origin,
    Place,
    city_places,
    country_places,
    pycountry_available,
    source_versions,
    subdivision_places,
)

# A three-letter name (two for Han/kana/Hangul) is kept only for a place big enough to be what
# the letters usually mean. Arabic needs more: most three-letter Arabic words are roots of others.
SHORT_KEY_MIN_POPULATION = 100_000
SHORT_ARABIC_KEY_MIN_POPULATION = 300_000
# Geonames gives many towns abroad an Arabic-script spelling that is also an everyday Arabic word
# (Tsévié = تسوية "settlement", Yuma = يوما "one day"); up to this length such a spelling needs a
# city big enough to be written about. Towns in Arabic-speaking countries keep their own names,
# and their clashes are in the stoplist instead.
ARABIC_KEY_FOREIGN_MAX_LETTERS = 5
ARABIC_KEY_FOREIGN_MIN_POPULATION = 200_000
_ARAB_COUNTRY_CODES = "AE BH DJ DZ EG EH IQ JO KM KW LB LY MA MR OM PS QA SA SD SO SY TN YE"
ARAB_COUNTRIES = frozenset(_ARAB_COUNTRY_CODES.split())

# Priors are log10(population); countries sit above every city, and a subdivision counts as a
# middling city, so a city that shares its name wins: "New York", "Washington" (DC), "Genève".
_SUBDIVISION_POPULATION = 100_000


@dataclass(slots=True)
class BuildReport:
    path: Path
    bytes: int
    seconds: float
    places: dict[str, int]
    keys: int
    candidates: dict[str, int]
    dropped: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "bytes": self.bytes,
            "seconds": round(self.seconds, 1),
            "places": self.places,
            "keys": self.keys,
            "candidates": self.candidates,
            "dropped": self.dropped,
        }


def _place_kind_label(place: Place) -> str:
    if place.kind is Kind.COUNTRY:
        return "continent" if place.country is None else "country"
    return "city" if place.kind is Kind.CITY else "subdivision"


def _prior(place: Place) -> float:
    if place.kind is Kind.SUBDIVISION:
        return math.log10(_SUBDIVISION_POPULATION)
    base = math.log10(max(place.population, 0) + 10)
    return base + gazetteer.COUNTRY_PRIOR if place.kind is Kind.COUNTRY else base


def _short_enough_place(mk: MatchKey, place: Place, origin: Origin) -> bool:
    """Whether a short key may name this place (see SHORT_KEY_MIN_POPULATION)."""
    short = 2 if mk.script in (Script.NOSPACE, Script.HANGUL) else 3
    if (
        mk.script is Script.ARABIC
        and place.kind is Kind.CITY
        and short < mk.letters <= ARABIC_KEY_FOREIGN_MAX_LETTERS
        and place.country not in ARAB_COUNTRIES
    ):
        return place.population >= ARABIC_KEY_FOREIGN_MIN_POPULATION
    if mk.letters > short:
        return True
    if place.kind is Kind.COUNTRY:
        return origin is Origin.CANONICAL
    if place.kind is Kind.SUBDIVISION:
        return False
    floor = (
        SHORT_ARABIC_KEY_MIN_POPULATION if mk.script is Script.ARABIC else SHORT_KEY_MIN_POPULATION
    )
    return place.population >= floor


def _collect(places: Sequence[Place], dropped: Counter[str]) -> dict[str, dict[int, int]]:
    """key -> {place index: flags}."""
    keymap: dict[str, dict[int, int]] = {}
    for idx, place in enumerate(places):
        for raw, origin in place.names:
            mk = match_key(raw, origin, place.mains)
            if mk is None:
                dropped["unusable_name"] += 1
                continue
            if len(mk.key) > MAX_KEY_LEN:
                dropped["too_long"] += 1
                continue
            if not _short_enough_place(mk, place, origin):
                dropped["short_for_small_place"] += 1
                continue
            cands = keymap.setdefault(mk.key, {})
            cands[idx] = cands.get(idx, 0) | mk.flags
    return keymap


def _stop_keys(words: str) -> list[tuple[str, int]]:
    out = []
    for word in words.split():
        mk = match_key(word, Origin.CANONICAL, (word,))
        if mk is not None:
            out.append((mk.key, mk.flags & (BARE | ARTICLE)))
    return out


def _apply_stoplist(keymap: dict[str, dict[int, int]], dropped: Counter[str]) -> None:
    for words in stoplists.ALWAYS.values():
        for key, flags in _stop_keys(words):
            cands = keymap.get(key)
            if cands is None:
                continue
            for idx in list(cands):
                left = cands[idx] & ~flags
                if left & (BARE | ARTICLE):
                    cands[idx] = left
                else:
                    del cands[idx]
            if not cands:
                del keymap[key]
                dropped["stoplist"] += 1


def _compile(
    places: Sequence[Place], keymap: dict[str, dict[int, int]]
) -> tuple[Automaton, array[int], array[int]]:
    priors = [_prior(p) for p in places]
    automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    offsets: array[int] = array("I", [0])
    members: array[int] = array("I")
    for key in sorted(keymap):
        cands = keymap[key]
        # Best prior first, so a match with no context to go on takes the first candidate.
        ranked = sorted(cands, key=lambda i: (-priors[i], places[i].id))
        codes = [i << CANDIDATE_FLAG_BITS | cands[i] for i in ranked]
        if len(codes) == 1:
            value = gazetteer.pack_value(len(key), codes[0], group=False)
        else:
            value = gazetteer.pack_value(len(key), len(offsets) - 1, group=True)
            members.extend(codes)
            offsets.append(len(members))
        automaton.add_word(key, value)
    automaton.make_automaton()
    return automaton, offsets, members


def compile_places(
    places: Sequence[Place], meta: dict[str, Any] | None = None
) -> tuple[Automaton, Tables, Counter[str]]:
    """Everything but the IO: the automaton, its tables, and why names were dropped."""
    dropped: Counter[str] = Counter()
    keymap = _collect(places, dropped)
    _apply_stoplist(keymap, dropped)
    automaton, offsets, members = _compile(places, keymap)
    linked = {i for c in keymap.values() for i in c}
    tables = Tables(
        ids=[p.id for p in places],
        names=[p.name for p in places],
        countries=[p.country for p in places],
        lats=array("d", (math.nan if p.lat is None else p.lat for p in places)),
        lons=array("d", (math.nan if p.lon is None else p.lon for p in places)),
        priors=array("f", (_prior(p) for p in places)),
        group_offsets=offsets,
        group_members=members,
        arabic_stopwords=frozenset(fold_key(w) for w in stoplists.ALWAYS["ar"].split()),
        stop_when_language={
            lang: frozenset(k for k in (fold_key(w) for w in words.split()) if k in keymap)
            for lang, words in stoplists.WHEN_LANGUAGE.items()
        },
        meta={
            **(meta or {}),
            "places": dict(Counter(_place_kind_label(places[i]) for i in linked)),
            "keys": len(keymap),
            "candidates": dict(
                Counter(_place_kind_label(places[i]) for c in keymap.values() for i in c)
            ),
        },
    )
    return automaton, tables, dropped


def build(out: Path, *, min_population: int = 15000, subdivisions: bool = True) -> BuildReport:
    started = time.perf_counter()
    places: list[Place] = [*country_places(), *city_places(min_population)]
    with_subdivisions = subdivisions and pycountry_available()
    if with_subdivisions:
        places.extend(subdivision_places())
    automaton, tables, dropped = compile_places(
        places,
        {
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "sources": source_versions(),
            "min_city_population": min_population,
            "subdivisions": with_subdivisions,
        },
    )
    size = gazetteer.write(out, automaton, tables)
    return BuildReport(
        path=out,
        bytes=size,
        seconds=time.perf_counter() - started,
        places=tables.meta["places"],
        keys=tables.meta["keys"],
        candidates=tables.meta["candidates"],
        dropped=dict(dropped),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.kb.build", description=__doc__)
    parser.add_argument("--out", type=Path, default=gazetteer.DEFAULT_PATH)
    parser.add_argument(
        "--min-population", type=int, default=15000, choices=[500, 1000, 5000, 15000]
    )
    parser.add_argument(
        "--no-subdivisions", action="store_true", help="leave out ISO 3166-2 (pycountry)"
    )
    args = parser.parse_args(argv)
    report = build(
        args.out, min_population=args.min_population, subdivisions=not args.no_subdivisions
    )
    sys.stdout.write(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
