"""The harness's Kafka clients: pre-load, watch the drain, time the outputs, latency under load.

Times come from the broker where they can: an output record's timestamp is set by the producing
worker's client when it sends (CreateTime), so the drain rate (first output to last) does not
depend on how quickly the harness gets to read it. Latency needs both ends on one clock, so it is
measured in this process: the send time of each raw item against the time its output reaches a
consumer here.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from itertools import pairwise
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

from bench.workload import WorkItem

# The latency phase tags each JSON item with its sequence number; unknown fields are kept under
# ``extra`` in the enriched event (README.md, input contract), and passthroughs forward bytes as is.
_SEQ = re.compile(rb'"bench_seq":(\d+)')
# An enriched event says when the worker took its item and when the core was done with it (ms).
_RECEIVED = re.compile(rb'"received_at":"([^"]+)"')
_PROCESSED = re.compile(rb'"processed_at":"([^"]+)"')
# Where an item's latency goes, in order: to the worker, through the core, until its record is
# handed to the producer (CreateTime), and until a read_committed consumer here has it.
SEGMENTS = ("to_worker", "core", "to_send", "to_visible")
PRELOAD_BATCH = 2000


def tag(item: WorkItem, seq: int) -> bytes | None:
    """The item's bytes with ``bench_seq`` added, or None when it cannot carry one (not JSON)."""
    if item.kind == "malformed" or not item.value.startswith(b"{"):
        return None
    return b'{"bench_seq":%d,' % seq + item.value[1:]


