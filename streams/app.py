"""faust wiring: the App, its topics, the dedupe table, the agents, and the web endpoints.

Everything is built from one :class:`~streams.settings.Settings` by :func:`build_worker`; nothing
here reads the environment. The agents only hand each message to their stage's processor. In the
``split`` topology (the default): ``prepare`` (raw topic, every partition, any worker) to
:class:`~streams.agents_prepare.PrepareProcessor`, ``decide`` (the one-partition prepared topic)
to :class:`~streams.agents_decide.DecideProcessor`. In the ``single`` topology, ``enrich`` (a
one-partition raw topic) to :class:`~streams.agents_single.EnrichProcessor`
(docs/architecture.md, "Topology").
"""

from __future__ import annotations

import gc
import signal
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST

from streams import faust_fixes, ner
from streams.agents import Headers, ProcessorOptions, StageProcessor, policy_for
from streams.agents_decide import DecideProcessor
from streams.agents_handoff import MAX_RECORD_BYTES
from streams.agents_prepare import PrepareProcessor
from streams.agents_single import EnrichProcessor
from streams.commit_when_idle import wire_commit_when_idle
from streams.core.pipeline import Pipeline
from streams.faust_fixes_eos import commit_gate
from streams.kafka_io import DEDUPE_TABLE, PREPARED_PARTITIONS
from streams.logs import get_logger
from streams.metrics import ALL_LANGUAGES, Metrics, OffsetAgeTracker
from streams.prepare_pool import PreparePool
from streams.settings import KafkaSettings, Settings, prepared_topic

log = get_logger("wirestream.app")

# With a prepare pool the agent takes raw messages in batches: enough to keep every pool process
# busy while the loop forwards the previous results, and a short wait so that a trickle of items
# is not held back (the latency goal is tens of milliseconds).
PREPARE_BATCH = 32
PREPARE_WITHIN_S = 0.01


def broker_urls(bootstrap: str) -> list[str]:
    return [f"kafka://{host.strip()}" for host in bootstrap.split(",") if host.strip()]


