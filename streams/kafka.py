"""Plain aiokafka clients for the CLI: topic set-up, producing a feed, tailing the output.

The worker itself runs on faust (``streams.worker.app``); these are the tools around it. aiokafka
errors are mapped to :class:`~streams.errors.TransientError` at this boundary.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError

from streams.errors import ConfigError, TransientError
from streams.settings import KafkaSettings, Secret, Settings, prepared_topic

DEDUPE_TABLE = "dedupe"
# The story state, beside the dedupe table (docs/architecture.md, "Stories").
STORY_TABLE = "stories"
# The stories topic holds the latest record per story: compaction keeps it, tombstones clear it.
STORIES_TOPIC_CONFIG = {"cleanup.policy": "compact"}
# The prepared topic, and so the dedupe table co-partitioned with it, has exactly one partition:
# every dedupe decision meets the whole state (docs/architecture.md, "Topology").
PREPARED_PARTITIONS = 1


@dataclass(frozen=True, slots=True)
class BrokerSecurity:
    """How every client of ours (the worker's faust app and the CLI's aiokafka clients) proves
    itself to the broker: built once from the settings by :func:`broker_security`."""

    protocol: str  # PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL
    ssl_context: ssl.SSLContext | None  # the CA of kafka.ssl_cafile (or the system's), for SSL
    sasl_mechanism: str | None  # for SASL
    username: str | None
    password: Secret | None  # revealed only where a client library takes it


def broker_security(kafka: KafkaSettings) -> BrokerSecurity:
    protocol = kafka.security_protocol
    context = None
    if protocol in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(cafile=kafka.ssl_cafile)
    sasl = protocol.startswith("SASL")
    return BrokerSecurity(
        protocol=protocol,
        ssl_context=context,
        sasl_mechanism=kafka.sasl_mechanism if sasl else None,
        username=kafka.sasl_username if sasl else None,
        password=kafka.sasl_password if sasl else None,
    )


def client_options(settings: Settings) -> dict[str, Any]:
    """Connection options shared by every aiokafka client (SASL/SSL included)."""
    security = broker_security(settings.kafka)
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka.bootstrap,
        "security_protocol": security.protocol,
    }
    if security.ssl_context is not None:
        options["ssl_context"] = security.ssl_context
    if security.sasl_mechanism is not None:
        options["sasl_mechanism"] = security.sasl_mechanism
        options["sasl_plain_username"] = security.username
        options["sasl_plain_password"] = security.password.reveal() if security.password else None
    return options


def dedupe_changelog(settings: Settings) -> str:
    """The dedupe table's changelog topic, named as faust names it."""
    return f"{settings.worker.app_id}-{DEDUPE_TABLE}-changelog"


async def ensure_topics(settings: Settings) -> list[str]:
    """Create the raw, enriched, dead-letter, stories (compacted) and (split topology) prepared
    topics if missing; returns the ones created. Refuses (ConfigError) a topic that the deciding
    agent or the dedupe table needs in one partition but has more: decisions would then miss
    state again (docs/architecture.md, "Topology" and "Upgrading")."""
    topics = settings.topics
    single = settings.worker.topology == "single"
    wanted = [
        (topics.raw, topics.raw_partitions),
        (topics.enriched, topics.enriched_partitions),
        (topics.deadletter, topics.deadletter_partitions),
        *([] if single else [(prepared_topic(settings), PREPARED_PARTITIONS)]),
        (topics.stories, topics.stories_partitions),
    ]
    configs = {topics.stories: STORIES_TOPIC_CONFIG}
    admin = AIOKafkaAdminClient(**client_options(settings))
    created: list[str] = []
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        one = [topics.raw if single else prepared_topic(settings), dedupe_changelog(settings)]
        one.append(f"{settings.worker.app_id}-{STORY_TABLE}-changelog")
        await _check_single_partition(admin, [name for name in one if name in existing])
        for name, partitions in wanted:
            if name in existing:
                continue
            try:
                await admin.create_topics(
                    [
                        NewTopic(
                            name,
                            partitions,
                            settings.kafka.replication_factor,
                            topic_configs=configs.get(name, {}),
                        )
                    ]
                )
                created.append(name)
            except TopicAlreadyExistsError:
                pass  # another process won the race; the topic is there, which is all we need
    except KafkaConnectionError as exc:
        raise TransientError(f"cannot reach Kafka at {settings.kafka.bootstrap}: {exc}") from None
    finally:
        await admin.close()
    return created


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


@asynccontextmanager
async def _running(client: Any, settings: Settings) -> AsyncIterator[Any]:
    """Start an aiokafka client, mapping "no broker" to TransientError, and always stop it."""
    try:
        await client.start()
    except KafkaConnectionError as exc:
        raise TransientError(f"cannot reach Kafka at {settings.kafka.bootstrap}: {exc}") from None
    try:
        yield client
    finally:
        await client.stop()


@asynccontextmanager
async def producer(settings: Settings) -> AsyncIterator[AIOKafkaProducer]:
    client = AIOKafkaProducer(acks="all", linger_ms=5, **client_options(settings))
    async with _running(client, settings) as started:
        yield started


Record = tuple[bytes | None, bytes, list[tuple[str, bytes]] | None]  # key, value, headers


async def produce_values(
    settings: Settings,
    topic: str,
    records: Iterable[Record],
    progress: Any = None,
) -> int:
    """Send ``(key, value, headers)`` records in batches and wait for every ack; returns the
    count sent. ``progress`` (a tqdm bar, say) is updated as batches are acknowledged."""
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
    try:
        await asyncio.gather(*pending)
    except KafkaError as exc:
        raise TransientError(f"the broker did not accept a message: {exc}") from None
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
    async with _running(client, settings) as started:
        yield started
