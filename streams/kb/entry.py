"""KB entries as plain records: what the build compiles and watchlists reuse (no heavy imports).

The packaged-data readers (streams.kb.build.sources) and the curated/watchlist files
(streams.kb.curated) both become ``Place`` records; the name is historical, an entry may be a
person or an organisation too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from streams.kb.curated import EntityRecord


class Kind(IntEnum):
    """What a place is; also the order in which an ambiguous name prefers them."""

    COUNTRY = 0  # countries, territories and continents
    CITY = 1
    SUBDIVISION = 2
    CURATED = 3  # an entry of the curated file or a watchlist: a person, organisation or place


class Origin(IntEnum):
    """Where a name came from, which decides how much it is trusted."""

    CANONICAL = 0  # a place's own name in curated data (CLDR, geonames main name, ISO 3166-2)
    ALTERNATE = 1  # crowd-sourced or machine-made: geonames alternates, pycountry translations
    MINOR = 2  # CLDR names from locales outside the wire languages: short ones collide with words
    CURATED = 3  # written by people for this purpose (config/entities, watchlists): taken as given


@dataclass(slots=True)
class Place:
    id: str
    name: str
    kind: Kind
    country: str | None
    lat: float | None
    lon: float | None
    population: int
    names: list[tuple[str, Origin]] = field(default_factory=list)
    # Names an ALTERNATE must resemble to be kept (see aliases.resembles).
    mains: tuple[str, ...] = ()
    type: str = "LOC"  # PERSON | ORG | LOC | GPE | MISC


def is_city_district(name: str) -> bool:
    """Geonames lists city districts as cities ("Paris 08 Élysée", "Lyon 03"); the digit gives them
    away. Their names are landmarks and palaces far more often than the district."""
    return any(c.isdigit() for c in name)


def minted_id(name: str) -> str:
    """The project's id for an entity no Wikidata or GeoNames id is known for: ``wirestream:``
    and its canonical English name as a slug (Steve Witkoff -> ``wirestream:steve-witkoff``).
    Stable while the name is, and the same in every language, which is what consumers match
    on; adding the real id to the entity's line later replaces it (docs/entities.md)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return f"wirestream:{slug or 'x' + name.encode().hex()}"


def record_entry(record: EntityRecord, rows: dict[str, dict[str, Any]] | None = None) -> Place:
    """A curated or watchlist record as a KB entry. A place that names a geonames id the packaged
    cities know takes its country, coordinates and population from there."""
    row = (rows or {}).get(record.id or "")
    entry = Place(
        id=record.id or minted_id(record.name),
        name=record.name,
        kind=Kind.CURATED,
        country=record.country,
        lat=record.lat,
        lon=record.lon,
        population=0,
        type=record.type,
    )
    if row is not None:
        entry.kind = Kind.CITY
        entry.country = record.country or row["countrycode"] or None
        entry.lat = record.lat if record.lat is not None else float(row["latitude"])
        entry.lon = record.lon if record.lon is not None else float(row["longitude"])
        entry.population = int(row["population"] or 0)
    entry.names.extend((n, Origin.CURATED) for n in record.names)
    entry.mains = (record.name,)
    return entry
