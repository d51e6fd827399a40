"""Plain aiokafka clients for the CLI: topic set-up, producing a feed, tailing the output.

The worker itself runs on faust (``streams.worker.app``); these are the tools around it, and the
worker's start runs :func:`ensure_topics` before faust. Every client here takes its options from
:func:`streams.broker.client_options`, and Kafka's failures come out mapped to the error tree by
:func:`streams.broker.broker_error` (docs/runbook.md, "Security", says what each one means).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Iterable
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaError,
    TopicAlreadyExistsError,
    TopicAuthorizationFailedError,
    for_code,
)
from aiokafka.structs import ConsumerRecord

from streams.broker import (
    Where,
    broker_error,
    client_options,
    probe_broker,
    reach_broker,
    retrying,
)
from streams.errors import BrokerAuthorizationError, ConfigError
from streams.settings import Settings, prepared_topic

# FindCoordinator's key types: a consumer group, a transactional id.
GROUP_COORDINATOR = 0
TRANSACTION_COORDINATOR = 1

DEDUPE_TABLE = "dedupe"
# The story state, beside the dedupe table (docs/architecture.md, "Stories").
STORY_TABLE = "stories"
# The stories topic holds the latest record per story: compaction keeps it, tombstones clear it.
STORIES_TOPIC_CONFIG = {"cleanup.policy": "compact"}
# The largest record the worker writes: an item is up to worker.max_item_bytes (1 MiB), and its
# enriched event (the text, its entities and their mentions, as JSON) or its prepared record (the
# raw bytes and the analysed item) can be twice that and more. Kafka's default, 1 MiB, would
# refuse them, so the topics the worker writes such records to are created with this limit and
# the producer is allowed as much.
MAX_RECORD_BYTES = 4 * 1024 * 1024
LARGE_RECORDS_TOPIC_CONFIG = {"max.message.bytes": str(MAX_RECORD_BYTES)}
# The prepared topic, and so the dedupe table co-partitioned with it, has exactly one partition:
# every dedupe decision meets the whole state (docs/architecture.md, "Topology").
PREPARED_PARTITIONS = 1


def dedupe_changelog(settings: Settings) -> str:
    """The dedupe table's changelog topic, named as faust names it."""
    return f"{settings.worker.app_id}-{DEDUPE_TABLE}-changelog"


async def ensure_topics(
    settings: Settings, only: Collection[str] | None = None, use: str = "Create"
) -> list[str]:
    """Create the raw, enriched, dead-letter and (split topology) prepared topics if missing, or
    of those only the ones in ``only`` (a tool creates what it uses, and so needs no rights on
    the rest); returns the ones created. ``use`` is what the caller means to do with them (Read,
    Write): a topic the user can neither see nor create is reported as lacking that grant,
    which would have let it see the topic.

    Every command and the worker's start call this first, so it first reaches the broker
    (:func:`reach_broker`): wrong credentials or an untrusted certificate stop the process here,
    with the reason. Refuses (ConfigError) a topic that the deciding agent or the dedupe table
    needs in one partition but has more: decisions would then miss state again
    (docs/architecture.md, "Topology" and "Upgrading")."""
    await reach_broker(settings)
    return await retrying(lambda: _ensure_topics(settings, only, use), "creating topics")


async def _ensure_topics(settings: Settings, only: Collection[str] | None, use: str) -> list[str]:
    topics = settings.topics
    single = settings.worker.topology == "single"
    wanted = [
        (topics.raw, topics.raw_partitions),
        (topics.enriched, topics.enriched_partitions),
        (topics.deadletter, topics.deadletter_partitions),
        *([] if single else [(prepared_topic(settings), PREPARED_PARTITIONS)]),
        (topics.stories, topics.stories_partitions),
    ]
    configs = {
        topics.stories: STORIES_TOPIC_CONFIG,
        **dict.fromkeys((topics.enriched, topics.deadletter), LARGE_RECORDS_TOPIC_CONFIG),
        prepared_topic(settings): LARGE_RECORDS_TOPIC_CONFIG,
    }
    created: list[str] = []
    async with admin_client(settings) as admin:
        # Only topics the user may Describe are listed; a hidden one is "missing" below, and
        # the broker's answer to creating it says which.
        existing = set(await admin.list_topics())
        one = [topics.raw if single else prepared_topic(settings), dedupe_changelog(settings)]
        one.append(f"{settings.worker.app_id}-{STORY_TABLE}-changelog")
        await _check_single_partition(admin, [name for name in one if name in existing])
        for name, partitions in wanted:
            if name in existing or (only is not None and name not in only):
                continue
            response = await admin.create_topics(
                [
                    NewTopic(
                        name,
                        partitions,
                        settings.kafka.replication_factor,
                        topic_configs=configs.get(name, {}),
                    )
                ]
            )
            for topic, code, message in _results(response.topic_errors):
                # Already there: another process won the race, which is all we need.
                if code and code != TopicAlreadyExistsError.errno:
                    where = Where(settings.kafka, settings.kafka.bootstrap, use, topic)
                    raise broker_error(for_code(code)(message or topic), where)
            created.append(name)
    return created


