"""The thin I/O shell around the core: decode, call the core, publish, count.

:class:`ItemProcessor` holds no faust objects: it takes a message view and a :class:`Publisher`,
so component tests drive it without a broker. ``streams.app`` wires it to faust, where each
output is attached to its input's offset: faust publishes it and waits for the broker's ack before
committing that offset (at-least-once; see docs/architecture.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from streams.codec import decode_raw, encode_event
from streams.core.pipeline import Enriched, Pipeline
from streams.errors import DeadLetterReason, ItemRejected
from streams.logs import get_logger
from streams.metrics import Metrics
from streams.models import SCHEMA_VERSION, DedupeStatus

Headers = Sequence[tuple[str, bytes]]
log = get_logger("wirestream.worker")
# Set by `wirestream deadletter replay` on a re-injected item, and carried into the dead letter if
# the item fails again, so that replay can refuse it rather than loop (docs/runbook.md).
REPLAYED_FROM_HEADER = "x-replayed-from"


class MessageView(Protocol):
    """The parts of a consumed Kafka message the worker reads (faust's Message fits)."""

    topic: str
    partition: int
    offset: int
    timestamp: float  # seconds since the epoch, as faust gives it
    key: bytes | None
    value: bytes | None
    headers: Any


class Publisher(Protocol):
    async def publish(self, key: bytes, value: bytes, headers: Headers) -> None: ...

    async def deadletter(self, key: bytes | None, value: bytes, headers: Headers) -> None: ...


# An error policy maps an unexpected exception to a dead-letter reason, or re-raises it to stop
# the worker. It is a plain callable so that deployments (and tests) can swap it.
ErrorPolicy = Callable[[Exception], DeadLetterReason]


def deadletter_policy(exc: Exception) -> DeadLetterReason:
    return DeadLetterReason.PROCESSING_ERROR


def crash_policy(exc: Exception) -> DeadLetterReason:
    raise exc


def policy_for(name: str) -> ErrorPolicy:
    return crash_policy if name == "crash" else deadletter_policy


@dataclass(frozen=True, slots=True)
class ProcessorOptions:
    max_item_bytes: int
    publish_duplicates: bool


def deadletter_headers(
    msg: MessageView, reason: DeadLetterReason, error: str
) -> list[tuple[str, bytes]]:
    """Why and where from: the documented dead-letter headers (README.md, "Dead letters")."""
    return [
        ("x-deadletter-reason", reason.value.encode()),
        ("x-deadletter-error", error[:1000].encode("utf-8", "replace")),
        ("x-source-topic", msg.topic.encode()),
        ("x-source-partition", str(msg.partition).encode()),
        ("x-source-offset", str(msg.offset).encode()),
        ("x-source-timestamp-ms", str(int(msg.timestamp * 1000)).encode()),
        *_replay_header(msg.headers),
    ]


def _replay_header(headers: Any) -> list[tuple[str, bytes]]:
    """The input's replay marker, if it has one (faust gives headers as pairs or a mapping)."""
    pairs = headers.items() if isinstance(headers, Mapping) else (headers or ())
    return [(k, bytes(v)) for k, v in pairs if k == REPLAYED_FROM_HEADER and v is not None][:1]


class ItemProcessor:
    def __init__(
        self,
        pipeline: Pipeline,
        publisher: Publisher,
        metrics: Metrics,
        options: ProcessorOptions,
        *,
        policy: ErrorPolicy = deadletter_policy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.pipeline = pipeline
        self.publisher = publisher
        self.metrics = metrics
        self.options = options
        self.policy = policy
        self.clock = clock

    async def handle(self, msg: MessageView) -> str:
        """Process one message; returns the outcome (``enriched``/``duplicate``/``deadletter``)."""
        started = time.perf_counter()
        self.metrics.items_in.labels(msg.topic).inc()
        bound = log.bind(topic=msg.topic, partition=msg.partition, offset=msg.offset)
        try:
            raw = decode_raw(msg.value, self.options.max_item_bytes)
            bound = bound.bind(item_id=raw.id)
            result = self.pipeline.enrich(
                raw,
                received_at=self.clock(),
                origin=f"{msg.partition}:{msg.offset}",
                enrich_duplicates=self.options.publish_duplicates,
            )
        except ItemRejected as exc:
            bound.info("item_rejected", reason=exc.reason.value, error=exc.message)
            return await self._deadletter(msg, exc.reason, exc.message, started)
        except Exception as exc:
            self.metrics.errors.labels(type(exc).__name__[:40]).inc()
            bound.exception("processing_failed", error=str(exc))
            reason = self.policy(exc)
            return await self._deadletter(msg, reason, f"{type(exc).__name__}: {exc}", started)
        return await self._publish(msg, result, bound, started)

    async def _publish(self, msg: MessageView, result: Enriched, bound: Any, started: float) -> str:
        self.metrics.observe_stages(result.stage_seconds)
        status = result.dedupe.status
        if status is not DedupeStatus.UNIQUE:
            self.metrics.duplicates.labels(status.value).inc()
        event = result.event
        if event is None:
            bound.info("duplicate_skipped", duplicate_of=result.dedupe.duplicate_of)
            return self._finish(msg, "duplicate", started)
        self.metrics.count_language(event.language.code)
        self.metrics.count_entities(e.type for e in event.entities)
        self.metrics.observe_published(status, event.published_at, self.clock())
        tick = time.perf_counter()
        payload = encode_event(event)
        headers = [("schema", SCHEMA_VERSION.encode()), ("dedupe-status", status.value.encode())]
        await self.publisher.publish(result.dedupe.story_id.encode(), payload, headers)
        self.metrics.stage_seconds.labels("publish").observe(time.perf_counter() - tick)
        bound.debug(
            "item_enriched", event_id=event.id, language=event.language.code, dedupe=status.value
        )
        outcome = "duplicate" if status is DedupeStatus.DUPLICATE else "enriched"
        return self._finish(msg, outcome, started)

    async def _deadletter(
        self, msg: MessageView, reason: DeadLetterReason, error: str, started: float
    ) -> str:
        headers = deadletter_headers(msg, reason, error)
        await self.publisher.deadletter(msg.key, msg.value or b"", headers)
        self.metrics.deadletters.labels(reason.value).inc()
        return self._finish(msg, "deadletter", started)

    def _finish(self, msg: MessageView, outcome: str, started: float) -> str:
        self.metrics.items_out.labels(outcome).inc()
        self.metrics.process_seconds.observe(time.perf_counter() - started)
        if msg.timestamp:
            self.metrics.end_to_end_seconds.observe(max(0.0, self.clock() - msg.timestamp))
        return outcome
