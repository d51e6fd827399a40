"""The compiled gazetteer: its file format, and loading it for the extractor.

One file holds a small JSON header, the place tables as packed arrays, and the pickled
Aho-Corasick automaton, so a worker loads it with a single read and no parsing per entry.

Automaton values pack, in one integer, the key's length (the automaton reports only where a match
ends) and either one candidate or the index of a candidate group.
"""

from __future__ import annotations

import math
import pickle
import struct
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import ahocorasick
import orjson

FORMAT = "wirestream.gazetteer.v1"
MAGIC = b"WSGAZ01\n"
DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "gazetteer.bin"

# Value layout: payload << 9 | is_group << 8 | key length.
KEY_LEN_BITS = 8
MAX_KEY_LEN = (1 << KEY_LEN_BITS) - 1
_GROUP_BIT = 1 << KEY_LEN_BITS
_PAYLOAD_SHIFT = KEY_LEN_BITS + 1

# Candidate layout: place index << 3 | flags (aliases.BARE, ARTICLE, LOWER_OK).
CANDIDATE_FLAG_BITS = 3

# Place priors are log10(population); a country's carries this offset so it outranks any city.
COUNTRY_PRIOR = 20.0

_LEN = struct.Struct("<Q")


class Automaton(Protocol):
    """The part of ``ahocorasick.Automaton`` (STORE_INTS) that the extractor uses."""

    def iter(self, string: str) -> Iterator[tuple[int, int]]: ...


class GazetteerMissingError(FileNotFoundError):
    """The compiled gazetteer is not where it was looked for."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"gazetteer not found at {path}: run `make kb` to build it")
        self.path = path


class GazetteerFormatError(ValueError):
    """The file is not a gazetteer this code can read (wrong file, or built by another version)."""


def pack_value(key_len: int, payload: int, *, group: bool) -> int:
    if not 0 < key_len <= MAX_KEY_LEN:
        raise ValueError(f"key length {key_len} out of range")
    return payload << _PAYLOAD_SHIFT | (_GROUP_BIT if group else 0) | key_len


def unpack_value(value: int) -> tuple[int, int, bool]:
    """``(key_len, payload, is_group)`` from an automaton value."""
    return value & MAX_KEY_LEN, value >> _PAYLOAD_SHIFT, bool(value & _GROUP_BIT)


@dataclass(frozen=True, slots=True)
class Tables:
    """Everything but the automaton, in the shapes the extractor indexes."""

    ids: list[str]
    names: list[str]
    countries: list[str | None]
    lats: array[float]  # NaN where unknown
    lons: array[float]
    priors: array[float]  # log-population score; countries get a large offset so they win
    group_offsets: array[int]  # group g is group_members[group_offsets[g]:group_offsets[g + 1]]
    group_members: array[int]
    arabic_stopwords: frozenset[str]  # folded whole words never read as proclitic + name
    stop_when_language: dict[str, frozenset[str]]  # language -> keys that are words there
    meta: dict[str, Any]


def write(path: Path, automaton: Automaton, tables: Tables) -> int:
    """Write the gazetteer atomically; returns its size in bytes."""
    header = orjson.dumps({"format": FORMAT, **tables.meta})
    strings = orjson.dumps(
        {
            "ids": tables.ids,
            "names": tables.names,
            "countries": tables.countries,
            "arabic_stopwords": sorted(tables.arabic_stopwords),
            "stop_when_language": {k: sorted(v) for k, v in tables.stop_when_language.items()},
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
        pickle.dumps(automaton, protocol=pickle.HIGHEST_PROTOCOL),
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
        raise GazetteerFormatError("not a wirestream gazetteer (bad magic)")
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
    """The header alone, without unpickling the automaton (for tooling and tests)."""
    with path.open("rb") as f:
        head = f.read(len(MAGIC) + _LEN.size)
        if not head.startswith(MAGIC):
            raise GazetteerFormatError("not a wirestream gazetteer (bad magic)")
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
    if len(sections) != 8:
        raise GazetteerFormatError(f"expected 8 sections, found {len(sections)}")
    meta = orjson.loads(sections[0])
    if meta.get("format") != FORMAT:
        raise GazetteerFormatError(f"format {meta.get('format')!r}, expected {FORMAT!r}")
    strings = orjson.loads(sections[1])
    # The file is this project's own build output (see streams.kb.build), read from the package
    # data directory; pickle is how pyahocorasick serialises an automaton.
    automaton = pickle.loads(sections[7])  # noqa: S301
    if not isinstance(automaton, ahocorasick.Automaton):
        raise GazetteerFormatError("automaton section does not hold an automaton")
    found: Automaton = automaton
    tables = Tables(
        ids=strings["ids"],
        names=strings["names"],
        countries=strings["countries"],
        lats=_array("d", sections[2]),
        lons=_array("d", sections[3]),
        priors=_array("f", sections[4]),
        group_offsets=_array("I", sections[5]),
        group_members=_array("I", sections[6]),
        arabic_stopwords=frozenset(strings["arabic_stopwords"]),
        stop_when_language={k: frozenset(v) for k, v in strings["stop_when_language"].items()},
        meta=meta,
    )
    return found, tables


def coordinate(value: float) -> float | None:
    return None if math.isnan(value) else value
