"""The faust agent itself, run by faust's test context (no broker): it hands every message to the
processor, which publishes or dead-letters it, and the dedupe table sees the writes."""

from __future__ import annotations

import orjson
import pytest

from streams.app import build_worker
from streams.settings import Settings
from tests.component.test_processor import RecordingPublisher

pytestmark = pytest.mark.asyncio


async def test_agent_publishes_dedupes_and_dead_letters() -> None:
    worker = build_worker(Settings())
    publisher = RecordingPublisher()
    worker.processor.publisher = publisher
    agent = next(iter(worker.app.agents.values()))
    item = orjson.dumps({"id": "a1", "body": "Dockworkers in Oslo started a strike on Monday."})
    async with agent.test_context() as ctx:
        await ctx.put(item, key=b"a1", partition=0)
        await ctx.put(item, key=b"a1", partition=0)
        await ctx.put(b"\xff\xfe", key=b"x", partition=0)

    assert len(publisher.published) == 1
    event = orjson.loads(publisher.published[0][1])
    assert event["id"] == "a1"
    assert any(e["name"] == "Oslo" for e in event["entities"])
    assert [d[2]["x-deadletter-reason"] for d in publisher.dead] == [b"not_utf8"]
    table = worker.app.tables["dedupe"]
    assert any(key.startswith("h:") for key in table)
    assert (
        worker.metrics.registry.get_sample_value(
            "wirestream_duplicates_total", {"status": "duplicate"}
        )
        == 1
    )
    # The test context builds faust's consumer thread, whose private loop is only closed by a
    # full worker shutdown; close it here so no ResourceWarning leaks into later tests.
    worker.app.consumer._thread.thread_loop.close()
