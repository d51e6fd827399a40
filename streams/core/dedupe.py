"""Exact dedupe: the same item id, or the same normalized content, within a time window.

The state lives in any ``MutableMapping[str, list]``: a plain dict offline, a faust table with a
changelog in the worker (so it survives restarts). Records are small JSON-able lists, because a
faust table serialises its values.

Keys:
- ``h:<content_hash>``: the normalized headline + text (``streams.core.normalize``);
- ``i:<source>:<item id>``: the producer's id, scoped by source because ids are only unique per
  publisher.

Replays: after a crash, Kafka redelivers messages whose offsets were not committed, although their
state updates may already be in the changelog. Each record keeps the ``origin`` (raw partition and
offset) that created it, and a message that finds its own origin is a replay, not a duplicate: it
gets its first result again, so a crash can repeat a publication but never lose one.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from streams.models import DedupeResult, DedupeStatus

Store = MutableMapping[str, Any]


@dataclass(frozen=True, slots=True)
class Seen:
    """What the store remembers of an item."""

    story_id: str
    event_id: str
    content_hash: str
    seen_at: float
    origin: str | None
    duplicate_of: str | None = None

    def to_record(self) -> list[Any]:
        return [
            self.story_id,
            self.event_id,
            self.content_hash,
            self.seen_at,
            self.origin,
            self.duplicate_of,
        ]

    @classmethod
    def from_record(cls, record: Any) -> Seen:
        story_id, event_id, content_hash, seen_at, origin, duplicate_of = record
        return cls(
            str(story_id), str(event_id), str(content_hash), float(seen_at), origin, duplicate_of
        )

    def first_result(self) -> DedupeResult:
        """The result this item got when it was first seen (for replays)."""
        if self.duplicate_of is None:
            return DedupeResult(DedupeStatus.UNIQUE, self.story_id, None, similarity=0.0)
        return DedupeResult(
            DedupeStatus.NEAR_DUPLICATE, self.story_id, self.duplicate_of, similarity=None
        )


@dataclass(frozen=True, slots=True)
class DedupeKeys:
    content_hash: str
    id_key: str | None

    @classmethod
    def build(cls, content_hash: str, source: str | None, item_id: str | None) -> DedupeKeys:
        id_key = None if item_id is None else f"i:{source or ''}:{item_id}"
        return cls(content_hash=content_hash, id_key=id_key)

    @property
    def hash_key(self) -> str:
        return f"h:{self.content_hash}"


class ExactDeduper:
    """Decides ``unique`` / ``duplicate`` / ``near_duplicate`` from exact keys.

    A same-id item with different content is a producer's correction: ``near_duplicate`` of the
    first, in the same story, and published.
    """

    def __init__(self, store: Store, window_s: float) -> None:
        self._store = store
        self._window_s = window_s

    def check(
        self, keys: DedupeKeys, *, event_id: str, now: float, origin: str | None = None
    ) -> DedupeResult:
        by_hash = self._lookup(keys.hash_key, now)
        by_id = self._lookup(keys.id_key, now) if keys.id_key else None
        if by_hash is not None and origin is not None and by_hash.origin == origin:
            return by_hash.first_result()
        if by_hash is not None:
            return DedupeResult(
                DedupeStatus.DUPLICATE, by_hash.story_id, by_hash.event_id, similarity=1.0
            )
        if by_id is not None:
            seen = Seen(by_id.story_id, event_id, keys.content_hash, now, origin, by_id.event_id)
            self._remember(keys, seen, keep_id=True)
            return seen.first_result()
        # Derived from content, not drawn at random, so that a replay names the same story.
        seen = Seen(keys.content_hash[:16], event_id, keys.content_hash, now, origin)
        self._remember(keys, seen, keep_id=False)
        return seen.first_result()

    def _lookup(self, key: str | None, now: float) -> Seen | None:
        if key is None:
            return None
        record = self._store.get(key)
        if record is None:
            return None
        seen = Seen.from_record(record)
        return seen if now - seen.seen_at <= self._window_s else None

    def _remember(self, keys: DedupeKeys, seen: Seen, *, keep_id: bool) -> None:
        """Store the item; the id key keeps pointing at the first version of a corrected item."""
        record = seen.to_record()
        self._store[keys.hash_key] = record
        if keys.id_key is not None and not keep_id:
            self._store[keys.id_key] = record
