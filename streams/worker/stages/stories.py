"""The story step of the deciding stage: store the item's story, publish its record.

It runs in the agent that decides (stage 2 of the split topology, the single topology's one
agent), right after the item's event is published or its duplicate counted, inside the same
event: under ``exactly_once`` the story table's change, the story record and the tombstones of
the stories closed meanwhile join that item's transaction, with its event and its offset
(docs/architecture.md, "Stories"). The state logic is the core's
(:class:`~streams.core.stories.StoryBook`); this module only sends and counts.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol

import orjson

from streams.core.pipeline import Enriched
from streams.core.stories import (
    CHANGE_HEADER,
    CLOSED_HEADER,
    STORY_SCHEMA,
    StoryBook,
    StoryItem,
    StoryUpdate,
)
from streams.metrics import Metrics


class StorySender(Protocol):
    async def story(
        self, key: bytes, value: bytes | None, headers: Sequence[tuple[str, bytes]]
    ) -> None: ...


def story_update(
    book: StoryBook, result: Enriched, *, origin: str, received_at: float
) -> StoryUpdate:
    """The core's part: the item's story advanced and stored, closed stories deleted."""
    item = StoryItem.of(
        result.dedupe, result.event, source=result.source, seen_at=received_at, origin=origin
    )
    return book.update(item)


async def publish_story(
    update: StoryUpdate, sender: StorySender, metrics: Metrics, log: Any, started: float
) -> None:
    """Send the story's record, then a tombstone per closed story, and count them."""
    step = update.advance
    state = step.state
    headers = [
        ("schema", STORY_SCHEMA.encode()),
        (CHANGE_HEADER, step.last_change.value.encode()),
    ]
    await sender.story(state.story_id.encode(), orjson.dumps(step.record), headers)
    for closed in update.closed:
        reason = closed.reason.value
        await sender.story(closed.story_id.encode(), None, [(CLOSED_HEADER, reason.encode())])
        metrics.stories_closed.labels(reason).inc()
    if step.replay:
        # Read again after a crash (at_least_once): counted before, published again as it was.
        log.info("story_replayed", story_id=state.story_id, version=state.version)
    else:
        metrics.story_updates.labels(step.last_change.value).inc()
        metrics.story_items.observe(state.items)
        metrics.story_languages.observe(len(state.languages))
    metrics.story_update_seconds.observe(time.perf_counter() - started)
