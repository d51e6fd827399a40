"""The story core: how one item changes its story (table-style), what holds over any sequence of
items (hypothesis), the record against its JSON Schema, and the state's bytes."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from functools import reduce
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.core.stories import (
    Change,
    StoryItem,
    StoryState,
    advance,
    pack,
    story_record,
    unpack,
)
from streams.core.stories.state import MAX_SOURCES, RECENT_ORIGINS, TOP_ENTITIES
from streams.errors import FormatError
from streams.models import DedupeResult, DedupeStatus, EnrichedEvent, Entity, Language, SourceInfo

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "story.v1.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

U, D, N, T, S = (
    DedupeStatus.UNIQUE,
    DedupeStatus.DUPLICATE,
    DedupeStatus.NEAR_DUPLICATE,
    DedupeStatus.TRANSLATION,
    DedupeStatus.SAME_STORY,
)
ROTTERDAM = Entity("Rotterdam", "LOC", "geonames:2747891", "Rotterdam", 0, 9, 2)
ACME = Entity("Acme", "ORG", "wirestream:acme", "Acme", 12, 16, 1, watchlists=("portfolio",))
_origins = iter(range(1_000_000))


def item(
    status: DedupeStatus = U,
    language: str | None = "en",
    source: str | None = "Harbour Wire",
    *,
    origin: str | None = None,
    seen_at: float = 1_800_000_000.0,
    headline: str | None = "Dockworkers strike",
    entities: tuple[Entity, ...] = (ROTTERDAM,),
) -> StoryItem:
    return StoryItem(
        "5a1e0000deadbeef", "ws-1", status, seen_at,
        origin if origin is not None else f"0:{next(_origins)}",
        source, language, headline, entities, None if status is U else "ws-0",
    )  # fmt: skip


def story(*items: StoryItem) -> StoryState:
    state: StoryState | None = None
    for one in items:
        state = advance(state, one).state
    assert state is not None
    return state


FIRST = item()


@pytest.mark.parametrize(
    ("before", "then", "changes"),
    [
        ((), FIRST, ["new_story"]),
        ((FIRST,), item(D), ["more_coverage"]),  # an exact re-send from the same source
        ((FIRST,), item(D, None, "Quay Post"), ["new_source"]),  # the same text, another wire
        ((FIRST,), item(N), ["correction"]),  # an edited copy from the source that sent it
        ((FIRST,), item(N, source=None), ["correction"]),
        ((FIRST,), item(N, source="Quay Post"), ["new_source"]),  # another wire's edit
        ((FIRST,), item(T, "de"), ["new_language"]),
        ((FIRST,), item(T, "de", "Quay Post"), ["new_language", "new_source"]),
        ((FIRST,), item(N, "de"), ["new_language", "correction"]),  # a correction under its id
        ((FIRST,), item(S), ["more_coverage"]),
        ((FIRST,), item(S, source="Quay Post"), ["new_source"]),
        ((FIRST,), item(S, "und"), ["more_coverage"]),  # und is no language to escalate on
        ((FIRST, item(T, "de")), item(T, "de"), ["more_coverage"]),
        ((), item(T, "de"), ["new_story"]),  # a story that left the state comes back anew
        ((), item(D, None), ["new_story"]),
    ],
)
def test_what_an_item_changes(
    before: tuple[StoryItem, ...], then: StoryItem, changes: list[str]
) -> None:
    state = story(*before) if before else None
    step = advance(state, then)
    assert [c.value for c in step.state.changes] == changes
    assert step.last_change is step.state.last_change is Change(changes[0])
    assert step.record["last_change"] == changes[0]
    assert step.state.version == len(before) + 1
    assert not step.replay


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        # an exact re-send counts as an item, its status and its source, never as a language
        ((FIRST, item(D, None)), {"items": 2, "languages": {"en": 1}, "duplicate": 1}),
        ((FIRST, item(T, "de")), {"items": 2, "languages": {"en": 1, "de": 1}, "duplicate": 0}),
        ((FIRST, item(D, "en")), {"items": 2, "languages": {"en": 1}, "duplicate": 1}),
    ],
)
def test_counts(items: tuple[StoryItem, ...], expected: dict[str, object]) -> None:
    state = story(*items)
    assert state.items == expected["items"]
    assert dict(state.languages) == expected["languages"]
    assert state.statuses["duplicate"] == expected["duplicate"]
    assert sum(state.statuses.values()) == state.items


def test_headlines_first_and_latest_per_language() -> None:
    state = story(
        FIRST,
        item(N, headline="UPDATE 1-Dockworkers strike"),
        item(T, "de", headline="Hafenarbeiter streiken"),
        item(D, None, headline="ignored: a re-send"),
    )
    assert state.headline == "Dockworkers strike"
    assert dict(state.headlines) == {
        "en": "UPDATE 1-Dockworkers strike",
        "de": "Hafenarbeiter streiken",
    }


def test_entities_and_watchlist_hits() -> None:
    state = story(FIRST, item(T, "de", entities=(ROTTERDAM, ACME)), item(D, entities=(ACME,)))
    record = story_record(state)
    rotterdam, acme = record["entities"]
    assert (rotterdam["id"], rotterdam["count"], rotterdam["items"]) == ("geonames:2747891", 4, 2)
    assert (acme["count"], acme["items"], acme["watchlists"]) == (1, 1, ["portfolio"])
    assert record["watchlists"] == {
        "portfolio": [
            {"id": "wirestream:acme", "name": "Acme", "type": "ORG", "count": 1, "items": 1}
        ]
    }


def test_a_replayed_item_changes_nothing_and_gives_the_same_record() -> None:
    first = advance(None, item(origin="3:17"))
    again = advance(first.state, item(origin="3:17"))
    assert again.replay
    assert again.state == first.state
    assert again.record == first.record
    # Only the latest origins are kept: an item older than them counts again.
    state = story(item(origin="3:17"), *(item(S) for _ in range(RECENT_ORIGINS)))
    assert not advance(state, item(origin="3:17")).replay


def test_sources_are_bounded() -> None:
    items = [item(S, source=f"wire-{n}") for n in range(MAX_SOURCES + 2)]
    state = story(*items)
    assert len(state.sources) == MAX_SOURCES
    assert state.other_sources == 2
    assert state.last_change is Change.MORE_COVERAGE  # a source beyond the bound is not "new"


def test_from_the_core_result() -> None:
    dedupe = DedupeResult(D, "5a1e0000deadbeef", "ws-0", 1.0)
    skipped = StoryItem.of(dedupe, None, source="Quay Post", seen_at=1.0, origin="0:1")
    assert (skipped.event_id, skipped.source, skipped.language) == (None, "Quay Post", None)
    event = EnrichedEvent(
        id="ws-9", source=SourceInfo("Quay Post", "ws-9", None), published_at=None,
        received_at="", processed_at="", headline="Strike", text="", boilerplate=(),
        sectors=(), language=Language("nl", 0.9, "Latn"), entities=(ROTTERDAM,),
        dedupe=DedupeResult(T, "5a1e0000deadbeef", "ws-0", 0.7),
    )  # fmt: skip
    full = StoryItem.of(event.dedupe, event, source=None, seen_at=1.0, origin="0:2")
    assert (full.event_id, full.source, full.language, full.entities) == (
        "ws-9",
        "Quay Post",
        "nl",
        (ROTTERDAM,),
    )


def test_state_bytes_reject_what_they_are_not() -> None:
    with pytest.raises(FormatError):
        unpack(b"[2, 1]")
    with pytest.raises(FormatError):
        unpack(b"not json")


# --- any sequence of items ---------------------------------------------------------------------

LANGUAGES = st.sampled_from(["en", "de", "fr", "und"])
SOURCES = st.sampled_from(["Harbour Wire", "Quay Post", "Nile Desk", None])
ENTITIES = st.lists(
    st.builds(
        Entity,
        text=st.just("x"),
        type=st.sampled_from(["PERSON", "ORG", "LOC"]),
        id=st.sampled_from([None, *(f"wikidata:Q{n}" for n in range(1, 30))]),
        name=st.sampled_from(["Ada", "Bo", "Cy"]),
        start=st.just(0),
        end=st.just(1),
        count=st.integers(1, 4),
        watchlists=st.sampled_from([(), ("portfolio",), ("executives", "portfolio")]),
    ),
    max_size=6,
    unique_by=lambda e: e.id or f"{e.type}:{e.name}",
).map(lambda found: [e if e.id else replace(e, watchlists=()) for e in found])
ITEMS = st.lists(
    st.builds(
        StoryItem,
        story_id=st.just("5a1e0000deadbeef"),
        event_id=st.text(max_size=5),
        status=st.sampled_from(list(DedupeStatus)),
        seen_at=st.floats(1.7e9, 1.9e9),
        origin=st.integers(0, 10_000).map(lambda n: f"0:{n}"),
        source=SOURCES,
        language=LANGUAGES,
        headline=st.none() | st.text(max_size=400),
        entities=ENTITIES,
    ),
    min_size=1,
    max_size=25,
    unique_by=lambda i: i.origin,
)


@given(ITEMS)
def test_any_sequence_counts_every_item_once(items: list[StoryItem]) -> None:
    steps = []
    state: StoryState | None = None
    for one in items:
        before = pack(state) if state is not None else None
        step = advance(state, one)
        if state is not None:
            assert pack(state) == before, "advance changed the state it was given"
        steps.append(step)
        state = step.state
    assert state is not None
    assert [s.state.version for s in steps] == list(range(1, len(items) + 1))
    assert [s.last_change for s in steps][:1] == [Change.NEW_STORY]
    assert Change.NEW_STORY not in [s.last_change for s in steps[1:]]
    counted = [i for i in items if i.status is not DedupeStatus.DUPLICATE]
    assert state.items == len(items)
    assert dict(state.statuses) == {s.value: 0 for s in DedupeStatus} | Counter(
        i.status.value for i in items
    )
    assert dict(state.languages) == Counter(i.language for i in counted)
    assert dict(state.sources) == Counter(i.source for i in items if i.source is not None)
    # Each language but und, after the first item's, arrives with exactly one new_language.
    new_languages = [s for s in steps if Change.NEW_LANGUAGE in s.state.changes]
    first = items[0].language if items[0].status is not DedupeStatus.DUPLICATE else None
    assert len(new_languages) == len(set(state.languages) - {"und", first})
    assert state.first_seen == min(i.seen_at for i in items)
    assert state.last_seen == max(i.seen_at for i in items)
    # Entities: the same totals as counting them directly (few enough to all be tracked).
    totals: Counter[str] = Counter()
    for one in counted:
        for e in one.entities:
            totals[e.id or f"{e.type}:{e.name}"] += e.count
    assert {e.key: e.count for e in state.entities} == dict(totals)
    ranks = [(e.items, e.count) for e in state.entities]
    assert [r[0] for r in ranks] == sorted((r[0] for r in ranks), reverse=True)
    record = steps[-1].record
    assert len(record["entities"]) <= TOP_ENTITIES
    VALIDATOR.validate(record)
    assert unpack(pack(state)) == state


@given(ITEMS)
def test_replaying_any_item_again_changes_nothing(items: list[StoryItem]) -> None:
    state = reduce(lambda s, i: advance(s, i).state, items, None)
    assert state is not None
    for one in items[-RECENT_ORIGINS:]:
        again = advance(state, one)
        assert again.replay
        assert again.state is state
