"""faust wiring: the App, its topics, the dedupe and story tables, the agents, the web endpoints.

Everything is built from one :class:`~streams.settings.Settings` by :func:`build_worker`; nothing
here reads the environment. The agents only hand each message to their stage's processor. In the
``split`` topology (the default): ``prepare`` (raw topic, every partition, any worker) to
:class:`~streams.worker.stages.prepare.PrepareProcessor`, ``decide`` (the one-partition prepared
topic) to :class:`~streams.worker.stages.decide.DecideProcessor`. In the ``single`` topology,
``enrich`` (a one-partition raw topic) to :class:`~streams.worker.stages.single.EnrichProcessor`
(docs/architecture.md, "Topology"). The deciding agent also keeps the story table and writes the
stories topic (docs/architecture.md, "Stories").
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import faust

from streams.broker import broker_security
from streams.core.pipeline import Pipeline
from streams.core.stories import StoryBook
from streams.kafka import DEDUPE_TABLE, MAX_RECORD_BYTES, PREPARED_PARTITIONS, STORY_TABLE
from streams.logs import get_logger
from streams.metrics import Metrics
from streams.settings import KafkaSettings, Settings, prepared_topic
from streams.worker import patches
from streams.worker.commit_when_idle import wire_commit_when_idle
from streams.worker.ops import settle_heap, wire_ops
from streams.worker.patches.transactions import commit_gate
from streams.worker.policies import policy_for
from streams.worker.pool import PreparePool
from streams.worker.stages.base import Headers, ProcessorOptions, StageProcessor
from streams.worker.stages.decide import DecideProcessor
from streams.worker.stages.prepare import PrepareProcessor
from streams.worker.stages.single import EnrichProcessor

log = get_logger("wirestream.app")

# With a prepare pool the agent takes raw messages in batches: enough to keep every pool process
# busy while the loop forwards the previous results, and a short wait so that a trickle of items
# is not held back (the latency goal is tens of milliseconds).
PREPARE_BATCH = 32
PREPARE_WITHIN_S = 0.01


def broker_urls(bootstrap: str) -> list[str]:
    return [f"kafka://{host.strip()}" for host in bootstrap.split(",") if host.strip()]


def broker_credentials(kafka: KafkaSettings) -> Any:
    """faust credentials for SASL/SSL (:func:`streams.broker.broker_security`), or None."""
    security = broker_security(kafka)
    if security.sasl_mechanism is not None:
        return faust.SASLCredentials(
            username=security.username,
            password=security.password.reveal() if security.password else None,
            mechanism=security.sasl_mechanism,
            ssl_context=security.ssl_context,
        )
    if security.ssl_context is not None:
        return faust.SSLCredentials(security.ssl_context)
    return None


class FaustPublisher:
    """Sends through faust topics, at once (faust's publish-on-commit attachments are off); under
    exactly_once each send joins the transaction of the input being processed
    (:mod:`streams.worker.patches.transactions`)."""

    def __init__(self, enriched: Any, deadletter: Any, prepared: Any, stories: Any) -> None:
        self._enriched = enriched
        self._deadletter = deadletter
        self._prepared = prepared
        self._stories = stories

    async def publish(self, key: bytes, value: bytes, headers: Headers) -> None:
        await self._enriched.send(key=key, value=value, headers=list(headers))

    async def story(self, key: bytes, value: bytes | None, headers: Headers) -> None:
        # None is a tombstone: the story left the state, and compaction forgets its key.
        await self._stories.send(key=key, value=value, headers=list(headers))

    async def forward(self, key: bytes, value: bytes, headers: Headers) -> None:
        await self._prepared.send(key=key, value=value, headers=list(headers))

    async def deadletter(self, key: bytes | None, value: bytes, headers: Headers) -> None:
        await self._deadletter.send(key=key, value=value, headers=list(headers))


@dataclass(frozen=True, slots=True)
class Worker:
    app: Any
    metrics: Metrics
    stages: dict[str, StageProcessor]  # by agent name: prepare and decide, or enrich


def faust_app(settings: Settings, **options: Any) -> faust.App:
    """The faust App every wirestream process runs on (the worker, and the benchmark's faust
    baseline, which must differ from the worker only in what its agent does): broker, timeouts,
    commits, store and web server from the settings; ``options`` adds or overrides faust's."""
    patches.apply()
    return faust.App(
        settings.worker.app_id,
        broker=broker_urls(settings.kafka.bootstrap),
        broker_credentials=broker_credentials(settings.kafka),
        broker_session_timeout=settings.kafka.session_timeout_s,
        broker_heartbeat_interval=settings.kafka.heartbeat_interval_s,
        broker_commit_interval=settings.worker.commit_interval_s,
        broker_commit_every=settings.worker.commit_every,
        # State lives in memory and is rebuilt from the changelog topic at start: durable, and
        # no RocksDB build needed (docs/architecture.md, "State").
        store="memory://",
        datadir=settings.worker.data_dir,
        topic_partitions=settings.topics.raw_partitions,
        topic_replication_factor=settings.kafka.replication_factor,
        consumer_auto_offset_reset="earliest",
        processing_guarantee=settings.worker.processing_guarantee,
        web_enabled=True,
        web_bind=settings.web.bind,
        web_host=settings.web.bind,
        web_port=settings.web.port,
        autodiscover=False,
        # No leader election: nothing here runs on the leader alone, and the election topic
        # (<app_id>-__assignor-__leader) would be one more topic to create and grant.
        topic_disable_leader=True,
        producer_linger=settings.worker.producer_linger_s,
        **options,
    )


def build_worker(settings: Settings, metrics: Metrics | None = None) -> Worker:
    metrics = metrics or Metrics()
    app = faust_app(
        settings,
        # Another worker tails the dedupe table's changelog, ready to take partition 0 over.
        table_standby_replicas=settings.worker.standby_replicas,
        # The prepare stage rejects an item whose record would not fit (agents_handoff).
        producer_max_request_size=MAX_RECORD_BYTES,
    )
    topics = settings.topics

    def topic(name: str, partitions: int) -> Any:
        # Bytes in, bytes out: the agents decode and encode themselves.
        return app.topic(name, partitions=partitions, key_serializer="raw", value_serializer="raw")

    single = settings.worker.topology == "single"
    raw = topic(topics.raw, topics.raw_partitions)
    enriched = topic(topics.enriched, topics.enriched_partitions)
    deadletter = topic(topics.deadletter, topics.deadletter_partitions)
    prepared = None if single else topic(prepared_topic(settings), PREPARED_PARTITIONS)
    # Co-partitioned with the topic the deciding agent reads (the prepared topic, or in the
    # single topology the raw topic, both of one partition): faust writes a table change to the
    # changelog partition of the event being processed, so the same partition count (one) keeps
    # recovery exact, and the worker that owns that partition owns the whole table.
    # Values are the dedupe stage's packed records (streams/core/dedupe/record.py): bytes, which
    # faust then reads and writes raw.
    table = app.Table(DEDUPE_TABLE, default=None, partitions=PREPARED_PARTITIONS, value_type=bytes)
    pipeline = Pipeline.from_settings(settings, table)
    stories = _story_book(app, settings)

    @table.on_recover
    async def rebuild_dedupe_index() -> None:
        # The near-duplicate and story index lives in memory, derived from the table; after a
        # restart or a rebalance the table holds different partitions, so rebuild it.
        count = pipeline.restore()
        log.info("dedupe_index_rebuilt", items=count)
        settle_heap()

    @app.task  # type: ignore[untyped-decorator]
    async def settle_heap_at_start() -> None:
        settle_heap()  # the models and the knowledge base, loaded by now

    story_topic = topic(topics.stories, topics.stories_partitions)
    publisher = FaustPublisher(enriched, deadletter, prepared, story_topic)
    options = ProcessorOptions(
        settings.worker.max_item_bytes,
        settings.worker.publish_duplicates,
        item_deadline_s=settings.worker.item_deadline_s,
        offload_min_bytes=settings.worker.offload_min_bytes,
    )
    policy = policy_for(settings.worker.on_internal_error)
    pool = _start_prepare_pool(app, settings)
    if single:
        stage = EnrichProcessor(
            pipeline, publisher, metrics, options, policy=policy, stories=stories
        )
        stage.pool = pool
        stages: dict[str, StageProcessor] = {"enrich": stage}
        _wire_single_agent(app, raw, stage)
        inputs: tuple[str, ...] = (topics.raw,)
    else:
        stage1 = PrepareProcessor(pipeline, publisher, metrics, options, policy=policy)
        stage2 = DecideProcessor(
            pipeline, publisher, metrics, options, policy=policy, stories=stories
        )
        stage1.pool = pool
        stages = {"prepare": stage1, "decide": stage2}
        _wire_split_agents(app, settings, stage1, stage2, raw=raw, prepared=prepared)
        inputs = (topics.raw, prepared_topic(settings))
    worker_settings = settings.worker
    wire_commit_when_idle(
        app,
        worker_settings.commit_when_idle_s,
        worker_settings.commit_when_waited_s,
        worker_settings.processing_guarantee,
    )
    commit_gate(app).on_hold = metrics.commit_hold_seconds.observe  # used under exactly_once

    wire_ops(app, metrics, settings, inputs=inputs, table=table, pipeline=pipeline)

    return Worker(app=app, metrics=metrics, stages=stages)


def _story_book(app: faust.App, settings: Settings) -> StoryBook:
    """The story state: a table beside the dedupe table, of one partition like it, so the worker
    that decides owns both; values are packed states (streams/core/stories/codec.py)."""
    table = app.Table(STORY_TABLE, default=None, partitions=PREPARED_PARTITIONS, value_type=bytes)
    book = StoryBook(table, settings.stories.window_s, settings.stories.max_stories)

    @table.on_recover
    async def rebuild_story_order() -> None:
        # Which story closes first lives in memory, derived from the table, like the dedupe index.
        log.info("story_order_rebuilt", stories=book.restore())

    return book


def _wire_split_agents(
    app: faust.App,
    settings: Settings,
    stage1: PrepareProcessor,
    stage2: DecideProcessor,
    *,
    raw: Any,
    prepared: Any,
) -> None:
    # Batches only under at_least_once: exactly_once's commit gate
    # (streams/worker/patches/transactions.py) follows the stream's own iteration, one event at a
    # time, which take_events bypasses. With transactions the pool still takes prepare off the loop,
    # one item at a time.
    batches = stage1.pool is not None and settings.worker.processing_guarantee == "at_least_once"

    @app.agent(raw, name="prepare")
    async def prepare(stream: Any) -> None:
        if not batches:
            async for event in stream.events():
                await stage1.handle(event.message)
            return
        # take_events acks a batch only after the loop body has handled it (faust streams.py).
        async for events in stream.take_events(PREPARE_BATCH, within=PREPARE_WITHIN_S):
            await stage1.handle_batch([event.message for event in events])

    @app.agent(prepared, name="decide")
    async def decide(stream: Any) -> None:
        async for event in stream.events():
            await stage2.handle(event.message)


def _wire_single_agent(app: faust.App, raw: Any, stage: EnrichProcessor) -> None:
    @app.agent(raw, name="enrich")
    async def enrich(stream: Any) -> None:
        async for event in stream.events():
            await stage.handle(event.message)


def _start_prepare_pool(app: Any, settings: Settings) -> PreparePool | None:
    """The prepare pool of ``worker.prepare_processes`` processes, loaded before the worker
    starts (a broken model fails the start), and shut down with the app."""
    processes = settings.worker.prepare_processes
    if processes <= 0:
        return None
    pool = PreparePool(settings, processes)
    tick = time.perf_counter()
    pool.warm_up()
    log.info("prepare_pool_started", processes=processes, seconds=time.perf_counter() - tick)

    @app.on_before_shutdown.connect  # type: ignore[untyped-decorator]
    async def stop_prepare_pool(app: Any, **kwargs: Any) -> None:
        pool.close()

    return pool
