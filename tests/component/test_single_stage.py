"""The single topology's processor (``worker.topology = "single"``) without a broker: it must
finish every item exactly as the split topology's two stages do, in one step, and stop an exact
re-send before the costly stages."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from harness.stages import Message, OneStage, TwoStages
from streams.core.deadline import Deadline
from streams.core.pipeline import Pipeline, Prepared
from streams.models import RawItem

pytestmark = pytest.mark.asyncio

# Set by the clock when an item is taken and finished, so they differ between two runs.
CLOCK_FIELDS = ("received_at", "processed_at")


def comparable(published: list[tuple[bytes, bytes, Any]]) -> list[tuple[bytes, dict[str, Any]]]:
    out = []
    for key, value, _headers in published:
        event = orjson.loads(value)
        for name in CLOCK_FIELDS:
            event.pop(name)
        out.append((key, event))
    return out


@pytest.mark.parametrize("publish_duplicates", [False, True])
async def test_one_stage_finishes_the_feed_as_two_stages_do(
    pipeline_factory: Any, sample_lines: list[bytes], publish_duplicates: bool
) -> None:
    split = TwoStages(pipeline_factory(), publish_duplicates=publish_duplicates)
    single = OneStage(pipeline_factory(), publish_duplicates=publish_duplicates)
    messages = [Message(line, offset) for offset, line in enumerate(sample_lines)]
    split_outcomes = [await split.handle(msg) for msg in messages]
    single_outcomes = [await single.handle(msg) for msg in messages]

    assert single_outcomes == split_outcomes
    assert "duplicate" in single_outcomes
    assert "deadletter" in single_outcomes
    assert comparable(single.publisher.published) == comparable(split.publisher.published)
    assert single.publisher.dead == split.publisher.dead
    assert not single.publisher.forwarded
    for outcome in ("enriched", "duplicate", "deadletter"):
        name = "wirestream_items_out_total"
        assert single.sample(name, outcome=outcome) == split.sample(name, outcome=outcome)
    assert single.sample("wirestream_items_in_total", topic="wire.raw") == len(sample_lines)


async def test_an_exact_resend_stops_before_the_costly_stages(
    pipeline_factory: Any, sample_lines: list[bytes]
) -> None:
    single = OneStage(pipeline_factory())
    for offset, line in enumerate(sample_lines):
        await single.handle(Message(line, offset))
    decided = len(sample_lines) - 1  # all but the dead letter
    exact = single.sample("wirestream_duplicates_total", status="duplicate")
    assert exact == 1

    def timed(stage: str) -> float:
        return single.sample("wirestream_stage_duration_seconds_count", stage=stage)

    assert timed("normalize") == timed("dedupe") == decided
    for stage in ("langid", "entities", "fingerprint"):
        assert timed(stage) == decided - exact, stage


async def test_a_replayed_message_gets_its_first_result_again(
    pipeline_factory: Any, sample_lines: list[bytes]
) -> None:
    # At-least-once: after a crash the uncommitted window is read again, and the store already
    # holds what those messages wrote. The same partition and offset is a replay, not a copy.
    single = OneStage(pipeline_factory())
    first = Message(sample_lines[0], 7)
    assert await single.handle(first) == "enriched"
    assert await single.handle(first) == "enriched"
    (_, once), (_, again) = comparable(single.publisher.published)
    assert again == once
    assert once["dedupe"]["status"] == "unique"
    assert await single.handle(Message(sample_lines[0], 8)) == "duplicate"


class InlinePool:
    """Stands in for the prepare pool's processes: the same core, counted."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.items: list[str] = []

    async def prepare(self, raw: RawItem, deadline: Deadline | None = None) -> Prepared:
        self.items.append(raw.id)
        return self.pipeline.prepare(raw, deadline)


async def test_with_a_pool_items_are_prepared_there_and_decided_in_the_loop(
    pipeline_factory: Any, sample_lines: list[bytes]
) -> None:
    alone = OneStage(pipeline_factory())
    pipeline = pipeline_factory()
    pool = InlinePool(pipeline)
    pooled = OneStage(pipeline, pool=pool)
    messages = [Message(line, offset) for offset, line in enumerate(sample_lines)]
    outcomes = [await pooled.handle(msg) for msg in messages]
    assert outcomes == [await alone.handle(msg) for msg in messages]
    assert comparable(pooled.publisher.published) == comparable(alone.publisher.published)
    assert len(pool.items) == len(sample_lines) - 1  # the undecodable one never got there
