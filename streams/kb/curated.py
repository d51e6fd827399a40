"""Entity files: the curated KB file (``config/entities/curated.jsonl``) and user watchlists.

One JSON object per line; blank lines and lines starting with ``#`` are skipped::

    {"id": "wikidata:Q7747", "type": "PERSON", "name": "Vladimir Putin", "country": "RU",
     "names": {"en": ["Vladimir Putin", "Putin"], "ar": ["فلاديمير بوتين", "بوتين"]}}

- ``id``: ``wikidata:Q<digits>`` or ``geonames:<digits>``, or null when no id is known for sure:
  the entity then gets the project's id, ``wirestream:<slug of name>`` (``kb.entry.minted_id``),
  the same in every language.
- ``type``: PERSON, ORG, LOC, GPE or MISC.  ``name``: the canonical English name.
- ``names``: language tag -> list of names (or one string). Every name is matched in any text,
  whatever its tag; the tag is for the people who maintain the file.
- optional: ``country`` (ISO 3166-1 alpha-2), ``lat``/``lon`` (places), ``note`` (free text).

A line that breaks a rule is reported as ``file:line: message`` and skipped; the rest still load.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from streams.errors import DataFileError

TYPES = ("PERSON", "ORG", "LOC", "GPE", "MISC")
PLACE_TYPES = frozenset({"LOC", "GPE"})
_ID_RE = re.compile(r"^(wikidata:Q[1-9][0-9]*|geonames:[1-9][0-9]*)$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_FIELDS = frozenset({"id", "type", "name", "names", "country", "lat", "lon", "note"})
MAX_NAME_CHARS = 120
CURATED_PATH = Path(__file__).resolve().parents[2] / "config" / "entities" / "curated.jsonl"


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """One valid line of an entity file."""

    id: str | None
    type: str
    name: str
    names: tuple[str, ...]  # every name to match, the canonical name included, in file order
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class LoadResult:
    records: tuple[EntityRecord, ...]
    errors: tuple[str, ...]  # "file:line: message", one per rejected line


class RecordError(DataFileError):
    """A line of an entity file that breaks a rule (the message names the field)."""


def _names(value: Any) -> Iterator[str]:
    if not isinstance(value, dict):
        raise RecordError("'names' must be an object of language -> list of names")
    for lang, names in value.items():
        if not _LANG_RE.match(lang):
            raise RecordError(f"'names' key {lang!r} is not a language tag")
        for name in [names] if isinstance(names, str) else names:
            if not isinstance(name, str) or not name.strip():
                raise RecordError(f"'names.{lang}' must hold non-empty strings")
            if len(name) > MAX_NAME_CHARS:
                raise RecordError(f"'names.{lang}' has a name over {MAX_NAME_CHARS} characters")
            yield name.strip()


def _coordinate(obj: dict[str, Any], key: str, limit: float) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > limit:
        raise RecordError(f"'{key}' must be a number between -{limit:g} and {limit:g}")
    return float(value)


def parse_record(obj: Any, line: int = 0) -> EntityRecord:
    """Validate one decoded line; raises RecordError naming what is wrong."""
    if not isinstance(obj, dict):
        raise RecordError("each line must be a JSON object")
    unknown = sorted(set(obj) - _FIELDS)
    if unknown:
        raise RecordError(f"unknown field {unknown[0]!r} (allowed: {', '.join(sorted(_FIELDS))})")
    etype = obj.get("type")
    if etype not in TYPES:
        raise RecordError(f"'type' must be one of {', '.join(TYPES)}, got {etype!r}")
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RecordError("'name' must be a non-empty string")
    eid = obj.get("id")
    if eid is not None and (not isinstance(eid, str) or not _ID_RE.match(eid)):
        raise RecordError(
            f"'id' must be 'wikidata:Q<digits>', 'geonames:<digits>' or null, got {eid!r}"
        )
    country = obj.get("country")
    if country is not None and (not isinstance(country, str) or not _COUNTRY_RE.match(country)):
        raise RecordError(f"'country' must be an ISO 3166-1 alpha-2 code, got {country!r}")
    names = [name.strip(), *_names(obj.get("names", {}))]
    return EntityRecord(
        id=eid,
        type=etype,
        name=name.strip(),
        names=tuple(dict.fromkeys(names)),
        country=country,
        lat=_coordinate(obj, "lat", 90),
        lon=_coordinate(obj, "lon", 180),
        line=line,
    )


def parse_lines(lines: Iterable[str], source: str) -> LoadResult:
    records: list[EntityRecord] = []
    errors: list[str] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        try:
            records.append(parse_record(orjson.loads(text), number))
        except orjson.JSONDecodeError as exc:
            errors.append(f"{source}:{number}: not valid JSON ({exc})")
        except RecordError as exc:
            errors.append(f"{source}:{number}: {exc}")
    return LoadResult(tuple(records), tuple(errors))


def load(path: Path) -> LoadResult:
    """Read an entity file. Raises OSError (unreadable) or UnicodeDecodeError (not UTF-8)."""
    return parse_lines(path.read_text(encoding="utf-8").splitlines(), path.name)
