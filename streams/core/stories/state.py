"""One story's state, and how one decided item changes it: :func:`advance`, a pure function.

``advance(state, item)`` takes what is known of a story (``None`` for a story not seen yet) and
one item the dedupe stage has decided (:class:`StoryItem`), and returns the new state, the record
that tells consumers about it (``wirestream.story.v1``, :mod:`.record`) and what changed
(:class:`Change`). Every item of a story changes it, its counts at least, so every item gives a
new version; ``last_change`` says what an alerting consumer cares about:

- ``new_story``: the story's first record (its first item, or the first after it left the state);
- ``new_language``: the item is in a language the story had no item in (``und`` never counts);
- ``new_source``: the item comes from a source that had not covered the story;
- ``correction``: an edited copy (``near_duplicate``) from a source that covered the story;
- ``more_coverage``: anything else (a re-send, another article, a translation into a language
  the story has).

``changes`` lists every one of those that applies, most significant first; ``last_change`` is
its first. An exact duplicate repeats a text the story counts already: it adds to ``items``, to
its status and to its source, never to languages, headlines or entities.

Replays: the state keeps the raw origins (``partition:offset``) of the story's latest items. An
item that arrives with one of them was counted already (a message read again after a crash under
``at_least_once``; under ``exactly_once`` the state change and the first reading's output were
aborted together, so it never happens): the state stays as it is and the same record is made
again, so that it is published at least once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from streams.codec import timestamp_to_rfc3339
from streams.core.text import cut_at_space
from streams.models import DedupeResult, DedupeStatus, EnrichedEvent, Entity

TOP_ENTITIES = 20  # entities a record reports
TRACKED_ENTITIES = 40  # entities the state keeps, so that the top 20 stay right as counts move
MAX_HITS = 100  # watchlisted entities the state keeps
MAX_SOURCES = 200  # sources counted by name; items of further sources count in other_sources
RECENT_ORIGINS = 32  # raw origins of the story's latest items, to recognise a replay
HEADLINE_CHARS = 300
UNDETERMINED = "und"
STORY_SCHEMA = "wirestream.story.v1"
# The record's Kafka headers (part of the contract): what changed, and on a tombstone (no value)
# why the story left the window, so that a consumer can route without parsing the value.
CHANGE_HEADER = "story-change"
CLOSED_HEADER = "story-closed"


class Change(StrEnum):
    """What an item changed in its story, most significant first (part of the story contract)."""

    NEW_STORY = "new_story"
    NEW_LANGUAGE = "new_language"
    NEW_SOURCE = "new_source"
    CORRECTION = "correction"
    MORE_COVERAGE = "more_coverage"


@dataclass(frozen=True, slots=True)
class StoryEntity:
    """An entity over a story's items: ``count`` mentions in ``items`` items."""

    id: str | None
    name: str
    type: str
    count: int
    items: int
    watchlists: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        # Linked entities are the same in every language; an unlinked name is only itself.
        return self.id if self.id is not None else f"{self.type}:{self.name}"