class Harness:
    """One producer and one metadata/offsets consumer for the whole benchmark."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=256 * 1024
        )
        # read_committed, as downstream consumers should: under exactly_once an output counts
        # (and arrives) when its transaction commits.
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
        )
        self._tally: dict[TopicPartition, _Tally] = {}

    async def start(self) -> None:
        await self.producer.start()
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()
        await self.producer.stop()

    async def partitions(self, topic: str) -> list[TopicPartition]:
        numbers = await self.producer.partitions_for(topic)
        return [TopicPartition(topic, p) for p in sorted(numbers)]

    async def preload(self, topic: str, items: Iterable[WorkItem]) -> float:
        """Send every item and wait for all acks; returns the seconds it took."""
        started = time.perf_counter()
        pending: list[asyncio.Future[Any]] = []
        for item in items:
            pending.append(await self.producer.send(topic, value=item.value, key=item.key))
            if len(pending) >= PRELOAD_BATCH:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        return time.perf_counter() - started

    async def end_count(self, topics: Iterable[str]) -> int:
        """Committed records on fresh topics so far. Counted by reading them: under exactly_once
        end offsets also count transaction markers, so they overstate the records."""
        return (await self.span(topics))[2]

    async def span(self, topics: Iterable[str]) -> tuple[float, float, int]:
        """(first, last) output timestamps in seconds, and the record count.

        The records are read once, incrementally, from where the previous call stopped, up to
        the last stable offset; under exactly_once the last offsets of a partition are commit
        markers, not records, so the edges cannot be read by offset.
        """
        tps = [tp for topic in topics for tp in await self.partitions(topic)]
        ends = await self.consumer.end_offsets(tps)
        behind = [tp for tp in tps if self._tally.setdefault(tp, _Tally()).position < ends[tp]]
        if behind:
            self.consumer.assign(behind)
            for tp in behind:
                self.consumer.seek(tp, self._tally[tp].position)
            deadline = time.monotonic() + 60.0
            while behind and time.monotonic() < deadline:
                batches = await self.consumer.getmany(*behind, timeout_ms=200)
                for tp, records in batches.items():
                    self._tally[tp].add(records)
                for tp in behind:
                    self._tally[tp].position = await self.consumer.position(tp)
                behind = [tp for tp in behind if self._tally[tp].position < ends[tp]]
        tallies = [self._tally[tp] for tp in tps]
        first = min((t.first for t in tallies), default=float("inf"))
        last = max((t.last for t in tallies), default=0.0)
        return first / 1000.0, last / 1000.0, sum(t.count for t in tallies)


class _Tally:
    """What has been read of one output partition: records, and their first and last times."""

    def __init__(self) -> None:
        self.position = 0
        self.count = 0
        self.first = float("inf")
        self.last = 0.0

    def add(self, records: list[Any]) -> None:
        for record in records:
            self.count += 1
            self.first = min(self.first, float(record.timestamp))
            self.last = max(self.last, float(record.timestamp))


def _epoch(rfc3339: bytes) -> float:
    return datetime.fromisoformat(rfc3339.decode().replace("Z", "+00:00")).timestamp()


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class _Arrivals:
    """Reads the output topic and notes when each tagged item's output first arrives here."""

    def __init__(self, consumer: AIOKafkaConsumer, total: int) -> None:
        self.consumer = consumer
        self.total = total
        self.sent: dict[int, float] = {}
        self.arrived: dict[int, float] = {}
        self.marks: dict[int, tuple[float, float, float]] = {}  # received, processed, created
        self.expected: set[int] = set()
        self.repeats = 0
        self.done = asyncio.Event()

    async def run(self) -> None:
        while not self.done.is_set():
            batches = await self.consumer.getmany(timeout_ms=50)
            now = time.time()
            for records in batches.values():
                for record in records:
                    match = _SEQ.search(record.value or b"")
                    if match is None:
                        continue
                    seq = int(match.group(1))
                    if seq in self.arrived:
                        self.repeats += 1  # published twice (at-least-once): counted, not timed
                    else:
                        self.arrived[seq] = now
                        self._mark(seq, record)
            if len(self.sent) == self.total and self.expected.issubset(self.arrived.keys()):
                self.done.set()

    def _mark(self, seq: int, record: Any) -> None:
        """Note the event's own times, when it has them (a passthrough forwards bytes as is)."""
        received = _RECEIVED.search(record.value)
        processed = _PROCESSED.search(record.value)
        if received and processed:
            self.marks[seq] = (
                _epoch(received.group(1)),
                _epoch(processed.group(1)),
                float(record.timestamp) / 1000.0,
            )

    def segments(self, timed: list[int]) -> dict[str, dict[str, float]]:
        """Each segment's median over the timed items, and its mean over the slowest 1 % (what
        the p99 is made of), in ms."""
        rows = [(self.arrived[s] - self.sent[s], self._split(s)) for s in timed if s in self.marks]
        if not rows:
            return {}
        rows.sort(key=lambda row: row[0])
        tail = rows[-max(1, len(rows) // 100) :]
        return {
            name: {
                "p50_ms": _percentile(sorted(parts[i] for _, parts in rows), 0.5),
                "slowest_1pct_mean_ms": sum(parts[i] for _, parts in tail) / len(tail),
            }
            for i, name in enumerate(SEGMENTS)
        }

    def _split(self, seq: int) -> tuple[float, ...]:
        received, processed, created = self.marks[seq]
        points = (self.sent[seq], received, processed, created, self.arrived[seq])
        return tuple((b - a) * 1000.0 for a, b in pairwise(points))

    def result(self, rate: float, send_s: float, warmup_s: float) -> dict[str, Any]:
        first_sent = min(self.sent.values()) if self.sent else 0.0
        counted = [
            s
            for s in sorted(self.expected)
            if s in self.arrived and self.sent[s] - first_sent >= warmup_s
        ]
        in_order = [(self.arrived[s] - self.sent[s]) * 1000.0 for s in counted]
        timed = sorted(in_order)
        # A system that keeps up has the same latency at the end of the phase as at its start; one
        # that does not builds a queue, and its latency grows with the phase's length.
        fifth = max(1, len(in_order) // 5)
        early, late = sorted(in_order[:fifth]), sorted(in_order[-fifth:])
        growth = _percentile(late, 0.5) / _percentile(early, 0.5) if in_order else float("nan")
        return {
            "offered_per_s": rate,
            "achieved_per_s": self.total / send_s if send_s > 0 else 0.0,
            "sent": self.total,
            "expected_outputs": len(self.expected),
            "received": len(self.expected & self.arrived.keys()),
            "missing": len(self.expected - self.arrived.keys()),
            "repeated": self.repeats,
            "timed": len(timed),
            "p50_ms": _percentile(timed, 0.50),
            "p95_ms": _percentile(timed, 0.95),
            "p99_ms": _percentile(timed, 0.99),
            "max_ms": timed[-1] if timed else float("nan"),
            "late_to_early_p50": growth,
            "kept_up": bool(in_order) and (growth < 2.0 or _percentile(late, 0.5) < 250.0),
            "segments": self.segments(counted),
        }


async def latency_phase(
    bootstrap: str,
    topics: tuple[str, str],
    items: list[WorkItem],
    rate: float,
    *,
    publishes: Callable[[WorkItem], bool],
    warmup_s: float = 1.0,
    grace_s: float = 30.0,
) -> dict[str, Any]:
    """Offer ``items`` to ``topics[0]`` at ``rate`` per second; latency of each output on
    ``topics[1]``, in ms.

    Only items that come out at all count (``publishes``): exact duplicates and dead letters have
    no output to wait for. Items sent during the first ``warmup_s`` are left out of the
    percentiles (connections, first fetches), but must still arrive.
    """
    raw, out = topics
    # No linger: a batching delay here would be charged to the system under test.
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=50,
        isolation_level="read_committed",
    )
    await producer.start()
    await consumer.start()
    arrivals = _Arrivals(consumer, len(items))
    try:
        tps = [TopicPartition(out, p) for p in sorted(await producer.partitions_for(out))]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)  # resolve "end" now, before anything new is produced
        reader = asyncio.create_task(arrivals.run())
        loop = asyncio.get_running_loop()
        started = loop.time()
        index = 0
        while index < len(items):
            # Send whatever is due by now, then yield briefly: steady pacing without relying on
            # sub-millisecond sleeps.
            due = min(len(items), int((loop.time() - started) * rate) + 1)
            while index < due:
                item = items[index]
                value = tag(item, index)
                if value is not None and publishes(item):
                    arrivals.expected.add(index)
                arrivals.sent[index] = time.time()
                await producer.send(raw, value=value or item.value, key=item.key)
                index += 1
            await asyncio.sleep(0.002)
        await producer.flush()
        send_s = loop.time() - started
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrivals.done.wait(), timeout=grace_s)
        arrivals.done.set()
        await reader
    finally:
        await consumer.stop()
        await producer.stop()
    return arrivals.result(rate, send_s, warmup_s)
