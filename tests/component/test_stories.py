"""The deciding stage keeps each item's story: a record per item on the stories topic (through the
same publisher as the event), tombstones for the stories it closes, the story metrics, and a bug
in the story step that costs the story update, not the item."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from harness.stages import Message, OneStage, Stages, TwoStages
from streams.core.stories import StoryBook
from streams.worker.policies import crash_policy

pytestmark = pytest.mark.asyncio

STRIKE = (
    "Dockworkers in Rotterdam began a 48-hour strike on Monday over automation plans at the "
    "port, the union said."
)

HEADLINE = "Rotterdam dockworkers strike"


def raw(item_id: str, body: str, source: str = "Harbour Wire", headline: str = "") -> bytes:
    item = {"id": item_id, "source": source, "body": body, "language": "en"}
    return orjson.dumps({**item, "headline": headline} if headline else item)


SCENARIO = [
    raw("h-1", STRIKE, headline=HEADLINE),  # new story
    raw("h-1-again", STRIKE, headline=HEADLINE),  # an exact re-send, same source
    raw("q-7", STRIKE, source="Quay Post", headline=HEADLINE),  # the same from another wire
    raw("h-1", STRIKE + " Talks resume on Friday.", headline="UPDATE 1-Rotterdam strike"),
    raw("o-1", "Oslo ferries were cancelled after a storm hit the coast overnight."),
]


@pytest.mark.parametrize("topology", [TwoStages, OneStage])
async def test_one_record_per_item_through_the_publisher(
    pipeline_factory: Any, topology: type[Stages]
) -> None:
    stages = topology(pipeline_factory())
    outcomes = [await stages.handle(Message(v, n)) for n, v in enumerate(SCENARIO)]
    assert outcomes == ["enriched", "duplicate", "duplicate", "enriched", "enriched"]
    records = [(k, orjson.loads(v or b""), h) for k, v, h in stages.publisher.stories]
    strike = [r for k, r, _h in records if r["story_id"] == records[0][1]["story_id"]]
    assert [(r["version"], r["last_change"]) for r in strike] == [
        (1, "new_story"),
        (2, "more_coverage"),
        (3, "new_source"),
        (4, "correction"),
    ]
    last = strike[-1]
    assert last["statuses"] == {
        "unique": 1,
        "duplicate": 2,
        "near_duplicate": 1,
        "translation": 0,
        "same_story": 0,
    }
    assert (last["items"], last["languages"], last["sources"]) == (
        4,
        {"en": 2},
        {"Harbour Wire": 3, "Quay Post": 1},
    )
    assert last["headline"] == HEADLINE
    assert last["headlines"] == {"en": "UPDATE 1-Rotterdam strike"}
    assert last["last_item"] == {
        "id": "h-1",
        "status": "near_duplicate",
        "language": "en",
        "source": "Harbour Wire",
        "duplicate_of": "h-1",
    }
    assert any(e["name"] == "Rotterdam" for e in last["entities"])
    # Keyed by the story id, which also keys the story's events; the change in a header.
    for key, record, headers in records:
        assert key == record["story_id"].encode()
        assert headers == {
            "schema": b"wirestream.story.v1",
            "story-change": record["last_change"].encode(),
        }
    events = [orjson.loads(v) for _k, v, _h in stages.publisher.published]
    assert {e["dedupe"]["story_id"] for e in events} == {r["story_id"] for _k, r, _h in records}
    assert stages.sample("wirestream_story_updates_total", change="new_story") == 2
    assert stages.sample("wirestream_story_updates_total", change="correction") == 1
    assert stages.sample("wirestream_story_items_count") == len(SCENARIO)
    assert stages.sample("wirestream_story_items_sum") == 1 + 2 + 3 + 4 + 1
    assert stages.sample("wirestream_story_update_seconds_count") == len(SCENARIO)


async def test_a_story_that_leaves_the_state_gets_a_tombstone(pipeline_factory: Any) -> None:
    stages = TwoStages(pipeline_factory(), stories=StoryBook({}, 7 * 86400.0, max_stories=1))
    await stages.handle(Message(SCENARIO[0], 0))
    await stages.handle(Message(SCENARIO[-1], 1))
    (first, _f), (second, _s), (tombstone, gone) = [(k, v) for k, v, _h in stages.publisher.stories]
    assert (tombstone, gone) == (first, None)
    assert stages.publisher.stories[-1][2] == {"story-closed": b"count"}
    assert second != first
    assert stages.sample("wirestream_stories_closed_total", reason="count") == 1
    assert len(stages.stories) == 1


async def test_a_bug_in_the_story_step_costs_the_update_not_the_item(
    pipeline_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stages = TwoStages(pipeline_factory())

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("story bug")

    monkeypatch.setattr(stages.stories, "update", broken)
    assert await stages.handle(Message(SCENARIO[0], 0)) == "enriched"
    assert len(stages.publisher.published) == 1
    assert stages.publisher.stories == []
    assert stages.sample("wirestream_errors_total", kind="RuntimeError") == 1
    stages.decide.policy = crash_policy
    with pytest.raises(RuntimeError, match="story bug"):
        await stages.handle(Message(SCENARIO[-1], 1))
