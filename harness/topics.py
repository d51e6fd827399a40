"""Synchronous helpers over aiokafka for integration tests: send raw items, read topics back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]


def send(
    bootstrap: str,
    topic: str,
    values: Sequence[bytes],
    keys: Sequence[bytes | None] = (),
    partitions: Sequence[int | None] = (),
) -> None:
    """Send ``values`` in order; ``keys`` and ``partitions`` (None: the partitioner's choice)
    apply index by index where given."""

    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        await producer.start()
        try:
            pending = []
            for index, value in enumerate(values):
                key = keys[index] if index < len(keys) else None
                partition = partitions[index] if index < len(partitions) else None
                pending.append(
                    await producer.send(topic, value=value, key=key, partition=partition)
                )
            await asyncio.gather(*pending)
        finally:
            await producer.stop()

    asyncio.run(run())


def read_all(
    bootstrap: str,
    topic: str,
    until: Callable[[list[Record]], bool] = lambda _records: False,
    timeout: float = 60.0,
    settle: float = 2.0,
) -> list[Record]:
    """Read ``topic`` from the beginning until ``until(records)`` holds, then ``settle`` more
    seconds (to catch anything unwanted that follows), or until ``timeout``."""

    async def run() -> list[Record]:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
            # Downstream consumers must not see outputs of aborted transactions.
            isolation_level="read_committed",
        )
        await consumer.start()
        records: list[Record] = []
        deadline = time.monotonic() + timeout
        satisfied_at: float | None = None
        try:
            while time.monotonic() < deadline:
                if satisfied_at is not None and time.monotonic() - satisfied_at >= settle:
                    break
                batch = await consumer.getmany(timeout_ms=250)
                for messages in batch.values():
                    records.extend(
                        Record(
                            m.topic,
                            m.partition,
                            m.offset,
                            m.key,
                            m.value or b"",
                            dict(m.headers or ()),
                        )
                        for m in messages
                    )
                if satisfied_at is None and until(records):
                    satisfied_at = time.monotonic()
        finally:
            await consumer.stop()
        return records

    return asyncio.run(run())


def create_topic(bootstrap: str, name: str, partitions: int, configs: dict[str, str]) -> None:
    """Create a topic with its own configs (a test's small segments, say) before a worker would
    create it with the defaults."""

    async def run() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=configs)])
        finally:
            await admin.close()

    asyncio.run(run())


def set_topic_configs(bootstrap: str, name: str, configs: dict[str, str]) -> None:
    """Replace a topic's configs (Kafka's AlterConfigs: those not named go back to defaults)."""

    async def run() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            resource = ConfigResource(ConfigResourceType.TOPIC, name, configs=configs)
            (response,) = await admin.alter_configs([resource])
            errors = [r for r in response.resources if r[0] != 0]
            assert not errors, errors
        finally:
            await admin.close()

    asyncio.run(run())


def topic_configs(bootstrap: str, name: str, timeout: float = 10.0) -> dict[str, str]:
    """A topic's configs as the broker reports them (its own and the defaults); a topic created
    a moment ago may take a few tries to be known."""

    async def run() -> dict[str, str]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        deadline = time.monotonic() + timeout
        try:
            while True:
                resource = ConfigResource(ConfigResourceType.TOPIC, name)
                (response,) = await admin.describe_configs([resource])
                (described,) = response.resources
                error_code, entries = described[0], described[4]
                if error_code == 0:
                    return {str(entry[0]): str(entry[1]) for entry in entries}
                assert time.monotonic() < deadline, described
                await asyncio.sleep(0.2)
        finally:
            await admin.close()

    return asyncio.run(run())


@dataclass(frozen=True)
class Offsets:
    """A topic's first and next offsets per partition, and a group's committed ones on it."""

    start: dict[int, int]
    end: dict[int, int]
    committed: dict[int, int]  # the group's, where it has committed


def topic_offsets(bootstrap: str, topic: str, group: str | None = None) -> Offsets:
    """The broker's offsets for ``topic`` (and ``group``'s commits on it, if given)."""

    async def run() -> Offsets:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            (described,) = await admin.describe_topics([topic])
            commits = await admin.list_consumer_group_offsets(group) if group else {}
        finally:
            await admin.close()
        partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
        client = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        await client.start()
        try:
            ends = await client.end_offsets(partitions)
            starts = await client.beginning_offsets(partitions)
        finally:
            await client.stop()
        return Offsets(
            start={tp.partition: starts[tp] for tp in partitions},
            end={tp.partition: ends[tp] for tp in partitions},
            committed={
                tp.partition: meta.offset
                for tp, meta in commits.items()
                if tp.topic == topic and meta.offset >= 0
            },
        )

    return asyncio.run(run())
