"""The in-memory blocking index of the dedupe stage: which remembered items to compare an item to.

Everything here is derived from the store (``Deduper.restore`` rebuilds it), so it is never
persisted. Items get a sequence number in arrival order; eviction is oldest first, so the live
items are always the sequence numbers from ``first_live`` up, and a posting of an evicted item is
recognised by its number alone and dropped at the next merge.

Postings map 32-bit tokens (MinHash bands, lead hashes, anchors, the producer's id) to sequence
numbers, in two numpy arrays sorted by token plus a small dict of recent postings that is merged
into them every ``MERGE_AT`` postings. Python dicts of lists would cost about 100 bytes per
posting; the arrays cost 8.
"""

from __future__ import annotations

import functools
import math
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from streams.core import native

MERGE_AT = 16_384
# Sequence numbers are uint32: at 1,000 items/s they run out after 49 days, and the owner then
# rebuilds the index from the store, which numbers the items from 0 again.
MAX_SEQ = 2**32 - 1

Tokens = npt.NDArray[np.uint32]


@dataclass(frozen=True, slots=True)
class Candidate:
    seq: int
    key: str
    score: float


class Index(Protocol):
    """What the deduper asks of its index: :class:`CandidateIndex` (the reference), or the native
    index of the same postings (``wirestream_native.CandidateIndex``, see :func:`new_index`)."""

    def __len__(self) -> int: ...
    @property
    def first_live(self) -> int: ...
    @property
    def next_seq(self) -> int: ...
    def add(self, key: str, seen_at: float, tokens: list[int]) -> int: ...
    def oldest(self) -> tuple[int, str, float] | None: ...
    def pop_oldest(self) -> None: ...
    def key_of(self, seq: int) -> str | None: ...
    def lookup(
        self, tokens: Tokens, weights: npt.NDArray[np.float64], *, max_postings: int, limit: int
    ) -> list[Candidate]: ...
    def postings(self, token: int) -> list[int]: ...
    def posting_bytes(self) -> int: ...


def new_index() -> Index:
    """An empty index: native when ``core.native`` allows, else the reference."""
    ext = native.extension()
    return CandidateIndex() if ext is None else _native_class(ext)(MERGE_AT)


def build_index(
    keys: list[str], seen: list[float], tokens: Tokens, owners: npt.NDArray[np.intp]
) -> Index:
    """:meth:`CandidateIndex.build`, native when ``core.native`` allows."""
    ext = native.extension()
    if ext is None:
        return CandidateIndex.build(keys, seen, tokens, owners)
    index = _native_class(ext)(MERGE_AT)
    index.load(keys, seen, tokens.tolist(), owners.tolist())
    return index  # type: ignore[no-any-return]


@functools.cache
def _native_class(ext: ModuleType) -> Any:
    """The native index, with the reference's ``lookup`` (rows made :class:`Candidate`)."""

    class NativeCandidateIndex(ext.CandidateIndex):  # type: ignore[name-defined,misc]
        def lookup(
            self,
            tokens: Tokens,
            weights: npt.NDArray[np.float64],
            *,
            max_postings: int,
            limit: int,
        ) -> list[Candidate]:
            rows = self.lookup_rows(tokens, weights, max_postings=max_postings, limit=limit)
            return [Candidate(seq, key, score) for seq, key, score in rows]

    return NativeCandidateIndex


