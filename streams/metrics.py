"""Prometheus metrics, defined on an injected registry so that tests stay isolated.

Every label has a bounded value set: languages outside :data:`LANGUAGE_LABELS` count as ``other``,
entity types and reasons are enums. README.md has the catalogue as a table.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
)
from prometheus_client.exposition import generate_latest

from streams import __version__
from streams.errors import DeadLetterReason
from streams.models import DedupeStatus

# The wire languages we report by name; anything else is "other" so the series count stays fixed.
LANGUAGE_LABELS = frozenset(
    {
        "ar",
        "bg",
        "da",
        "de",
        "en",
        "es",
        "fa",
        "fr",
        "gl",
        "he",
        "hi",
        "id",
        "it",
        "ja",
        "ko",
        "mr",
        "ms",
        "ne",
        "nl",
        "no",
        "pl",
        "pt",
        "ru",
        "th",
        "tr",
        "uk",
        "vi",
        "zh",
        "und",
    }
)
ENTITY_TYPE_LABELS = frozenset({"PERSON", "ORG", "LOC", "GPE", "MISC"})
OUTCOMES = ("enriched", "duplicate", "deadletter")

# Stages take microseconds to tens of milliseconds; end to end adds broker round trips.
_STAGE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
# The *_created series double the exposition and no dashboard of ours reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

_E2E_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


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
        self.consumer_lag = Gauge(
            "wirestream_consumer_lag_messages",
            "Messages between the consumer's position and the partition's high watermark.",
            ["topic", "partition"],
            registry=r,
        )
        self.build = Info("wirestream_build", "Version of the running worker.", registry=r)
        self.build.info({"version": __version__})
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

    def count_language(self, code: str) -> None:
        self.languages.labels(code if code in LANGUAGE_LABELS else "other").inc()

    def count_entities(self, types: Iterable[str]) -> None:
        for entity_type in types:
            label = entity_type if entity_type in ENTITY_TYPE_LABELS else "OTHER"
            self.entities.labels(label).inc()

    def observe_stages(self, seconds: dict[str, float]) -> None:
        for stage, value in seconds.items():
            self.stage_seconds.labels(stage).observe(value)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
