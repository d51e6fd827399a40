"""A story's state as the store keeps it: compact JSON, positional, with a version in front.

Not the record consumers read (:func:`~streams.core.stories.state.story_record` makes that): the
state also holds what the record leaves out (the entities beyond the top 20, the raw origins of
the latest items) and keeps times as Unix seconds. About 1 KB for a story of a few items.
"""

from __future__ import annotations

from typing import Any

import orjson

from streams.core.stories.state import Change, LastItem, StoryEntity, StoryState
from streams.errors import FormatError
from streams.models import DedupeStatus

STATE_VERSION = 1
STATUSES = tuple(DedupeStatus)


def pack(state: StoryState) -> bytes:
    item = state.last_item
    return orjson.dumps(
        [
            STATE_VERSION,
            state.story_id,
            state.version,
            state.first_seen,
            state.last_seen,
            state.headline,
            state.headlines,
            state.items,
            [state.statuses.get(s.value, 0) for s in STATUSES],
            state.languages,
            state.sources,
            state.other_sources,
            [_entity_row(e) for e in state.entities],
            [_entity_row(e) for e in state.hits],
            [c.value for c in state.changes],
            [item.id, item.status.value, item.language, item.source, item.duplicate_of],
            state.recent,
        ]
    )


def unpack(data: bytes) -> StoryState:
    """What :func:`pack` wrote; FormatError for anything else."""
    try:
        return _from_list(orjson.loads(data))
    except FormatError:
        raise
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise FormatError(f"not a story state: {exc}") from None


def _from_list(fields: list[Any]) -> StoryState:
    if not isinstance(fields, list) or not fields or fields[0] != STATE_VERSION:
        raise FormatError("not a story state of a version this worker reads")
    (
        _version, story_id, version, first_seen, last_seen, headline, headlines, items,
        statuses, languages, sources, other_sources, entities, hits, changes, last, recent,
    ) = fields  # fmt: skip
    changed = tuple(Change(c) for c in changes)
    if not changed:
        raise FormatError("a story state without a change")
    item_id, status, language, source, duplicate_of = last
    return StoryState(
        story_id=str(story_id),
        version=int(version),
        first_seen=float(first_seen),
        last_seen=float(last_seen),
        headline=headline,
        headlines=dict(headlines),
        items=int(items),
        statuses={s.value: int(n) for s, n in zip(STATUSES, statuses, strict=True)},
        languages=dict(languages),
        sources=dict(sources),
        other_sources=int(other_sources),
        entities=tuple(_entity(row) for row in entities),
        hits=tuple(_entity(row) for row in hits),
        last_change=changed[0],
        changes=changed,
        last_item=LastItem(item_id, DedupeStatus(status), language, source, duplicate_of),
        recent=tuple(recent),
    )


def _entity_row(e: StoryEntity) -> list[Any]:
    return [e.id, e.name, e.type, e.count, e.items, e.watchlists]


def _entity(row: list[Any]) -> StoryEntity:
    # The hot part of reading a state (up to 140 entities): no conversions but the one needed.
    entity_id, name, etype, count, items, lists = row
    return StoryEntity(entity_id, name, etype, count, items, tuple(lists) if lists else ())
