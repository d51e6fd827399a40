"""The thin I/O shell around the core: decode, call the core, publish, count.

In the split topology (the default), two stages:

- :class:`~streams.worker.stages.prepare.PrepareProcessor`, stage 1, on the raw topic's
  partitions (any worker): decode and validate the raw item, run the stateless half of the core
  (``Pipeline.prepare``) and forward the result to the single-partition prepared topic.
- :class:`~streams.worker.stages.decide.DecideProcessor`, stage 2, on that one partition (one
  worker at a time): the dedupe decision against the table (``Pipeline.decide``), then the
  enriched event, or a counted duplicate.

In the single topology, :class:`~streams.worker.stages.single.EnrichProcessor` does both on a raw
topic of one partition (``Pipeline.enrich``).

The deciding processor also keeps the item's story (:mod:`streams.worker.stages.stories`): its
state in the story table, its record on the stories topic, in the item's own event.

:mod:`streams.worker.stages.handoff` is the record between the two stages. The processors hold no
faust objects: they take a message view and a :class:`Publisher`, so component tests drive them
without a broker. ``streams.worker.app`` wires them to faust, where each output is attached to its
input's offset: faust publishes it and waits for the broker's ack before committing that offset;
under the default ``exactly_once`` the outputs and the offset commit in one Kafka transaction
instead (docs/architecture.md, "Delivery"). This module holds what the processors share: the message
view, the outputs, error policies, dead letters, publishing an event and the counting of finished
items.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from streams.codec import encode_event
from streams.core.deadline import Deadline, ProcessingTimeout
from streams.core.pipeline import Enriched, Pipeline, Prepared
from streams.core.stories import StoryBook
from streams.errors import DeadLetterReason, ItemRejected
from streams.logs import get_logger
from streams.metrics import Metrics
from streams.models import SCHEMA_VERSION, DedupeStatus, RawItem
from streams.worker.policies import ErrorPolicy, deadletter_policy
from streams.worker.stages.stories import publish_story, story_update

Headers = Sequence[tuple[str, bytes]]
_Result = TypeVar("_Result")
# Threads for the core of large items: one is busy at a time (the agent awaits it), the others
# stand in when an abandoned item still holds one.
_OFFLOAD_THREADS = 4
log = get_logger("wirestream.worker")
# Set by `wirestream deadletter replay` on a re-injected item, and carried into the dead letter if
# the item fails again, so that replay can refuse it rather than loop (docs/runbook.md).
REPLAYED_FROM_HEADER = "x-replayed-from"


class MessageView(Protocol):
    """The parts of a consumed Kafka message the worker reads (faust's Message fits), read-only."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> float: ...  # seconds since the epoch, as faust gives it
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Any: ...


class Preparer(Protocol):
    """What runs the stateless half of the core off the event loop: the prepare pool
    (:class:`~streams.worker.pool.PreparePool`), or a stand-in in tests."""

    async def prepare(self, raw: RawItem, deadline: Deadline | None = None) -> Prepared: ...


class Publisher(Protocol):
    """Where the stages send: the enriched, stories and dead-letter topics, and the prepared
    topic."""

    async def publish(self, key: bytes, value: bytes, headers: Headers) -> None: ...

    async def story(self, key: bytes, value: bytes | None, headers: Headers) -> None: ...

    async def forward(self, key: bytes, value: bytes, headers: Headers) -> None: ...

    async def deadletter(self, key: bytes | None, value: bytes, headers: Headers) -> None: ...


@dataclass(frozen=True, slots=True)
class ProcessorOptions:
    max_item_bytes: int
    publish_duplicates: bool
    # An item past this is dead-lettered as processing_timeout (streams.core.deadline).
    item_deadline_s: float = 5.0
    # Items of at least this many bytes run the core in a thread, off the event loop: their
    # bounded cost can reach seconds (make bench-hostile), while a hop to a thread costs about
    # 0.1 ms, more than smaller items are worth holding the loop for (docs/architecture.md).
    offload_min_bytes: int = 16_384


# How long past its deadline the shell waits for an item still running in a thread (stuck in a
# native call that no checkpoint interrupts) before it dead-letters it and moves on.
OFFLOAD_GRACE_S = 1.0


def header_pairs(headers: Any) -> list[tuple[str, bytes]]:
    """A message's headers as pairs (faust gives them as pairs or as a mapping)."""
    pairs = headers.items() if isinstance(headers, Mapping) else (headers or ())
    return [(k, bytes(v)) for k, v in pairs if v is not None]


def source_headers(msg: MessageView) -> list[tuple[str, bytes]]:
    """Where an item came from, and its replay marker if it has one (README.md, "Dead letters")."""
    return [
        ("x-source-topic", msg.topic.encode()),
        ("x-source-partition", str(msg.partition).encode()),
        ("x-source-offset", str(msg.offset).encode()),
        ("x-source-timestamp-ms", str(int(msg.timestamp * 1000)).encode()),
        *[(k, v) for k, v in header_pairs(msg.headers) if k == REPLAYED_FROM_HEADER][:1],
    ]


def replay_origin(msg: MessageView) -> str:
    """The raw ``partition:offset`` the dedupe store keeps with an item's record, so that the
    same message read again (a replay after a crash) is recognised as itself, not a duplicate."""
    return f"{msg.partition}:{msg.offset}"


def deadletter_headers(
    msg: MessageView, reason: DeadLetterReason, error: str
) -> list[tuple[str, bytes]]:
    """Why and where from: the documented dead-letter headers (README.md, "Dead letters")."""
    return [
        ("x-deadletter-reason", reason.value.encode()),
        ("x-deadletter-error", error[:1000].encode("utf-8", "replace")),
        *source_headers(msg),
    ]


@dataclass(slots=True)
class Job:
    """One message in hand: the raw message it stands for (``origin``: the message itself in
    stage 1, rebuilt from the handoff headers in stage 2), when stage 1 took it off the raw topic,
    its bound logger, and the deadline its processing must meet."""

    origin: MessageView
    received_at: float
    log: Any
    deadline: Deadline | None = None

    @property
    def size(self) -> int:
        return len(self.origin.value or b"")


class StageProcessor:
    """What both stages do alike: count the input, turn failures into dead letters (by the
    error policy), and count each item once when it is finished."""

    def __init__(
        self,
        pipeline: Pipeline,
        publisher: Publisher,
        metrics: Metrics,
        options: ProcessorOptions,
        *,
        policy: ErrorPolicy = deadletter_policy,
        clock: Callable[[], float] = time.time,
        pool: Preparer | None = None,
        stories: StoryBook | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.publisher = publisher
        self.metrics = metrics
        self.options = options
        self.policy = policy
        self.clock = clock
        # The prepare pool (worker.prepare_processes > 0) runs the stateless half of the core in
        # other processes; the stages that prepare items use it, the deciding one never does.
        self.pool = pool
        # The story state (a faust table in the worker): only the deciding stage keeps it.
        self.stories = stories
        self._offload: ThreadPoolExecutor | None = None  # threads for large items, made on use

    def _deadline(self) -> Deadline:
        return Deadline.after(self.options.item_deadline_s)

    async def _run_core(
        self, size: int, deadline: Deadline, call: Callable[[], _Result]
    ) -> _Result:
        """``call`` (the core for one item) inline if the item is small, else in a thread, so
        that the event loop goes on serving heartbeats, commits, other agents and /metrics
        meanwhile; past the deadline (and a grace for a call no checkpoint interrupts) the item
        is rejected as ``processing_timeout`` and left to finish on its own."""
        if size < self.options.offload_min_bytes:
            return call()
        if self._offload is None:
            self._offload = ThreadPoolExecutor(_OFFLOAD_THREADS, thread_name_prefix="core")
        future = asyncio.get_running_loop().run_in_executor(self._offload, call)
        try:
            return await asyncio.wait_for(
                asyncio.shield(future), max(0.0, deadline.remaining()) + OFFLOAD_GRACE_S
            )
        except TimeoutError:
            # Whatever it ends with later is not wanted; it must not be reported as unhandled.
            future.add_done_callback(lambda done: done.cancelled() or done.exception())
            raise ProcessingTimeout(
                f"processing overran worker.item_deadline_s ({deadline.seconds:g} s) by more "
                f"than {OFFLOAD_GRACE_S:g} s; the item was abandoned"
            ) from None

    async def _prepare_in_pool(self, pool: Preparer, raw: RawItem, deadline: Deadline) -> Prepared:
        """``pool.prepare``, abandoned as ``processing_timeout`` past the deadline and its grace
        (a pool process that never answers must not hold the partition)."""
        try:
            return await asyncio.wait_for(
                pool.prepare(raw, deadline), max(0.0, deadline.remaining()) + OFFLOAD_GRACE_S
            )
        except TimeoutError:
            raise ProcessingTimeout(
                f"processing overran worker.item_deadline_s ({deadline.seconds:g} s) in the "
                "prepare pool; the item was abandoned"
            ) from None

    def _start(self, msg: MessageView) -> Job:
        self.metrics.items_in.labels(msg.topic).inc()
        bound = log.bind(topic=msg.topic, partition=msg.partition, offset=msg.offset)
        return Job(msg, self.clock(), bound, self._deadline())

    async def _fail(self, job: Job, exc: Exception) -> str:
        """Dead-letter the item for ``exc``: a rejected item with its reason, anything else (a
        bug) with the reason the policy gives, or re-raised by it."""
        if isinstance(exc, ItemRejected):
            job.log.info("item_rejected", reason=exc.reason.value, error=exc.message)
            return await self._deadletter(job, exc.reason, exc.message)
        self.metrics.errors.labels(type(exc).__name__[:40]).inc()
        job.log.error("processing_failed", error=str(exc), exc_info=exc)
        reason = self.policy(exc)
        return await self._deadletter(job, reason, f"{type(exc).__name__}: {exc}")

    async def _deadletter(self, job: Job, reason: DeadLetterReason, error: str) -> str:
        origin = job.origin
        headers = deadletter_headers(origin, reason, error)
        await self.publisher.deadletter(origin.key, origin.value or b"", headers)
        self.metrics.deadletters.labels(reason.value).inc()
        return self._finish(job, "deadletter")

    async def _conclude(self, job: Job, result: Enriched, stages: Mapping[str, float]) -> str:
        """Publish the item's event, or count the skipped duplicate; ``stages`` are the stage
        timings this processor observes (those another stage ran are observed there)."""
        self.metrics.observe_stages(stages)
        status = result.dedupe.status
        if status is not DedupeStatus.UNIQUE:
            self.metrics.duplicates.labels(status.value).inc()
        event = result.event
        if event is None:
            job.log.info("duplicate_skipped", duplicate_of=result.dedupe.duplicate_of)
            await self._tell_story(job, result)
            return self._finish(job, "duplicate")
        self.metrics.count_language(event.language.code)
        self.metrics.count_entities(e.type for e in event.entities)
        self.metrics.count_limits(event.limits)
        self.metrics.observe_published(status, event.published_at, self.clock())
        tick = time.perf_counter()
        payload = encode_event(event)
        headers = [("schema", SCHEMA_VERSION.encode()), ("dedupe-status", status.value.encode())]
        await self.publisher.publish(result.dedupe.story_id.encode(), payload, headers)
        self.metrics.stage_seconds.labels("publish").observe(time.perf_counter() - tick)
        await self._tell_story(job, result)
        job.log.debug(
            "item_enriched", event_id=event.id, language=event.language.code, dedupe=status.value
        )
        outcome = "duplicate" if status is DedupeStatus.DUPLICATE else "enriched"
        return self._finish(job, outcome)

    async def _tell_story(self, job: Job, result: Enriched) -> None:
        """Update the item's story and publish its record (the deciding stage only)."""
        if self.stories is None:
            return
        tick = time.perf_counter()
        try:
            origin = replay_origin(job.origin)
            update = story_update(self.stories, result, origin=origin, received_at=job.received_at)
        except Exception as exc:
            # A bug. The item's event is out already, so there is nothing to dead-letter: its
            # story misses this item, loudly (or the worker stops, by the crash policy).
            self.metrics.errors.labels(type(exc).__name__[:40]).inc()
            job.log.exception("story_update_failed", error=str(exc))
            self.policy(exc)
            return
        await publish_story(update, self.publisher, self.metrics, job.log, tick)

    def _finish(self, job: Job, outcome: str) -> str:
        """Count a finished item (each raw item finishes once, in one stage or the other)."""
        self.metrics.items_out.labels(outcome).inc()
        now = self.clock()
        self.metrics.process_seconds.observe(max(0.0, now - job.received_at))
        if job.origin.timestamp:
            self.metrics.end_to_end_seconds.observe(max(0.0, now - job.origin.timestamp))
        return outcome
