"""User watchlists: a deployment's own entities, in the curated file's format, reloadable.

A watchlist is compiled into a small automaton of its own at load (a few hundred entries take
milliseconds), so reloading never touches the main KB. Its entries win over the KB where both
match the same words, and an entry with the id of a KB entity is counted as that entity.

Loading never raises for a bad file: the result says what happened (entries, keys, errors with
``file:line``), and an unreadable file leaves the previous watchlist in place (see
EntityExtractor.reload_watchlist).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import daachorse

from streams.kb import curated
from streams.kb.compile import compile_entries
from streams.kb.entry import record_entry
from streams.kb.gazetteer import Automaton, Tables


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
class Watchlist:
    automaton: Automaton
    tables: Tables
    result: WatchlistResult
    stamp: tuple[int, int] | None  # (mtime_ns, size) of the file read


def stamp(path: Path) -> tuple[int, int] | None:
    """What identifies a version of the file, for cheap change checks; None when it is absent."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def load_watchlist(path: Path) -> Watchlist | WatchlistResult:
    """The compiled watchlist, or a failed result when the file cannot be read."""
    seen = stamp(path)
    try:
        parsed = curated.load(path)
    except (OSError, UnicodeDecodeError) as exc:
        return WatchlistResult(str(path), False, 0, 0, (f"{path.name}: cannot read: {exc}",))
    compiled = compile_entries([record_entry(r) for r in parsed.records], {"watchlist": path.name})
    automaton = daachorse.CharwiseDoubleArrayAhoCorasick.deserialize(compiled.automaton)
    result = WatchlistResult(
        str(path),
        True,
        len(parsed.records),
        int(compiled.tables.meta["keys"]),
        parsed.errors,
    )
    return Watchlist(automaton, compiled.tables, result, seen)
