"""The faust agents themselves, run by faust's test context (no broker): ``prepare`` hands every
raw message to stage 1, which forwards or dead-letters it; ``decide`` hands the forwarded records
to stage 2, which publishes, and the dedupe table sees the writes."""

from __future__ import annotations

import dataclasses

import orjson
import pytest

from harness.stages import RecordingPublisher
from streams.settings import Settings, prepared_topic
from streams.worker.app import build_worker

pytestmark = pytest.mark.asyncio


async def test_agents_prepare_decide_dedupe_and_dead_letter() -> None:
    settings = Settings()
    worker = build_worker(settings)
    publisher = RecordingPublisher()
    for stage in worker.stages.values():
        stage.publisher = publisher
    agents = {agent.name.rsplit(".", 1)[-1]: agent for agent in worker.app.agents.values()}
    assert set(agents) == {"prepare", "decide"}
    assert worker.app.tables["dedupe"].partitions == 1
    assert list(agents["decide"].channel.topics) == [prepared_topic(settings)]
    item = orjson.dumps({"id": "a1", "body": "Dockworkers in Oslo started a strike on Monday."})
    async with agents["prepare"].test_context() as ctx:
        # The same item on two raw partitions, and a broken one.
        await ctx.put(item, key=b"a1", partition=0)
        await ctx.put(item, key=b"a1-again", partition=3)
        await ctx.put(b"\xff\xfe", key=b"x", partition=1)
    assert len(publisher.forwarded) == 2
    assert [d[2]["x-deadletter-reason"] for d in publisher.dead] == [b"not_utf8"]

    async with agents["decide"].test_context() as ctx:
        for key, value, headers in publisher.forwarded:
            await ctx.put(value, key=key, partition=0, headers=headers)

    assert len(publisher.published) == 1
    event = orjson.loads(publisher.published[0][1])
    assert event["id"] == "a1"
    assert any(e["name"] == "Oslo" for e in event["entities"])
    table = worker.app.tables["dedupe"]
    assert any(key.startswith("h:") for key in table)
    # The item and its re-send make versions 1 and 2 of one story, in the story table too.
    assert worker.app.tables["stories"].partitions == 1
    story_id = orjson.loads(publisher.published[0][1])["dedupe"]["story_id"]
    versions = [(k, orjson.loads(v or b"")["version"]) for k, v, _h in publisher.stories]
    assert versions == [(story_id.encode(), 1), (story_id.encode(), 2)]
    assert list(worker.app.tables["stories"]) == [story_id]
    registry = worker.metrics.registry
    assert registry.get_sample_value("wirestream_duplicates_total", {"status": "duplicate"}) == 1
    topics = {"wire.raw": 3, prepared_topic(settings): 2}
    for topic, count in topics.items():
        assert registry.get_sample_value("wirestream_items_in_total", {"topic": topic}) == count
    # The test context builds faust's consumer thread, whose private loop is only closed by a
    # full worker shutdown; close it here so no ResourceWarning leaks into later tests.
    worker.app.consumer._thread.thread_loop.close()


@pytest.mark.parametrize("guarantee", ["exactly_once", "at_least_once"])
async def test_building_the_worker_leaves_faust_to_decide_in_transaction(guarantee: str) -> None:
    # faust's App.in_transaction is a cached property, true only once the app runs inside a worker:
    # read while the app is built, it caches False and every exactly-once path (faust's and
    # streams/worker/patches/transactions.py) is silently off. An early read did that once, and only
    # the SIGKILL test noticed (items published twice).
    settings = Settings()
    settings = dataclasses.replace(
        settings, worker=dataclasses.replace(settings.worker, processing_guarantee=guarantee)
    )
    worker = build_worker(settings)
    assert "in_transaction" not in vars(worker.app)


async def test_the_single_topology_runs_one_agent_on_the_raw_topic() -> None:
    defaults = Settings()
    settings = dataclasses.replace(
        defaults,
        topics=dataclasses.replace(defaults.topics, raw_partitions=1),
        worker=dataclasses.replace(defaults.worker, topology="single"),
    )
    worker = build_worker(settings)
    publisher = RecordingPublisher()
    worker.stages["enrich"].publisher = publisher
    agents = {agent.name.rsplit(".", 1)[-1]: agent for agent in worker.app.agents.values()}
    assert set(agents) == {"enrich"}
    assert list(agents["enrich"].channel.topics) == ["wire.raw"]
    assert worker.app.tables["dedupe"].partitions == 1
    item = orjson.dumps({"id": "a1", "body": "Dockworkers in Oslo started a strike on Monday."})
    async with agents["enrich"].test_context() as ctx:
        await ctx.put(item, key=b"a1", partition=0)
        await ctx.put(item, key=b"a1-again", partition=0)
        await ctx.put(b"\xff\xfe", key=b"x", partition=0)
    assert not publisher.forwarded
    assert [orjson.loads(value)["id"] for _key, value, _headers in publisher.published] == ["a1"]
    assert [d[2]["x-deadletter-reason"] for d in publisher.dead] == [b"not_utf8"]
    assert any(key.startswith("h:") for key in worker.app.tables["dedupe"])
    assert [orjson.loads(v or b"")["version"] for _k, v, _h in publisher.stories] == [1, 2]
    registry = worker.metrics.registry
    assert registry.get_sample_value("wirestream_duplicates_total", {"status": "duplicate"}) == 1
    assert registry.get_sample_value("wirestream_items_in_total", {"topic": "wire.raw"}) == 3
    worker.app.consumer._thread.thread_loop.close()
