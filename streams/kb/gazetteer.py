"""The compiled KB: its file format, and loading it for the extractor.

One file holds a small JSON header, the entity and key tables as packed arrays, and the serialized
double-array Aho-Corasick automaton (daachorse). Loading is one read and a few memory copies: no
parsing per entry and no automaton construction, so a worker starts in well under a second.

Automaton pattern ids index ``key_values`` and ``key_modes``. A key value packs either one
candidate or the index of a candidate group: ``payload << 1 | is_group``. A candidate packs an
entity index and its flags: ``entity << aliases.FLAG_BITS | flags``.
"""

from __future__ import annotations

import math
import struct
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import daachorse
import orjson

from streams.errors import DataFileError

FORMAT = "wirestream.gazetteer.v2"
MAGIC = b"WSGAZ02\n"
DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "gazetteer.bin"
MAX_KEY_LEN = 255

# Entity priors: log10(population) for places; countries carry this offset so they outrank any
# city, and curated entries sit between the two (see streams.kb.build).
COUNTRY_PRIOR = 20.0
CURATED_PRIOR = 12.0

_LEN = struct.Struct("<Q")
_SECTIONS = 12


class Automaton(Protocol):
    """The part of daachorse's automaton that the extractor uses."""

    def find_overlapping(self, haystack: str) -> list[tuple[int, int, int]]: ...


class GazetteerMissingError(DataFileError, FileNotFoundError):
    """The compiled gazetteer is not where it was looked for."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"gazetteer not found at {path}: run `make kb` to build it")
        self.path = path


class GazetteerFormatError(DataFileError):
    """The file is not a gazetteer this code can read (wrong file, or built by another version)."""


def pack_value(payload: int, *, group: bool) -> int:
    return payload << 1 | int(group)


def unpack_value(value: int) -> tuple[int, bool]:
    """``(payload, is_group)`` from a key value."""
    return value >> 1, bool(value & 1)


@dataclass(frozen=True, slots=True)
class Tables:
    """Everything but the automaton, in the shapes the extractor indexes."""

    ids: list[str | None]  # the output id (a minted wirestream: id where none is known)
    names: list[str]  # canonical English name
    types: list[str]  # PERSON | ORG | LOC | GPE | MISC
    countries: list[str | None]
    lats: array[float]  # NaN where unknown
    lons: array[float]
    priors: array[float]
    group_offsets: array[int]  # group g is group_members[group_offsets[g]:group_offsets[g + 1]]
    group_members: array[int]
    key_values: array[int]  # per automaton pattern: one candidate, or a group
    key_modes: array[int]  # per automaton pattern: which open sides to check (aliases.PREFIX_*...)
    prefixed_stop: frozenset[str]  # folded words that look like proclitic + name but are words
    stop_when_language: dict[str, frozenset[str]]  # language -> keys that are words there
    # Folded everyday words: no name when one opens a sentence (Latin, Cyrillic), and the end of a
    # name after an Arabic title (الرئيس ترامب يريد).
    common_words: frozenset[str]
    meta: dict[str, Any]

    def candidates(self, value: int) -> Sequence[int]:
        payload, group = unpack_value(value)
        if not group:
            return (payload,)
        return self.group_members[self.group_offsets[payload] : self.group_offsets[payload + 1]]


def write(path: Path, automaton_bytes: bytes, tables: Tables) -> int:
    """Write the gazetteer atomically; returns its size in bytes."""
    header = orjson.dumps({"format": FORMAT, **tables.meta})
    strings = orjson.dumps(
        {
            "ids": tables.ids,
            "names": tables.names,
            "types": tables.types,
            "countries": tables.countries,
            "prefixed_stop": sorted(tables.prefixed_stop),
            "stop_when_language": {k: sorted(v) for k, v in tables.stop_when_language.items()},
            "common_words": sorted(tables.common_words),
        }
    )
    sections = [
        header,
        strings,
        tables.lats.tobytes(),
        tables.lons.tobytes(),
        tables.priors.tobytes(),
        tables.group_offsets.tobytes(),
        tables.group_members.tobytes(),
        tables.key_values.tobytes(),
        tables.key_modes.tobytes(),
        b"",  # reserved
        b"",
        automaton_bytes,
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        f.write(MAGIC)
        for section in sections:
            f.write(_LEN.pack(len(section)))
            f.write(section)
    tmp.replace(path)
    return path.stat().st_size


def _sections(data: bytes) -> list[memoryview]:
    if not data.startswith(MAGIC):
        raise GazetteerFormatError("not a wirestream gazetteer v2 (bad magic): run `make kb`")
    view = memoryview(data)
    pos = len(MAGIC)
    out: list[memoryview] = []
    while pos < len(view):
        (size,) = _LEN.unpack_from(view, pos)
        pos += _LEN.size
        out.append(view[pos : pos + size])
        pos += size
    return out


def _array(typecode: str, raw: memoryview) -> array[Any]:
    arr: array[Any] = array(typecode)
    arr.frombytes(raw)
    return arr


def read_meta(path: Path) -> dict[str, Any]:
    """The header alone, without reading the automaton (for tooling and tests)."""
    with path.open("rb") as f:
        head = f.read(len(MAGIC) + _LEN.size)
        if not head.startswith(MAGIC):
            raise GazetteerFormatError("not a wirestream gazetteer v2 (bad magic)")
        (size,) = _LEN.unpack_from(head, len(MAGIC))
        meta: dict[str, Any] = orjson.loads(f.read(size))
    return meta


def load(path: Path | None = None) -> tuple[Automaton, Tables]:
    """Read a gazetteer: ``(automaton, tables)``."""
    path = DEFAULT_PATH if path is None else path
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise GazetteerMissingError(path) from None
    sections = _sections(data)
    if len(sections) != _SECTIONS:
        raise GazetteerFormatError(f"expected {_SECTIONS} sections, found {len(sections)}")
    meta = orjson.loads(sections[0])
    if meta.get("format") != FORMAT:
        raise GazetteerFormatError(f"format {meta.get('format')!r}, expected {FORMAT!r}")
    strings = orjson.loads(sections[1])
    automaton = daachorse.CharwiseDoubleArrayAhoCorasick.deserialize(bytes(sections[11]))
    tables = Tables(
        ids=strings["ids"],
        names=strings["names"],
        types=strings["types"],
        countries=strings["countries"],
        lats=_array("d", sections[2]),
        lons=_array("d", sections[3]),
        priors=_array("f", sections[4]),
        group_offsets=_array("I", sections[5]),
        group_members=_array("I", sections[6]),
        key_values=_array("I", sections[7]),
        key_modes=_array("B", sections[8]),
        prefixed_stop=frozenset(strings["prefixed_stop"]),
        stop_when_language={k: frozenset(v) for k, v in strings["stop_when_language"].items()},
        common_words=frozenset(strings["common_words"]),
        meta=meta,
    )
    return automaton, tables


def coordinate(value: float) -> float | None:
    return None if math.isnan(value) else value
