"""The metrics themselves: :class:`Metrics`, every series on one injected registry."""

from __future__ import annotations

import itertools
import platform
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import orjson
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.exposition import generate_latest

from streams import __version__
from streams.core.stories import Change, Closed
from streams.errors import DeadLetterReason
from streams.metrics.build import build_commit
from streams.metrics.labels import (
    ALL_LANGUAGES,
    E2E_BUCKETS,
    ENTITY_TYPE_LABELS,
    KB_LABELS,
    LANGUAGE_LABELS,
    LIMITS,
    LOOP_LAG_BUCKETS,
    OUTCOMES,
    PUBLISHED_BUCKETS,
    RELOAD_RESULTS,
    STAGE_BUCKETS,
    STAGE_LABELS,
    STATE_SAMPLE_SIZE,
)
from streams.models import DedupeStatus

# The *_created series double the exposition and no dashboard of ours reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]


class Metrics:
    """All of wirestream's metrics, on one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.items_in = Counter(
            "wirestream_items_in", "Raw items read from the input topic.", ["topic"], registry=r
        )
        self.items_out = Counter(
            "wirestream_items_out",
            "Items finished, by outcome (enriched, duplicate, deadletter).",
            ["outcome"],
            registry=r,
        )
        self.deadletters = Counter(
            "wirestream_deadletters",
            "Items sent to the dead-letter topic, by reason.",
            ["reason"],
            registry=r,
        )
        self.duplicates = Counter(
            "wirestream_duplicates",
            "Items matched to an earlier item, by dedupe status.",
            ["status"],
            registry=r,
        )
        self.stories = Counter(
            "wirestream_stories", "New stories: items the dedupe stage found unique.", registry=r
        )
        # Stories for alerting consumers (docs/architecture.md, "Stories"), by the deciding stage.
        self.story_updates = Counter(
            "wirestream_story_updates",
            "Story records written (one per item decided), by what changed (last_change).",
            ["change"],
            registry=r,
        )
        self.stories_closed = Counter(
            "wirestream_stories_closed",
            "Stories that left the story state (a tombstone written), by reason.",
            ["reason"],
            registry=r,
        )
        self.story_items = Histogram(
            "wirestream_story_items",
            "Items in a story, observed at each of its updates.",
            buckets=(1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000),
            registry=r,
        )
        self.story_languages = Histogram(
            "wirestream_story_languages",
            "Languages of a story, observed at each of its updates.",
            buckets=(1, 2, 3, 4, 5, 6, 8, 10, 15, 20),
            registry=r,
        )
        self.story_update_seconds = Histogram(
            "wirestream_story_update_seconds",
            "Time to update an item's story: state read, advanced and written, records sent.",
            buckets=STAGE_BUCKETS,
            registry=r,
        )
        for change in Change:
            self.story_updates.labels(change.value)
        for reason in Closed:
            self.stories_closed.labels(reason.value)
        self.languages = Counter(
            "wirestream_items_by_language",
            "Enriched items by detected language.",
            ["language"],
            registry=r,
        )
        self.entities = Counter(
            "wirestream_entities",
            "Entities found in enriched items, by type.",
            ["type"],
            registry=r,
        )
        self.limits = Counter(
            "wirestream_limits_applied",
            "Items whose analysis a cap cut, by the setting that set the cap (event.limits).",
            ["limit"],
            registry=r,
        )
        self.errors = Counter(
            "wirestream_errors",
            "Unexpected errors while processing, by kind.",
            ["kind"],
            registry=r,
        )
        self.stage_seconds = Histogram(
            "wirestream_stage_duration_seconds",
            "Time spent in each enrichment stage.",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=r,
        )
        self.process_seconds = Histogram(
            "wirestream_item_processing_seconds",
            "Time from taking an item off the stream to handing its output to the producer.",
            buckets=E2E_BUCKETS,
            registry=r,
        )
        self.end_to_end_seconds = Histogram(
            "wirestream_end_to_end_seconds",
            "Time from the raw message's broker timestamp to its output being handed over.",
            buckets=E2E_BUCKETS,
            registry=r,
        )
        self.published_seconds = Histogram(
            "wirestream_published_to_output_seconds",
            "Time from an item's published_at to its enriched event being handed over.",
            buckets=PUBLISHED_BUCKETS,
            registry=r,
        )
        self.commit_hold_seconds = Histogram(
            "wirestream_commit_hold_seconds",
            "Time each exactly-once commit held new events back (events in flight finishing, "
            "buffered records sent, the transactions committed).",
            buckets=E2E_BUCKETS,
            registry=r,
        )
        self.published_in_future = Counter(
            "wirestream_published_at_in_future",
            "Published items whose published_at lies ahead of the worker's clock.",
            registry=r,
        )
        self.consumer_lag = Gauge(
            "wirestream_consumer_lag_messages",
            "Messages between the consumer's position and the partition's high watermark.",
            ["topic", "partition"],
            registry=r,
        )
        self.committed_offset_age = Gauge(
            "wirestream_committed_offset_age_seconds",
            "Seconds since the partition's committed offset last moved while messages were "
            "waiting to be committed (0 when all is committed).",
            ["topic", "partition"],
            registry=r,
        )
        self.dedupe_items = Gauge(
            "wirestream_dedupe_state_items",
            "Records in this worker's dedupe table (all its partitions).",
            registry=r,
        )
        self.dedupe_bytes = Gauge(
            "wirestream_dedupe_state_bytes",
            "Estimated serialised size of this worker's dedupe table.",
            registry=r,
        )
        self.kb_entries = Gauge(
            "wirestream_knowledge_base_entries",
            "Entries in a loaded knowledge base.",
            ["kb"],
            registry=r,
        )
        self.kb_reloads = Counter(
            "wirestream_knowledge_base_reloads",
            "Knowledge-base loads (the first at start) and reloads, by result.",
            ["kb", "result"],
            registry=r,
        )
        self.kb_loaded_at = Gauge(
            "wirestream_knowledge_base_last_success_timestamp_seconds",
            "When a knowledge base was last loaded successfully (Unix time).",
            ["kb"],
            registry=r,
        )
        self.model_loaded = Gauge(
            "wirestream_model_loaded",
            "1 when a model is loaded and serving, 0 when it is missing.",
            ["model", "language"],
            registry=r,
        )
        self.ready = Gauge(
            "wirestream_ready",
            "1 when /readyz answers ready (broker reachable, partitions assigned, state "
            "recovered), else 0.",
            registry=r,
        )
        self.broker_connected = Gauge(
            "wirestream_broker_connected",
            "1 while the worker's probe reaches the Kafka cluster (a metadata request), else 0.",
            registry=r,
        )
        self.broker_disconnections = Counter(
            "wirestream_broker_disconnections",
            "Times the worker's probe lost the Kafka cluster.",
            registry=r,
        )
        self.rebalances = Counter(
            "wirestream_rebalances",
            "Consumer-group rebalances this worker went through (faust's count).",
            registry=r,
        )
        self.loop_lag_seconds = Histogram(
            "wirestream_event_loop_lag_seconds",
            "How late a timer that asks to wake every 0.25 s wakes: how long the event loop was "
            "kept from heartbeats, commits and /metrics.",
            buckets=LOOP_LAG_BUCKETS,
            registry=r,
        )
        self.build = Info("wirestream_build", "Version of the running worker.", registry=r)
        self.build.info(
            {"version": __version__, "commit": build_commit(), "python": platform.python_version()}
        )
        # CPU, memory and file descriptors of this process, on this registry (never the global).
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        self._prime()

    def _prime(self) -> None:
        """Create every bounded series at zero so that dashboards and rate() see them at once."""
        for outcome in OUTCOMES:
            self.items_out.labels(outcome)
        for reason in DeadLetterReason:
            self.deadletters.labels(reason.value)
        for status in DedupeStatus:
            if status is not DedupeStatus.UNIQUE:
                self.duplicates.labels(status.value)
        for language in (*LANGUAGE_LABELS, "other"):
            self.languages.labels(language)
        for entity_type in ENTITY_TYPE_LABELS:
            self.entities.labels(entity_type)
        for stage in STAGE_LABELS:
            self.stage_seconds.labels(stage)
        for limit in LIMITS:
            self.limits.labels(limit)
        for kb, result in itertools.product(KB_LABELS, RELOAD_RESULTS):
            self.kb_reloads.labels(kb, result)

    def count_language(self, code: str) -> None:
        self.languages.labels(code if code in LANGUAGE_LABELS else "other").inc()

    def count_limits(self, limits: Iterable[str]) -> None:
        for limit in limits:
            self.limits.labels(limit if limit in LIMITS else "other").inc()

    def count_entities(self, types: Iterable[str]) -> None:
        for entity_type in types:
            label = entity_type if entity_type in ENTITY_TYPE_LABELS else "OTHER"
            self.entities.labels(label).inc()

    def observe_stages(self, seconds: Mapping[str, float]) -> None:
        for stage, value in seconds.items():
            self.stage_seconds.labels(stage).observe(value)

    def observe_published(self, status: DedupeStatus, published_at: str | None, now: float) -> None:
        """Count a new story, and the delay since publication of an event being published."""
        if status is DedupeStatus.UNIQUE:
            self.stories.inc()
        if published_at is None:
            return
        try:
            delay = now - datetime.fromisoformat(published_at).timestamp()
        except ValueError:
            return  # the codec validated it; an unparsable value here is not worth a crash
        if delay < 0:
            # A producer's clock ahead of ours: observe 0 rather than lose the item, but say so.
            self.published_in_future.inc()
        self.published_seconds.observe(max(0.0, delay))

    def observe_dedupe_state(
        self, store: Mapping[Any, Any], sample_size: int = STATE_SAMPLE_SIZE
    ) -> None:
        """Record the table's size: its length, and its bytes estimated from a bounded sample of
        its records as the changelog holds them (:func:`_record_size`)."""
        items = len(store)
        self.dedupe_items.set(items)
        sizes = [_record_size(k, v) for k, v in itertools.islice(store.items(), sample_size)]
        self.dedupe_bytes.set(items * sum(sizes) / len(sizes) if sizes else 0)

    def record_reload(
        self, kb: str, result: str, entries: int | None = None, *, now: float | None = None
    ) -> None:
        """Record one load or reload of a knowledge base (``result``: :data:`RELOAD_RESULTS`)."""
        if kb not in KB_LABELS or result not in RELOAD_RESULTS:
            raise ValueError(f"unknown knowledge base {kb!r} or reload result {result!r}")
        self.kb_reloads.labels(kb, result).inc()
        if entries is not None:
            self.kb_entries.labels(kb).set(entries)
        if result == "success":
            if now is None:
                self.kb_loaded_at.labels(kb).set_to_current_time()
            else:
                self.kb_loaded_at.labels(kb).set(now)

    def set_model_loaded(self, model: str, language: str, loaded: bool) -> None:
        label = language if language in LANGUAGE_LABELS or language == ALL_LANGUAGES else "other"
        self.model_loaded.labels(model, label).set(1 if loaded else 0)

    def forget_partitions(self, keep: Iterable[tuple[str, int]]) -> None:
        """Drop per-partition series of partitions this worker no longer owns, so that two
        workers never both report a partition after a rebalance."""
        wanted = {(topic, str(partition)) for topic, partition in keep}
        for gauge in (self.consumer_lag, self.committed_offset_age):
            for labels in _label_sets(gauge):
                if labels not in wanted:
                    gauge.remove(*labels)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _record_size(key: Any, value: Any) -> int:
    """A table record's bytes as its changelog holds it: the key as faust's JSON key serializer
    writes it, the value as it is (packed bytes, streams.core.dedupe.record) or as JSON (the
    records of older versions, still read)."""
    stored = value if isinstance(value, bytes | bytearray) else orjson.dumps(value, default=str)
    return len(orjson.dumps(key, default=str)) + len(stored)


def _label_sets(gauge: Gauge) -> list[tuple[str, ...]]:
    # prometheus_client has no public way to list a metric's children; collect() gives the same
    # information through the public exposition API.
    names = ("topic", "partition")
    return [
        tuple(sample.labels[n] for n in names)
        for family in gauge.collect()
        for sample in family.samples
    ]