@dataclass(frozen=True, slots=True)
class StoryItem:
    """What a story needs to know of one decided item."""

    story_id: str
    event_id: str | None  # None for an exact duplicate that got no event
    status: DedupeStatus
    seen_at: float  # when the worker took the item in (its received_at), Unix seconds
    origin: str | None = None  # the raw partition:offset, None offline
    source: str | None = None
    language: str | None = None
    headline: str | None = None
    entities: tuple[Entity, ...] = ()
    duplicate_of: str | None = None

    @classmethod
    def of(
        cls,
        dedupe: DedupeResult,
        event: EnrichedEvent | None,
        *,
        source: str | None,
        seen_at: float,
        origin: str | None,
    ) -> StoryItem:
        """The item from the core's result: its event, or for a skipped exact duplicate (no
        event) its dedupe result and source alone."""
        if event is None:  # its own id is not known: null in the record's last_item
            return cls(
                dedupe.story_id, None, dedupe.status, seen_at, origin, source,
                duplicate_of=dedupe.duplicate_of,
            )  # fmt: skip
        return cls(
            dedupe.story_id, event.id, dedupe.status, seen_at, origin, event.source.name or source,
            event.language.code, event.headline, event.entities, dedupe.duplicate_of,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class LastItem:
    """The item that made the story's latest version."""

    id: str | None
    status: DedupeStatus
    language: str | None
    source: str | None
    duplicate_of: str | None


@dataclass(frozen=True, slots=True)
class StoryState:
    """Everything kept of one story. The mappings are never changed once built (:func:`advance`
    builds new ones), so a state can be shared."""

    story_id: str
    version: int
    first_seen: float
    last_seen: float
    headline: str | None  # the story's first headline
    headlines: Mapping[str, str]  # language -> the latest headline in it
    items: int
    statuses: Mapping[str, int]  # every dedupe status, in DedupeStatus order
    languages: Mapping[str, int]  # language -> items (exact duplicates not counted)
    sources: Mapping[str, int]  # source -> items, at most MAX_SOURCES of them
    other_sources: int  # items from sources beyond MAX_SOURCES
    entities: tuple[StoryEntity, ...]  # ranked, at most TRACKED_ENTITIES
    hits: tuple[StoryEntity, ...]  # the entities on a watchlist, ranked, at most MAX_HITS
    last_change: Change
    changes: tuple[Change, ...]
    last_item: LastItem
    recent: tuple[str, ...]  # origins of the latest items, oldest first

    @property
    def top_entities(self) -> tuple[StoryEntity, ...]:
        return self.entities[:TOP_ENTITIES]


@dataclass(frozen=True, slots=True)
class Advance:
    """What :func:`advance` made of one item: the new state, its record, and what changed."""

    state: StoryState
    record: dict[str, Any]
    last_change: Change
    replay: bool  # the item had been counted already: the state is the one given


def advance(state: StoryState | None, item: StoryItem) -> Advance:
    """The story after ``item``; ``state`` is None for a story not seen yet (or no longer held)."""
    if state is not None and item.origin is not None and item.origin in state.recent:
        return Advance(state, story_record(state), state.last_change, replay=True)
    new = _started(item) if state is None else _continued(state, item)
    return Advance(new, story_record(new), new.last_change, replay=False)


def _started(item: StoryItem) -> StoryState:
    empty = StoryState(
        story_id=item.story_id, version=0, first_seen=item.seen_at, last_seen=item.seen_at,
        headline=None, headlines={}, items=0, statuses={s.value: 0 for s in DedupeStatus},
        languages={}, sources={}, other_sources=0, entities=(), hits=(),
        last_change=Change.NEW_STORY, changes=(Change.NEW_STORY,),
        last_item=LastItem(None, item.status, None, None, None), recent=(),
    )  # fmt: skip
    return _apply(empty, item, (Change.NEW_STORY,))


def _continued(state: StoryState, item: StoryItem) -> StoryState:
    counted = item.status is not DedupeStatus.DUPLICATE
    language = item.language if counted else None
    changes: list[Change] = []
    if language is not None and language != UNDETERMINED and language not in state.languages:
        changes.append(Change.NEW_LANGUAGE)
    source = item.source
    known_source = source is None or source in state.sources
    if not known_source and len(state.sources) < MAX_SOURCES:
        changes.append(Change.NEW_SOURCE)
    elif item.status is DedupeStatus.NEAR_DUPLICATE and known_source:
        changes.append(Change.CORRECTION)
    return _apply(state, item, tuple(changes) or (Change.MORE_COVERAGE,))


def _apply(state: StoryState, item: StoryItem, changes: tuple[Change, ...]) -> StoryState:
    counted = item.status is not DedupeStatus.DUPLICATE
    language = item.language if counted else None
    headline = cut_at_space(item.headline, HEADLINE_CHARS) if counted and item.headline else None
    sources, other = dict(state.sources), state.other_sources
    if item.source is not None:
        if item.source in sources or len(sources) < MAX_SOURCES:
            sources[item.source] = sources.get(item.source, 0) + 1
        else:
            other += 1
    entities, hits = state.entities, state.hits
    if counted and item.entities:
        entities, hits = _merged(state.entities, state.hits, item.entities)
    recent = state.recent if item.origin is None else (*state.recent, item.origin)
    return StoryState(
        story_id=state.story_id,
        version=state.version + 1,
        first_seen=min(state.first_seen, item.seen_at),
        last_seen=max(state.last_seen, item.seen_at),
        headline=state.headline if state.headline is not None else headline,
        headlines=_plus(state.headlines, language, headline) if headline else state.headlines,
        items=state.items + 1,
        statuses=_counted(state.statuses, item.status.value),
        languages=_counted(state.languages, language) if language else state.languages,
        sources=sources,
        other_sources=other,
        entities=entities,
        hits=hits,
        last_change=changes[0],
        changes=changes,
        last_item=LastItem(item.event_id, item.status, language, item.source, item.duplicate_of),
        recent=recent[-RECENT_ORIGINS:],
    )


def _plus(mapping: Mapping[str, str], key: str | None, value: str) -> Mapping[str, str]:
    return {**mapping, (key or UNDETERMINED): value}


def _counted(counts: Mapping[str, int], key: str) -> dict[str, int]:
    return {**counts, key: counts.get(key, 0) + 1}


def _merged(
    entities: tuple[StoryEntity, ...], hits: tuple[StoryEntity, ...], found: Iterable[Entity]
) -> tuple[tuple[StoryEntity, ...], tuple[StoryEntity, ...]]:
    """The story's entities and watchlist hits with one item's entities added, ranked by the
    items that mention them, then by mentions (ties keep their order: the earlier first)."""
    tracked = {e.key: e for e in entities}
    watched = {e.key: e for e in hits}
    for entity in found:
        mentioned = StoryEntity(
            entity.id, entity.name, entity.type, entity.count, 1, tuple(entity.watchlists)
        )
        key = mentioned.key
        tracked[key] = _plus_entity(tracked.get(key), mentioned)
        if entity.id is not None and (mentioned.watchlists or key in watched):
            watched[key] = _plus_entity(watched.get(key), mentioned)
    return _ranked(tracked.values(), TRACKED_ENTITIES), _ranked(watched.values(), MAX_HITS)


def _plus_entity(known: StoryEntity | None, new: StoryEntity) -> StoryEntity:
    if known is None:
        return new
    lists = known.watchlists
    if new.watchlists and new.watchlists != lists:
        lists = tuple(sorted({*lists, *new.watchlists}))
    return StoryEntity(
        known.id, known.name, known.type, known.count + new.count, known.items + 1, lists
    )


def _ranked(entities: Iterable[StoryEntity], limit: int) -> tuple[StoryEntity, ...]:
    return tuple(sorted(entities, key=lambda e: (-e.items, -e.count))[:limit])


def story_record(state: StoryState) -> dict[str, Any]:
    """The state as consumers see it, schema ``wirestream.story.v1`` (schemas/story.v1.json)."""
    item = state.last_item
    lists: dict[str, list[dict[str, Any]]] = {}
    for hit in state.hits:
        for name in hit.watchlists:
            lists.setdefault(name, []).append(_entity(hit, with_lists=False))
    return {
        "schema": STORY_SCHEMA,
        "story_id": state.story_id,
        "version": state.version,
        "last_change": state.last_change.value,
        "changes": [c.value for c in state.changes],
        "first_seen": timestamp_to_rfc3339(state.first_seen),
        "last_seen": timestamp_to_rfc3339(state.last_seen),
        "headline": state.headline,
        "headlines": dict(state.headlines),
        "items": state.items,
        "statuses": dict(state.statuses),
        "languages": dict(state.languages),
        "sources": dict(state.sources),
        "other_sources": state.other_sources,
        "entities": [_entity(e) for e in state.top_entities],
        "watchlists": dict(sorted(lists.items())),
        "last_item": {
            "id": item.id,
            "status": item.status.value,
            "language": item.language,
            "source": item.source,
            "duplicate_of": item.duplicate_of,
        },
    }


def _entity(e: StoryEntity, *, with_lists: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"id": e.id, "name": e.name, "type": e.type, "count": e.count}
    out["items"] = e.items
    if with_lists:
        out["watchlists"] = list(e.watchlists)
    return out
