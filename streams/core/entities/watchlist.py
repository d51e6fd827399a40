"""User watchlists: a deployment's own entities, in the curated file's format, reloadable.

A watchlist is compiled into a small automaton of its own at load (a few hundred entries take
milliseconds), so reloading never touches the main KB. Its entries win over the KB where both
match the same words, and an entry with the id of a KB entity is counted as that entity.

A deployment may name several lists (``portfolio``, ``executives``: ``entities.watchlists``); they
are compiled into one automaton, and each entity found is tagged with the names of the lists its
id is on (``Entity.watchlists``), whichever list or KB entry matched it. An entity listed twice
is one entry, with the names of both lines.

Loading never raises for a bad file: the result says what happened (entries, keys, errors with
``file:line``), and an unreadable file leaves its previous list in place (see
EntityExtractor.reload_watchlist).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import daachorse

from streams.kb import curated
from streams.kb.compile import compile_entries
from streams.kb.curated import EntityRecord
from streams.kb.entry import Place, record_entry
from streams.kb.gazetteer import Automaton, Tables
from streams.settings import WATCHLIST_NAME

DEFAULT_LIST = WATCHLIST_NAME  # the name of the list entities.watchlist_path names

Stamp = tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class WatchlistResult:
    """What a (re)load did: ``loaded`` is False when the file could not be read at all."""

    path: str
    loaded: bool
    entries: int
    keys: int
    errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.loaded and not self.errors


@dataclass(frozen=True, slots=True)
class NamedList:
    """One named list as last read: its records, and the ids they stand for."""

    name: str
    path: Path
    records: tuple[EntityRecord, ...]
    ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class Watchlist:
    automaton: Automaton
    tables: Tables
    result: WatchlistResult
    stamp: tuple[Stamp, ...]  # (mtime_ns, size) of each file as read, in name order
    lists: tuple[NamedList, ...] = ()  # sorted by name
    members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # id -> list names

    def lists_of(self, entity_id: str | None) -> tuple[str, ...]:
        """The names of the lists ``entity_id`` is on (sorted), empty for none."""
        return () if entity_id is None else self.members.get(entity_id, ())


def stamp(path: Path) -> tuple[int, int] | None:
    """What identifies a version of the file, for cheap change checks; None when it is absent."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def load_watchlist(path: Path) -> Watchlist | WatchlistResult:
    """The compiled watchlist, or a failed result when the file cannot be read."""
    return load_watchlists({DEFAULT_LIST: path})


def load_watchlists(
    files: Mapping[str, Path], previous: Watchlist | None = None
) -> Watchlist | WatchlistResult:
    """The named lists compiled into one watchlist. A file that cannot be read keeps its list
    from ``previous`` (if any) and makes the result a failure; when no file could be read and
    there is nothing to keep, the failed result alone."""
    kept = {named.name: named for named in (previous.lists if previous else ())}
    lists: list[NamedList] = []
    errors: list[str] = []
    stamps: list[Stamp] = []
    unread: list[str] = []
    for name, path in sorted(files.items()):
        stamps.append(stamp(path))
        try:
            parsed = curated.load(path)
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{path.name}: cannot read: {exc}")
            unread.append(name)
            if name in kept:
                lists.append(kept[name])
            continue
        errors.extend(parsed.errors)
        ids = frozenset(record_entry(r).id for r in parsed.records)
        lists.append(NamedList(name, path, parsed.records, ids))
    where = ", ".join(str(p) for _n, p in sorted(files.items()))
    if len(unread) == len(files) and not lists:
        return WatchlistResult(where, False, 0, 0, tuple(errors))
    entries = _entries(lists)
    compiled = compile_entries(entries, {"watchlist": ", ".join(p.name for p in files.values())})
    automaton = daachorse.CharwiseDoubleArrayAhoCorasick.deserialize(compiled.automaton)
    members: dict[str, tuple[str, ...]] = {}
    for named in lists:
        for entity_id in named.ids:
            members[entity_id] = (*members.get(entity_id, ()), named.name)
    count = sum(len(named.records) for named in lists)
    keys = int(compiled.tables.meta["keys"])
    result = WatchlistResult(where, not unread, count, keys, tuple(errors))
    return Watchlist(automaton, compiled.tables, result, tuple(stamps), tuple(lists), members)


def stamps_of(files: Mapping[str, Path]) -> tuple[Stamp, ...]:
    """What :attr:`Watchlist.stamp` holds for these files when none has changed."""
    return tuple(stamp(path) for _name, path in sorted(files.items()))


def _entries(lists: list[NamedList]) -> list[Place]:
    """One KB entry per id over every list: an entity on two lists is one entity."""
    by_id: dict[str, Place] = {}
    for named in lists:
        for record in named.records:
            entry = record_entry(record)
            known = by_id.get(entry.id)
            if known is None:
                by_id[entry.id] = entry
            else:
                known.names.extend(n for n in entry.names if n not in known.names)
    return list(by_id.values())
