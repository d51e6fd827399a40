"""Prometheus metrics, defined on an injected registry so that tests stay isolated.

Every label has a bounded value set: languages outside :data:`LANGUAGE_LABELS` count as ``other``,
entity types and reasons are enums, and every bounded series is created at zero at start so that
``rate()`` sees the first increase. docs/metrics.md is the catalogue (name, type, labels, meaning);
tests/unit/test_metrics_catalogue.py keeps it and this module in step.
"""

from __future__ import annotations

import functools
import itertools
import platform
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
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
from streams.core import LIMITS, STAGES
from streams.core.stories import Change, Closed
from streams.errors import DeadLetterReason
from streams.models import DedupeStatus

# The wire languages we report by name; anything else is "other" so the series count stays fixed.
# fmt: off
LANGUAGE_LABELS = frozenset({
    "ar", "bg", "da", "de", "en", "es", "fa", "fr", "gl", "he", "hi", "id", "it", "ja", "ko",
    "mr", "ms", "ne", "nl", "no", "pl", "pt", "ru", "th", "tr", "uk", "vi", "zh", "und",
})
# fmt: on
ENTITY_TYPE_LABELS = frozenset({"PERSON", "ORG", "LOC", "GPE", "MISC"})
OUTCOMES = ("enriched", "duplicate", "deadletter")
# The core's stages, and the publish step the worker times after them.
STAGE_LABELS = (*STAGES, "publish")
# Knowledge bases whose size and reloads are reported.
KB_LABELS = ("gazetteer", "watchlist")
RELOAD_RESULTS = ("success", "failure", "unchanged")
# The model label of wirestream_model_loaded for a model that serves every language.
ALL_LANGUAGES = "all"

# Stages take microseconds to tens of milliseconds; end to end adds broker round trips.
_STAGE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
# The *_created series double the exposition and no dashboard of ours reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

_E2E_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Wire items reach us seconds to days after publication (backfills, embargoes, re-sends).
_PUBLISHED_BUCKETS = (
    1.0,
    5.0,
    15.0,
    60.0,
    300.0,
    900.0,
    3600.0,
    3 * 3600.0,
    12 * 3600.0,
    86400.0,
    3 * 86400.0,
    7 * 86400.0,
    30 * 86400.0,
)
# How many dedupe records are serialised to estimate the table's size: bounded, so that sampling
# a table of millions of entries costs the event loop the same as sampling a small one.
STATE_SAMPLE_SIZE = 256
_GIT_TIMEOUT_S = 2.0
# Written next to the package at image build time (see Dockerfile), where there is no .git.
BUILD_COMMIT_FILE = Path(__file__).resolve().parent / "BUILD_COMMIT"


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
            buckets=_STAGE_BUCKETS,
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
            buckets=_STAGE_BUCKETS,
            registry=r,
        )
        self.process_seconds = Histogram(
            "wirestream_item_processing_seconds",
            "Time from taking an item off the stream to handing its output to the producer.",
            buckets=_E2E_BUCKETS,
            registry=r,
        )
        self.end_to_end_seconds = Histogram(
            "wirestream_end_to_end_seconds",
            "Time from the raw message's broker timestamp to its output being handed over.",
            buckets=_E2E_BUCKETS,
            registry=r,
        )
        self.published_seconds = Histogram(
            "wirestream_published_to_output_seconds",
            "Time from an item's published_at to its enriched event being handed over.",
            buckets=_PUBLISHED_BUCKETS,
            registry=r,
        )
        self.commit_hold_seconds = Histogram(
            "wirestream_commit_hold_seconds",
            "Time each exactly-once commit held new events back (events in flight finishing, "
            "buffered records sent, the transactions committed).",
            buckets=_E2E_BUCKETS,
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
            "1 when /readyz answers ready (partitions assigned, state recovered), else 0.",
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


@functools.cache
def build_commit() -> str:
    """The git commit the worker was built from: the file the image build writes, else
    ``git rev-parse`` in a source checkout, else ``unknown``. Never reads the environment."""
    try:
        recorded = BUILD_COMMIT_FILE.read_text(encoding="utf-8").strip()
    except OSError:
        recorded = ""
    if recorded:
        return recorded[:40]
    root = BUILD_COMMIT_FILE.parent.parent
    git = shutil.which("git")
    # Only a checkout of this project: an installed package must not report whatever repository
    # happens to enclose site-packages.
    if git is None or not (root / ".git").exists():
        return "unknown"
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell, our own checkout
            [git, "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else "unknown"
