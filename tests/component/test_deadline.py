"""A deadline per item, and the core of a large item off the event loop, in both topologies:
an item that overruns ``worker.item_deadline_s`` is dead-lettered as ``processing_timeout`` and
the next one goes through; while a large item is processed, the event loop keeps running."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from dataclasses import replace
from typing import Any

import orjson
import pytest

from harness.stages import Message, OneStage, Stages, TwoStages
from streams.core.deadline import Deadline
from streams.core.pipeline import Pipeline, Prepared
from streams.models import NormalizedItem, RawItem

pytestmark = pytest.mark.asyncio

SMALL = orjson.dumps({"id": "small-1", "body": "Dockworkers in Oslo went on strike on Monday."})
LARGE = orjson.dumps({"id": "large-1", "body": "Storm damage closed the port of Lisbon. " * 600})
TOPOLOGIES = [pytest.param(OneStage, id="single"), pytest.param(TwoStages, id="split")]


class Recording(Pipeline):
    """The real pipeline, noting which thread analysed each item, and holding it ``hold_s``."""

    hold_s = 0.0
    threads: list[str]
    stuck_once = False  # the first item holds its thread until released, as a hung native call
    released: threading.Event

    def _analyse(
        self,
        raw: RawItem,
        norm: NormalizedItem,
        seconds: dict[str, float],
        deadline: Deadline | None,
    ) -> Prepared:
        self.threads.append(threading.current_thread().name)
        started = time.monotonic()
        if self.stuck_once and len(self.threads) == 1:
            while not self.released.wait(0.01):  # no checkpoint interrupts it
                pass
        while time.monotonic() - started < self.hold_s:  # CPU-bound, holding the GIL
            sum(range(1000))
            if deadline is not None:
                deadline.check("test")
        return super()._analyse(raw, norm, seconds, deadline)


def recording(pipeline_factory: Any, hold_s: float = 0.0, *, stuck_once: bool = False) -> Recording:
    pipeline: Recording = pipeline_factory(Recording)
    pipeline.threads = []
    pipeline.hold_s = hold_s
    pipeline.stuck_once = stuck_once
    pipeline.released = threading.Event()
    return pipeline


def reasons(stages: Stages) -> list[bytes]:
    return [headers["x-deadletter-reason"] for _key, _value, headers in stages.publisher.dead]


@pytest.mark.parametrize("topology", TOPOLOGIES)
async def test_an_item_past_its_deadline_is_dead_lettered_and_the_next_goes_on(
    pipeline_factory: Any, topology: type[Stages]
) -> None:
    stages = topology(recording(pipeline_factory, hold_s=0.3), item_deadline_s=0.1)
    assert await stages.handle(Message(SMALL, 0)) == "deadletter"
    (reason,) = reasons(stages)
    assert reason == b"processing_timeout"
    error = stages.publisher.dead[0][2]["x-deadletter-error"].decode()
    assert "worker.item_deadline_s (0.1 s)" in error
    assert stages.publisher.dead[0][1] == SMALL  # the original bytes, replayable
    assert stages.sample("wirestream_deadletters_total", reason="processing_timeout") == 1
    relaxed = topology(recording(pipeline_factory), item_deadline_s=5.0)
    assert await relaxed.handle(Message(SMALL, 1)) != "deadletter"


@pytest.mark.parametrize("topology", TOPOLOGIES)
@pytest.mark.parametrize(("value", "off_loop"), [(SMALL, False), (LARGE, True)])
async def test_large_items_run_the_core_in_a_thread(
    pipeline_factory: Any, topology: type[Stages], value: bytes, off_loop: bool
) -> None:
    pipeline = recording(pipeline_factory)
    stages = topology(pipeline, offload_min_bytes=16_384)
    assert len(SMALL) < 16_384 <= len(LARGE)
    assert await stages.handle(Message(value, 0)) != "deadletter"
    (thread,) = pipeline.threads
    assert (thread != threading.main_thread().name) is off_loop


@pytest.mark.parametrize("topology", TOPOLOGIES)
async def test_the_loop_keeps_running_while_a_large_item_is_processed(
    pipeline_factory: Any, topology: type[Stages]
) -> None:
    stages = topology(recording(pipeline_factory, hold_s=1.0))
    ticks: list[float] = []

    async def heartbeat() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.05)

    beating = asyncio.create_task(heartbeat())
    try:
        assert await stages.handle(Message(LARGE, 0)) != "deadletter"
    finally:
        beating.cancel()
    # Inline, the heartbeat would have stopped for the whole second.
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) >= 10
    assert max(gaps) < 0.5


async def test_an_item_stuck_past_the_grace_is_abandoned_and_the_worker_goes_on(
    pipeline_factory: Any,
) -> None:
    pipeline = recording(pipeline_factory, stuck_once=True)
    stuck = OneStage(pipeline, item_deadline_s=0.2)
    started = time.monotonic()
    try:
        assert await stuck.handle(Message(LARGE, 0)) == "deadletter"
        assert time.monotonic() - started < 3.0  # the deadline and the 1 s grace
        assert reasons(stuck) == [b"processing_timeout"]
        assert b"abandoned" in stuck.publisher.dead[0][2]["x-deadletter-error"]
        # The next item runs on another thread while the first still holds its own.
        processor = stuck.enrich
        processor.options = replace(processor.options, item_deadline_s=30.0)
        second = Message(LARGE.replace(b"large-1", b"large-2"), 1)
        assert await stuck.handle(second) == "enriched"
        assert len(set(pipeline.threads)) == 2
    finally:
        pipeline.released.set()


class SilentPool:
    """A prepare pool whose process never answers (hung, or lost)."""

    processes = 1

    async def prepare(self, raw: RawItem, deadline: Deadline | None = None) -> Prepared:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    def close(self) -> None:
        pass


@pytest.mark.parametrize("topology", TOPOLOGIES)
async def test_a_pool_that_never_answers_cannot_hold_the_partition(
    pipeline_factory: Any, topology: type[Stages]
) -> None:
    stages = topology(recording(pipeline_factory), item_deadline_s=0.2, pool=SilentPool())
    started = time.monotonic()
    assert await stages.handle(Message(SMALL, 0)) == "deadletter"
    assert time.monotonic() - started < 3.0  # the deadline and the 1 s grace
    assert reasons(stages) == [b"processing_timeout"]
    assert b"prepare pool" in stages.publisher.dead[0][2]["x-deadletter-error"]