def _results(entries: Iterable[Any]) -> Iterable[tuple[str, int, str | None]]:
    """``(name, error code, message)`` of a CreateTopics answer; v0 has no message."""
    for entry in entries:
        yield entry[0], entry[1], entry[2] if len(entry) > 2 else None


async def _check_single_partition(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    for described in await admin.describe_topics(names) if names else []:
        count = len(described["partitions"])
        if count != PREPARED_PARTITIONS:
            raise ConfigError(
                f"topic {described['topic']} has {count} partitions; the deciding agent and the "
                f"dedupe table need exactly {PREPARED_PARTITIONS} (a raw topic of several "
                'partitions under topology "single", or a changelog written by the old '
                "one-stage worker? see docs/architecture.md, Topology and Upgrading)"
            )


async def check_worker_access(settings: Settings) -> None:
    """Check, before faust starts, the grants that faust would otherwise fail on late or never
    report: it hangs, silent, without the consumer group; its agents crash one by one without
    the transactional ids or an output topic; it waits on an input it may not see
    (docs/runbook.md, "Security"). Kafka answers these questions without changing anything,
    and authorizes before it answers anything else: a coordinator that is not there yet (a new
    cluster) is faust's to wait for."""
    await retrying(lambda: _check_worker_access(settings), "checking the worker's grants")


async def _check_worker_access(settings: Settings) -> None:
    app_id = settings.worker.app_id
    changelogs = [dedupe_changelog(settings), f"{app_id}-{STORY_TABLE}-changelog"]
    # Read and Write imply Describe: a topic the worker cannot even see lacks them. These exist
    # (ensure_topics), so describing them cannot auto-create one on a cluster that allows it.
    uses = {
        settings.topics.raw: "Read",
        settings.topics.enriched: "Write",
        settings.topics.deadletter: "Write",
        settings.topics.stories: "Write",
    }
    if settings.worker.topology == "split":
        uses[prepared_topic(settings)] = "Read"
    async with admin_client(settings) as admin:
        existing = set(await admin.list_topics())
        missing = [name for name in changelogs if name not in existing]
        if missing:
            # faust creates them: ask Kafka to validate that creation, which checks Create.
            response = await admin.create_topics(
                [
                    NewTopic(name, PREPARED_PARTITIONS, settings.kafka.replication_factor)
                    for name in missing
                ],
                validate_only=True,
            )
            for topic, code, message in _results(response.topic_errors):
                if code and code != TopicAlreadyExistsError.errno:
                    where = Where(settings.kafka, settings.kafka.bootstrap, "Create", topic)
                    raise broker_error(for_code(code)(message or topic), where)
        for entry in await admin.describe_topics(list(uses)):
            if entry["error_code"] == TopicAuthorizationFailedError.errno:
                topic = entry["topic"]
                where = Where(settings.kafka, settings.kafka.bootstrap, uses[topic], topic)
                raise broker_error(TopicAuthorizationFailedError(topic), where)
        checks = [(app_id, GROUP_COORDINATOR, "Read")]
        if settings.worker.processing_guarantee == "exactly_once":
            # faust's ids are <app_id>-<topic group>-<partition>; this is the first of them.
            checks.append((f"{app_id}-0-0", TRANSACTION_COORDINATOR, "Write"))
        for key, kind, operation in checks:
            try:
                await admin.find_coordinator(key, kind)
            except KafkaError as exc:
                where = Where(settings.kafka, settings.kafka.bootstrap, operation, key)
                error = broker_error(exc, where)
                if isinstance(error, BrokerAuthorizationError):
                    raise error from None


async def topic_partitions(
    settings: Settings, topic: str, operation: str = "Describe"
) -> list[int]:
    """The partition numbers of ``topic``; BrokerAuthorizationError when the user may not see
    it (``operation`` names what the caller wanted to do), ConfigError when it does not exist."""
    async with admin_client(settings) as admin:
        described = await admin.describe_topics([topic])
    for entry in described:
        if entry["topic"] == topic and entry["error_code"]:
            where = Where(settings.kafka, settings.kafka.bootstrap, operation, topic)
            raise broker_error(for_code(entry["error_code"])(topic), where)
    return sorted(
        p["partition"] for t in described if t["topic"] == topic for p in t.get("partitions", ())
    )


@asynccontextmanager
async def admin_client(settings: Settings) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client; Kafka's failures inside the block come out mapped."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    where = Where(settings.kafka, settings.kafka.bootstrap)
    try:
        await admin.start()
        yield admin
    except KafkaError as exc:
        raise broker_error(exc, where) from None
    finally:
        await admin.close()


@asynccontextmanager
async def _running(
    client: Any, settings: Settings, operation: str = "Describe"
) -> AsyncIterator[Any]:
    """Start an aiokafka client and always stop it. Kafka's failures come out mapped, an
    authorization failure as the refusal of ``operation`` (Read for a consumer, Write for a
    producer)."""
    where = Where(settings.kafka, settings.kafka.bootstrap, operation)
    try:
        await client.start()
    except KafkaConnectionError as exc:
        await client.stop()
        # "Unable to bootstrap" whatever the cause: the probe tells a refusal from an absence.
        await probe_broker(settings)
        raise broker_error(exc, where) from None
    try:
        yield client
    except KafkaError as exc:
        raise broker_error(exc, where) from None
    finally:
        await client.stop()


@asynccontextmanager
async def producer(settings: Settings) -> AsyncIterator[AIOKafkaProducer]:
    client = AIOKafkaProducer(acks="all", linger_ms=5, **client_options(settings))
    async with _running(client, settings, "Write") as started:
        yield started


Record = tuple[bytes | None, bytes, list[tuple[str, bytes]] | None]  # key, value, headers


async def produce_values(
    settings: Settings,
    topic: str,
    records: Iterable[Record],
    progress: Any = None,
) -> int:
    """Send ``(key, value, headers)`` records in batches and wait for every ack; returns the
    count sent. ``progress`` (a tqdm bar, say) is updated as batches are acknowledged. Kafka's
    refusals (an ACL, a message too large) come out mapped by :func:`producer`."""
    sent = 0
    async with producer(settings) as client:
        pending: list[asyncio.Future[Any]] = []
        for key, value, headers in records:
            pending.append(await client.send(topic, value=value, key=key, headers=headers))
            if len(pending) >= 500:
                sent += await _settle(pending, progress)
        sent += await _settle(pending, progress)
    return sent


async def _settle(pending: list[asyncio.Future[Any]], progress: Any) -> int:
    await asyncio.gather(*pending)
    count = len(pending)
    if progress is not None:
        progress.update(count)
    pending.clear()
    return count


@asynccontextmanager
async def consumer(
    settings: Settings, topics: list[str], *, from_beginning: bool, group: str | None = None
) -> AsyncIterator[AIOKafkaConsumer]:
    client = AIOKafkaConsumer(
        *topics,
        group_id=group,
        auto_offset_reset="earliest" if from_beginning else "latest",
        enable_auto_commit=group is not None,
        # The worker writes in transactions (exactly_once): only committed output is output.
        isolation_level="read_committed",
        **client_options(settings),
    )
    async with _running(client, settings, "Read") as started:
        yield started


# A partition that still claims records after this many empty fetches is given up on (its last
# offsets can be transaction markers, which a read_committed consumer never sees as records).
_IDLE_FETCHES = 5
_FETCH_TIMEOUT_MS = 1000


async def read_to_end(
    settings: Settings, topic: str, operation: str = "Read"
) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
    """Every committed record on ``topic`` when called, in offset order per partition, then
    stop: how the CLI reads a topic it reports on (dead letters, stories). ``read_committed``:
    a record of an aborted transaction was never really written."""
    client = AIOKafkaConsumer(
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        **client_options(settings),
    )
    async with _running(client, settings, operation):
        # A consumer without a subscription keeps no metadata for the topic; the admin
        # client's describe is the public way to list its partitions.
        partitions = await topic_partitions(settings, topic, operation)
        tps = [TopicPartition(topic, p) for p in partitions]
        if not tps:
            return
        client.assign(tps)
        # Explicit offsets: a seek to the beginning can lose a race with the reset that assign()
        # starts, and leave the consumer at the end.
        starts = await client.beginning_offsets(tps)
        ends = await client.end_offsets(tps)
        for tp in tps:
            client.seek(tp, starts[tp])
        pending = {tp for tp in tps if await client.position(tp) < ends[tp]}
        idle = 0
        while pending and idle < _IDLE_FETCHES:
            batch = await client.getmany(*pending, timeout_ms=_FETCH_TIMEOUT_MS)
            idle = 0 if any(batch.values()) else idle + 1
            for tp, messages in batch.items():
                for message in messages:
                    if message.offset < ends[tp]:
                        yield message
            pending = {tp for tp in pending if await client.position(tp) < ends[tp]}