class CandidateIndex:
    def __init__(self) -> None:
        self._keys: list[str] = []  # store key of sequence number _base + i
        # An array, not a list: 8 bytes per item instead of 32 (a pointer and a float object).
        self._seen = array("d")
        self._base = 0  # sequence number of _keys[0]
        self._head = 0  # index in _keys of the oldest live item
        self._tokens: Tokens = np.zeros(0, np.uint32)
        self._seqs: Tokens = np.zeros(0, np.uint32)
        self._recent: dict[int, list[int]] = {}
        self._recent_count = 0

    @classmethod
    def build(
        cls, keys: list[str], seen: list[float], tokens: Tokens, owners: npt.NDArray[np.intp]
    ) -> CandidateIndex:
        """An index of ``keys`` (oldest first) whose ``tokens[i]`` belongs to ``keys[owners[i]]``,
        sorted once rather than merged item by item."""
        index = cls()
        index._keys, index._seen = list(keys), array("d", seen)
        # One 64-bit key per posting (token high, sequence number low): sorting it sorts both.
        pairs = np.sort(tokens.astype(np.uint64) << np.uint64(32) | owners.astype(np.uint64))
        keep = np.ones(pairs.size, bool)
        keep[1:] = pairs[1:] != pairs[:-1]
        pairs = pairs[keep]
        index._tokens = (pairs >> np.uint64(32)).astype(np.uint32)
        index._seqs = (pairs & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        return index

    def __len__(self) -> int:
        return len(self._keys) - self._head

    @property
    def first_live(self) -> int:
        return self._base + self._head

    @property
    def next_seq(self) -> int:
        return self._base + len(self._keys)

    def add(self, key: str, seen_at: float, tokens: Iterable[int]) -> int:
        seq = self.next_seq
        if seq > MAX_SEQ:
            raise OverflowError("sequence numbers exhausted: rebuild the index")
        self._keys.append(key)
        self._seen.append(seen_at)
        for token in set(tokens):
            self._recent.setdefault(token, []).append(seq)
            self._recent_count += 1
        if self._recent_count >= MERGE_AT:
            self._merge()
        return seq

    def oldest(self) -> tuple[int, str, float] | None:
        if not len(self):
            return None
        return self.first_live, self._keys[self._head], self._seen[self._head]

    def pop_oldest(self) -> None:
        self._head += 1
        # Drop the evicted prefix once it is as long as the live part (amortised O(1)).
        if self._head > 1024 and self._head * 2 > len(self._keys):
            del self._keys[: self._head]
            del self._seen[: self._head]
            self._base += self._head
            self._head = 0

    def key_of(self, seq: int) -> str | None:
        if seq < self.first_live or seq >= self.next_seq:
            return None
        return self._keys[seq - self._base]

    def lookup(
        self, tokens: Tokens, weights: npt.NDArray[np.float64], *, max_postings: int, limit: int
    ) -> list[Candidate]:
        """The ``limit`` live items sharing the most weight of ``tokens`` with the query.

        A token's weight is divided by log2(2 + its posting count), so that a rare shared token
        counts more than a common one; a token with more than ``max_postings`` postings is too
        common to block on and is skipped.
        """
        found: list[Tokens] = []
        per_token: list[float] = []
        counts: list[int] = []
        lo = np.searchsorted(self._tokens, tokens, side="left").tolist()
        hi = np.searchsorted(self._tokens, tokens, side="right").tolist()
        for i, token in enumerate(tokens.tolist()):
            recent = self._recent.get(token, ())
            count = hi[i] - lo[i] + len(recent)
            if count == 0 or count > max_postings:
                continue
            found.append(self._seqs[lo[i] : hi[i]])
            if recent:
                found.append(np.asarray(recent, np.uint32))
            per_token.append(weights[i] / math.log2(2.0 + count))
            counts.append(count)
        if not found:
            return []
        seqs = np.concatenate(found)
        live = seqs >= self.first_live
        unique, inverse = np.unique(seqs[live], return_inverse=True)
        if unique.size == 0:
            return []
        scores = np.bincount(inverse, weights=np.repeat(per_token, counts)[live])
        order = np.argsort(-scores, kind="stable")[:limit]
        return [
            Candidate(int(unique[i]), self._keys[int(unique[i]) - self._base], float(scores[i]))
            for i in order
        ]

    def postings(self, token: int) -> list[int]:
        """Live sequence numbers under ``token`` (for exact keys such as the producer's id)."""
        key = np.uint32(token)  # a Python int would make numpy cast the whole array first
        lo = int(np.searchsorted(self._tokens, key, side="left"))
        hi = int(np.searchsorted(self._tokens, key, side="right"))
        seqs = [*self._seqs[lo:hi].tolist(), *self._recent.get(token, ())]
        return [seq for seq in seqs if seq >= self.first_live]

    def posting_bytes(self) -> int:
        return int(self._tokens.nbytes + self._seqs.nbytes)

    def _merge(self) -> None:
        """Fold the recent postings into the sorted arrays, dropping those of evicted items.

        Only the recent postings are sorted; they are then inserted at their places, so a merge
        costs a few linear passes over the arrays rather than a sort of all of them.
        """
        recent_tokens = np.fromiter(
            (t for t, seqs in self._recent.items() for _ in seqs), np.uint32, self._recent_count
        )
        recent_seqs = np.fromiter(
            (s for seqs in self._recent.values() for s in seqs), np.uint32, self._recent_count
        )
        order = np.argsort(recent_tokens, kind="stable")
        live = self._seqs >= self.first_live
        tokens, seqs = self._tokens[live], self._seqs[live]
        at = np.searchsorted(tokens, recent_tokens[order], side="right")
        self._tokens = np.insert(tokens, at, recent_tokens[order])
        self._seqs = np.insert(seqs, at, recent_seqs[order])
        self._recent = {}
        self._recent_count = 0