def broker_credentials(kafka: KafkaSettings) -> Any:
    """faust credentials for SASL/SSL, or None for PLAINTEXT."""
    protocol = kafka.security_protocol
    context = None
    if protocol in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(cafile=kafka.ssl_cafile)
    if protocol.startswith("SASL"):
        password = kafka.sasl_password.reveal() if kafka.sasl_password else None
        return faust.SASLCredentials(
            username=kafka.sasl_username,
            password=password,
            mechanism=kafka.sasl_mechanism,
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


class FaustPublisher:
    """Sends through faust topics, at once (faust's publish-on-commit attachments are off); under
    exactly_once each send joins the transaction of the input being processed (faust_fixes_eos)."""

    def __init__(self, enriched: Any, deadletter: Any, prepared: Any) -> None:
        self._enriched = enriched
        self._deadletter = deadletter
        self._prepared = prepared

    async def publish(self, key: bytes, value: bytes, headers: Headers) -> None:
        await self._enriched.send(key=key, value=value, headers=list(headers))

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
    faust_fixes.apply()
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
    # Values are the dedupe stage's packed records (streams/core/dedupe_record.py): bytes, which
    # faust then reads and writes raw.
    table = app.Table(DEDUPE_TABLE, default=None, partitions=PREPARED_PARTITIONS, value_type=bytes)
    pipeline = Pipeline.from_settings(settings, table)

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

    publisher = FaustPublisher(enriched, deadletter, prepared)
    options = ProcessorOptions(settings.worker.max_item_bytes, settings.worker.publish_duplicates)
    policy = policy_for(settings.worker.on_internal_error)
    pool = _start_prepare_pool(app, settings)
    if single:
        stage = EnrichProcessor(pipeline, publisher, metrics, options, policy=policy)
        stage.pool = pool
        stages: dict[str, StageProcessor] = {"enrich": stage}
        _wire_single_agent(app, raw, stage)
        inputs: tuple[str, ...] = (topics.raw,)
    else:
        stage1 = PrepareProcessor(pipeline, publisher, metrics, options, policy=policy)
        stage2 = DecideProcessor(pipeline, publisher, metrics, options, policy=policy)
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

    @app.timer(settings.worker.lag_poll_interval_s)  # type: ignore[untyped-decorator]
    async def report_lag() -> None:
        await _report_lag(app, metrics, inputs)

    _wire_ops_metrics(app, metrics, settings, inputs=inputs, table=table, pipeline=pipeline)
    _wire_watchlist(app, metrics, settings, pipeline)

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        return web.bytes(metrics.exposition(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        ready = is_ready(app)
        return web.json({"ready": ready}, status=200 if ready else 503)

    return Worker(app=app, metrics=metrics, stages=stages)


def settle_heap() -> None:
    """Collect, then put every object alive now out of the cyclic collector's reach.

    The models, the knowledge base and the dedupe index are tens of thousands of long-lived
    objects that each full collection walked again: 50-57 ms with the loop stopped, a few times a
    minute under load, which showed as latency spikes. Frozen, a full collection took 9 ms
    (docs/benchmarks.md, the table at 1496d2c). Frozen objects are still freed when their
    last reference goes; only cycles among them are never collected, and these live for the
    whole process."""
    gc.collect()
    gc.freeze()


def _wire_split_agents(
    app: faust.App,
    settings: Settings,
    stage1: PrepareProcessor,
    stage2: DecideProcessor,
    *,
    raw: Any,
    prepared: Any,
) -> None:
    # Batches only under at_least_once: exactly_once's commit gate (streams/faust_fixes_eos.py)
    # follows the stream's own iteration, one event at a time, which take_events bypasses. With
    # transactions the pool still takes prepare off the loop, one item at a time.
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


def is_ready(app: Any) -> bool:
    """Partitions assigned, no rebalance under way, and table state recovered from changelogs."""
    return (
        not app.unassigned
        and bool(app.consumer.assignment())
        and not app.rebalancing
        and not app.in_recovery
        and app.tables.recovery.completed.is_set()
    )


async def _report_lag(app: Any, metrics: Metrics, topics: tuple[str, ...]) -> None:
    consumer = app.consumer
    for tp in consumer.assignment():
        if tp.topic not in topics:
            continue
        highwater = consumer.highwater(tp)
        if highwater is None:
            continue
        # faust keeps the last offset its streams read; before the first read, fall back to the
        # committed offset, which is where reading will start.
        read = consumer._read_offset.get(tp)
        position = read + 1 if read is not None else (consumer._committed_offset.get(tp) or 0)
        metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(0, highwater - position))


def _wire_ops_metrics(
    app: Any,
    metrics: Metrics,
    settings: Settings,
    *,
    inputs: tuple[str, ...],
    table: Any,
    pipeline: Pipeline,
) -> None:
    """The ops metrics of docs/metrics.md that no item produces: what was loaded at start, and a
    timer sampling readiness, the dedupe table's size and committed-offset age. ``inputs`` are
    the topics the agents read, the table's own last. One function, so that a restructured app
    only has to call it again."""
    # Created at zero so that rate() sees the first items (a series born with its first value
    # has no increase to show).
    for topic in inputs:
        metrics.items_in.labels(topic)
    # The language models load (and are checksummed) when the pipeline is built, or start fails.
    metrics.set_model_loaded("langid", ALL_LANGUAGES, loaded=True)
    kb_meta = pipeline.extractor.meta
    metrics.set_model_loaded("gazetteer", ALL_LANGUAGES, loaded=bool(kb_meta))
    # NER models load at start in the full profile; a missing or damaged one shows as 0 here
    # (and a warning in the log) while its language falls back to the KB and rules.
    for language, state in ner.load_status().items():
        metrics.set_model_loaded("ner", language, loaded=state == "loaded")
    # Entries by kind: "entities" in the v2 gazetteer, "places" in v1.
    counts = kb_meta.get("entities") or kb_meta.get("places") or {}
    metrics.record_reload("gazetteer", "success", entries=sum(counts.values()))
    offsets = OffsetAgeTracker(metrics)

    @app.timer(settings.worker.lag_poll_interval_s)  # type: ignore[untyped-decorator]
    async def sample_ops_metrics() -> None:
        metrics.ready.set(1 if is_ready(app) else 0)
        consumer = app.consumer
        owned = [tp for tp in consumer.assignment() if tp.topic in inputs]
        # Only the owner of the table's partition reports the table: a standby's copy (or what
        # a former owner still holds) is not the state decisions are made against.
        owner = any(tp.topic == inputs[-1] for tp in owned)
        metrics.observe_dedupe_state(table if owner else {})
        keys = [(tp.topic, tp.partition) for tp in owned]
        metrics.forget_partitions(keys)
        offsets.retain(keys)
        now = time.time()
        for tp in owned:
            # faust's committed offset is the next one to read, as Kafka's is.
            committed = consumer._committed_offset.get(tp)
            offsets.update(tp.topic, tp.partition, committed, consumer.highwater(tp), now)


def _wire_watchlist(app: Any, metrics: Metrics, settings: Settings, pipeline: Pipeline) -> None:
    """Load the deployment's watchlist at start, then reload it when the file changes (polled
    every ``entities.watchlist_poll_s``) or on SIGHUP. A bad line is skipped and named in the
    log; an unreadable file keeps the previous list. Either counts as a failed reload, which
    the ``WirestreamReloadFailed`` alert watches."""
    if not settings.entities.watchlist_path:
        return
    extractor = pipeline.extractor
    path = Path(settings.entities.watchlist_path)

    def record(result: Any) -> None:
        outcome = "success" if result.ok else "failure"
        metrics.record_reload("watchlist", outcome, entries=result.entries)
        event = log.info if result.ok else log.warning
        event(
            "watchlist_loaded",
            path=result.path,
            result=outcome,
            entries=result.entries,
            errors=list(result.errors),
        )

    # The pipeline loaded the file already (so the offline `enrich` honours it too).
    record(extractor.watchlist or extractor.reload_watchlist(path))

    @app.timer(settings.entities.watchlist_poll_s)  # type: ignore[untyped-decorator]
    async def poll_watchlist() -> None:
        result = extractor.reload_watchlist_if_changed()
        if result is not None:
            record(result)

    @app.task  # type: ignore[untyped-decorator]
    async def reload_on_sighup() -> None:
        # A task runs inside the worker's event loop, where the signal handler must live.
        app.loop.add_signal_handler(signal.SIGHUP, lambda: record(extractor.reload_watchlist()))
