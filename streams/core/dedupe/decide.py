"""Dedupe and story clustering: one story id per story, across re-sends, edits and languages.

The decision for an item, in order (docs/dedupe.md has the method and its measurements):

1. Exact, from the store: the same normalized content within the window is a ``duplicate``; the
   producer's id (scoped by source) seen with other content is a correction, a
   ``near_duplicate`` of the first version.
2. Blocking, from the in-memory index (:mod:`streams.core.dedupe.index`): the remembered items that
   share MinHash bands, sentence or headline hashes, or anchors with the item, rarest first.
3. Verification (:mod:`streams.core.dedupe.similarity`) of those few: ``near_duplicate`` (an edited
   copy), ``translation`` (the same story in another language), ``same_story`` (another article
   about it in the same language), or ``unique`` (a new story).

The state lives in any ``MutableMapping[str, Any]``: a dict offline, a faust table with a
changelog (raw bytes values) in the worker. One key per item, ``h:<content hash>``, holding one
packed record of about 670 bytes (:class:`~streams.core.dedupe.record.Seen`). The index is
derived from it: :meth:`Deduper.restore` rebuilds it, and must be called when the store changed
behind the deduper's back (a worker's recovery or rebalance); a deduper builds it on first use.

The store is bounded by a time window and a maximum count: the oldest items are evicted (deleted
from the store) as new ones arrive, and an item older than the window is ignored until then.

Replays: after a crash, Kafka redelivers messages whose offsets were not committed, although their
state updates may already be in the changelog. Each record keeps the ``origin`` (raw partition and
offset) that created it, and a message that finds its own origin is a replay, not a duplicate: it
gets its first result again, so a crash can repeat a publication but never lose one.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from streams.core.dedupe.fingerprint import Fingerprint
from streams.core.dedupe.index import MAX_SEQ, Index, build_index
from streams.core.dedupe.record import Seen
from streams.core.dedupe.similarity import classify, compare, compare_many
from streams.core.dedupe.tokens import blocking_postings, blocking_tokens, id_token, id_tokens
from streams.errors import FormatError
from streams.models import DedupeResult, DedupeStatus

Store = MutableMapping[str, Any]

HASH_PREFIX = "h:"
PURGE_BATCH = 64  # records deleted per decision after a restore: spreads the work out
CANDIDATES = 24  # verified per item: enough for every match of the benchmark, see docs/dedupe.md
# Decoded candidates, by their record: a story's items are candidates of each later item, and
# unpacking them again was a fifth of the decision (about 17 candidates per item on the bench).
DECODED_CACHE = 4096
_NO_TOKENS = (np.zeros(0, np.uint32), np.zeros(0, np.float64))


@dataclass(frozen=True, slots=True)
class DedupeKeys:
    content_hash: str
    id_key: str | None

    @classmethod
    def build(cls, content_hash: str, source: str | None, item_id: str | None) -> DedupeKeys:
        # Scoped by source: producers' ids are only unique per publisher.
        id_key = None if item_id is None else f"i:{source or ''}:{item_id}"
        return cls(content_hash=content_hash, id_key=id_key)

    @property
    def hash_key(self) -> str:
        return f"{HASH_PREFIX}{self.content_hash}"


class Deduper:
    def __init__(self, store: Store, window_s: float, max_items: int = 100_000) -> None:
        self._store = store
        self._window_s = window_s
        self._max_items = max_items
        self._index: Index | None = None
        self._doomed: list[tuple[str, float | None]] = []  # (key, its record's time) to delete

    @property
    def index(self) -> Index:
        if self._index is None:
            self.restore()
        assert self._index is not None
        return self._index

    def restore(self, now: float | None = None) -> int:
        """Rebuild the index from the store; returns the number of items indexed.

        Records beyond the bounds (older than the window before ``now``, which defaults to the
        newest record's time, or more than ``max_items``) are not indexed, and are deleted from
        the store by the next decisions rather than here: a faust table can only be written while
        an event is being processed, and a worker restores before that.
        """
        remembered: list[tuple[float, str, Seen]] = []
        for key, value in list(self._store.items()):
            seen = _parse(value) if key.startswith(HASH_PREFIX) else None
            if seen is None:  # an id key of the exact-only version, or a broken record
                self._doomed.append((key, None))
                continue
            remembered.append((seen.seen_at, key, seen))
        remembered.sort(key=lambda entry: entry[0])
        if remembered:
            limit = (remembered[-1][0] if now is None else now) - self._window_s
            cut = max(len(remembered) - self._max_items, 0)
            while cut < len(remembered) and remembered[cut][0] < limit:
                cut += 1
            self._doomed += [(key, seen_at) for seen_at, key, _s in remembered[:cut]]
            remembered = remembered[cut:]
        # Items without a fingerprint (the exact-only version's records) get only their id token.
        decoded = [(i, seen.decoded()) for i, (_t, _k, seen) in enumerate(remembered)]
        present = [(i, fp) for i, fp in decoded if fp is not None]
        tokens, _weights, owners = blocking_postings([fp for _i, fp in present])
        ids = [(i, seen.id_key) for i, (_t, _k, seen) in enumerate(remembered) if seen.id_key]
        self._index = build_index(
            [key for _t, key, _s in remembered],
            [seen_at for seen_at, _k, _s in remembered],
            np.concatenate((tokens, id_tokens([k for _i, k in ids]))),
            np.concatenate(
                (np.array([i for i, _fp in present], np.intp)[owners], [i for i, _k in ids])
            ).astype(np.intp),
        )
        return len(self._index)

    def peek(
        self, keys: DedupeKeys, *, now: float, origin: str | None = None
    ) -> DedupeResult | None:
        """The exact outcome (a duplicate, or a replay's first result), without writing anything."""
        by_hash = self._lookup(keys.hash_key, now)
        if by_hash is None:
            return None
        if origin is not None and by_hash.origin == origin:
            return by_hash.first_result()
        return DedupeResult(DedupeStatus.DUPLICATE, by_hash.story_id, by_hash.event_id, 1.0)

    def check(
        self,
        keys: DedupeKeys,
        fingerprint: Fingerprint | None,
        *,
        event_id: str,
        now: float,
        origin: str | None = None,
    ) -> DedupeResult:
        """Decide about one item and remember it (unless it is a duplicate or a replay)."""
        # Built before the first write, so that it does not index this item twice.
        index = self.index
        if index.next_seq >= MAX_SEQ:  # after about 4 billion items: number them from 0 again
            self.restore(now)
            index = self.index
        if self._doomed:
            self._purge()
        exact = self.peek(keys, now=now, origin=origin)
        if exact is not None:
            return exact
        tokens, weights = blocking_tokens(fingerprint) if fingerprint is not None else _NO_TOKENS
        result = self._correction(keys.id_key, fingerprint, now) if keys.id_key else None
        if result is None and fingerprint is not None:
            result = self._match(fingerprint, tokens, weights, now)
        if result is None:
            # Derived from content, not drawn at random, so that a replay names the same story.
            result = DedupeResult(DedupeStatus.UNIQUE, keys.content_hash[:16], None, 0.0)
        seen = Seen(
            result.story_id, event_id, now, origin, result.status, result.duplicate_of,
            result.similarity, keys.id_key, fingerprint.to_bytes() if fingerprint else None,
        )  # fmt: skip
        self._store[keys.hash_key] = seen.to_record()
        if keys.id_key is not None:
            tokens = np.append(tokens, np.uint32(id_token(keys.id_key)))
        index.add(keys.hash_key, now, tokens.tolist())
        self._evict(now)
        return result

    def _correction(
        self, id_key: str, fingerprint: Fingerprint | None, now: float
    ) -> DedupeResult | None:
        """The producer's id seen before with other content: a correction of its first version."""
        earlier = self._first_version(id_key, now)
        if earlier is None:
            return None
        old = earlier.decoded()
        similarity = None  # the first version's content is not remembered (exact-only record)
        if old is not None and fingerprint is not None:
            similarity = round(compare(fingerprint, old).similarity, 4)
        return DedupeResult(
            DedupeStatus.NEAR_DUPLICATE, earlier.story_id, earlier.event_id, similarity
        )

    def _match(
        self,
        fingerprint: Fingerprint,
        tokens: npt.NDArray[np.uint32],
        weights: npt.NDArray[np.float64],
        now: float,
    ) -> DedupeResult | None:
        index = self.index
        candidates = index.lookup(
            tokens, weights, max_postings=max(1000, len(index) // 50), limit=CANDIDATES
        )
        found: list[tuple[Seen, Fingerprint]] = []
        for candidate in candidates:
            record = self._store.get(candidate.key)
            pair = _decoded(record) if type(record) is bytes else _decoded_uncached(record)
            if pair is not None and now - pair[0].seen_at <= self._window_s:
                found.append(pair)
        scores = compare_many(fingerprint, [fp for _seen, fp in found])
        best: tuple[tuple[int, float], DedupeResult] | None = None
        for (seen, fp), score in zip(found, scores, strict=True):
            status = classify(score, fingerprint.language, fp.language)
            if status is None:
                continue
            # An edited copy beats a story match. Among copies the most alike by Jaccard is the
            # original (a long article quoting this one whole contains it too); among stories,
            # the closest.
            near = status is DedupeStatus.NEAR_DUPLICATE
            rank = (1, score.jaccard) if near else (0, score.similarity)
            if best is None or rank > best[0]:
                similarity = round(score.similarity, 4)
                best = (rank, DedupeResult(status, seen.story_id, seen.event_id, similarity))
        return None if best is None else best[1]

    def _first_version(self, id_key: str, now: float) -> Seen | None:
        for seq in self.index.postings(id_token(id_key)):
            key = self.index.key_of(seq)
            seen = self._lookup(key, now) if key is not None else None
            if seen is not None and seen.id_key == id_key:
                return seen
        return None

    def _lookup(self, key: str, now: float) -> Seen | None:
        seen = _parse(self._store.get(key))
        return seen if seen is not None and now - seen.seen_at <= self._window_s else None

    def _purge(self) -> None:
        """Delete a few of the records that the last restore left out of the index."""
        batch, self._doomed = self._doomed[:PURGE_BATCH], self._doomed[PURGE_BATCH:]
        for key, seen_at in batch:
            current = self._store.get(key)
            if current is None:
                continue
            seen = _parse(current) if seen_at is not None else None
            # The key may hold a newer record by now (content seen again after it expired).
            if seen_at is None or (seen is not None and seen.seen_at == seen_at):
                del self._store[key]

    def _evict(self, now: float) -> None:
        """Oldest first, while over the count or older than the window."""
        index = self.index
        while (oldest := index.oldest()) is not None:
            _seq, key, seen_at = oldest
            if len(index) <= self._max_items and now - seen_at <= self._window_s:
                break
            index.pop_oldest()
            current = _parse(self._store.get(key))
            # The key may hold a newer record by now (content seen again after it expired).
            if current is not None and current.seen_at == seen_at:
                del self._store[key]


def _parse(record: Any) -> Seen | None:
    if record is None:
        return None
    try:
        return Seen.from_record(record)
    except FormatError:
        return None


def _decoded_uncached(record: Any) -> tuple[Seen, Fingerprint] | None:
    seen = _parse(record)
    fp = seen.decoded() if seen is not None else None
    return None if seen is None or fp is None else (seen, fp)


# Records are immutable bytes, and a store hands out the object it holds, whose hash is cached.
_decoded = lru_cache(maxsize=DECODED_CACHE)(_decoded_uncached)
