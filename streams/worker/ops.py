"""The worker's operational side: readiness, lag, ops metrics, watchlist reloads, web pages.

Wired onto the faust app by :func:`wire_ops`, called once by
:func:`streams.worker.app.build_worker`.
"""

from __future__ import annotations

import gc
import signal
import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST

from streams import ner
from streams.core.pipeline import Pipeline
from streams.logs import get_logger
from streams.metrics import ALL_LANGUAGES, Metrics
from streams.settings import Settings
from streams.worker.health import BrokerProbe, LoopProbe, is_ready

log = get_logger("wirestream.app")


class OffsetAgeTracker:
    """Turns polled committed offsets into ``wirestream_committed_offset_age_seconds``."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._seen: dict[tuple[str, int], tuple[int | None, float]] = {}

    def update(
        self, topic: str, partition: int, committed: int | None, highwater: int | None, now: float
    ) -> float:
        """Record one poll; returns the age that was set."""
        key = (topic, partition)
        last = self._seen.get(key)
        if last is None or last[0] != committed:
            self._seen[key] = (committed, now)
            since = now
        else:
            since = last[1]
        pending = highwater is not None and highwater > (committed or 0)
        age = now - since if pending else 0.0
        self._metrics.committed_offset_age.labels(topic, str(partition)).set(age)
        return age

    def retain(self, keep: Iterable[tuple[str, int]]) -> None:
        wanted = set(keep)
        for key in [k for k in self._seen if k not in wanted]:
            del self._seen[key]


class _CountFollower:
    """Carries a count kept elsewhere (faust's ``rebalancing_count``) into a Prometheus counter."""

    def __init__(self, counter: Any) -> None:
        self._counter = counter
        self._seen = 0

    def sync(self, count: int) -> None:
        if count > self._seen:
            self._counter.inc(count - self._seen)
            self._seen = count


def wire_ops(
    app: Any,
    metrics: Metrics,
    settings: Settings,
    *,
    inputs: tuple[str, ...],
    table: Any,
    pipeline: Pipeline,
) -> None:
    """Everything ops see that no item produces: lag, readiness, the ops metrics, the watchlist
    reloads, and the web pages (``/metrics``, ``/healthz``, ``/readyz``). ``inputs`` are the
    topics the agents read, the table's own last."""

    broker = BrokerProbe(settings, metrics)
    loop_probe = LoopProbe(metrics)

    @app.task  # type: ignore[untyped-decorator]
    async def probe_broker() -> None:
        await broker.run()

    @app.task  # type: ignore[untyped-decorator]
    async def probe_event_loop() -> None:
        await loop_probe.run()

    @app.timer(settings.worker.lag_poll_interval_s)  # type: ignore[untyped-decorator]
    async def report_lag() -> None:
        await _report_lag(app, metrics, inputs)

    _wire_ops_metrics(
        app, metrics, settings, inputs=inputs, table=table, pipeline=pipeline, broker=broker
    )
    _wire_watchlist(app, metrics, settings, pipeline)

    @app.page("/metrics")  # type: ignore[untyped-decorator]
    async def metrics_page(web: Any, request: Any) -> Any:
        return web.bytes(metrics.exposition(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/healthz")  # type: ignore[untyped-decorator]
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")  # type: ignore[untyped-decorator]
    async def readyz(web: Any, request: Any) -> Any:
        ready = is_ready(app, broker)
        body = {"ready": ready, "broker_connected": broker.connected}
        return web.json(body, status=200 if ready else 503)


def settle_heap() -> None:
    """Collect, then put every object alive now out of the cyclic collector's reach.

    The models, the knowledge base and the dedupe index are tens of thousands of long-lived
    objects that each full collection walked again: 50-57 ms with the loop stopped, a few times a
    minute under load, which showed as latency spikes. Frozen, a full collection took 9 ms
    (docs/benchmarks.md, "Garbage collection"). Frozen objects are still freed when their
    last reference goes; only cycles among them are never collected, and these live for the
    whole process."""
    gc.collect()
    gc.freeze()


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
    broker: BrokerProbe,
) -> None:
    """The ops metrics of docs/metrics.md that no item produces: what was loaded at start, and a
    timer sampling readiness, rebalances, the dedupe table's size and committed-offset age.
    ``inputs`` are the topics the agents read, the table's own last."""
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
    rebalances = _CountFollower(metrics.rebalances)

    @app.timer(settings.worker.lag_poll_interval_s)  # type: ignore[untyped-decorator]
    async def sample_ops_metrics() -> None:
        metrics.ready.set(1 if is_ready(app, broker) else 0)
        rebalances.sync(app.rebalancing_count)
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
    files = settings.entities.watchlist_files()
    if not files:
        return
    extractor = pipeline.extractor

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
    record(extractor.watchlist or extractor.reload_watchlist(files))

    @app.timer(settings.entities.watchlist_poll_s)  # type: ignore[untyped-decorator]
    async def poll_watchlist() -> None:
        result = extractor.reload_watchlist_if_changed()
        if result is not None:
            record(result)

    @app.task  # type: ignore[untyped-decorator]
    async def reload_on_sighup() -> None:
        # A task runs inside the worker's event loop, where the signal handler must live.
        app.loop.add_signal_handler(signal.SIGHUP, lambda: record(extractor.reload_watchlist()))
