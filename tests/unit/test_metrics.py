"""streams.metrics beyond the catalogue: what each recording method does to the series."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from harness.checks import git_head
from streams.core.dedupe.record import Seen
from streams.metrics import Metrics, build_commit
from streams.metrics import build as metrics_module
from streams.models import DedupeStatus
from streams.worker.ops import OffsetAgeTracker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(CollectorRegistry())


def value(m: Metrics, name: str, **labels: str) -> float | None:
    return m.registry.get_sample_value(name, labels)


def test_bounded_series_exist_at_zero_from_the_start(metrics: Metrics) -> None:
    assert value(metrics, "wirestream_items_out_total", outcome="deadletter") == 0
    assert value(metrics, "wirestream_items_by_language_total", language="other") == 0
    assert value(metrics, "wirestream_entities_total", type="LOC") == 0
    assert value(metrics, "wirestream_stage_duration_seconds_count", stage="publish") == 0
    assert (
        value(metrics, "wirestream_knowledge_base_reloads_total", kb="watchlist", result="failure")
        == 0
    )
    assert value(metrics, "wirestream_stories_total") == 0
    assert value(metrics, "process_cpu_seconds_total") is not None
    assert value(metrics, "wirestream_ready") == 0


def test_observe_published_counts_stories_and_the_delay_since_publication(
    metrics: Metrics,
) -> None:
    now = 1_800_000_000.0
    metrics.observe_published(DedupeStatus.UNIQUE, "2027-01-15T07:59:00.000Z", now)
    metrics.observe_published(DedupeStatus.NEAR_DUPLICATE, None, now)
    assert value(metrics, "wirestream_stories_total") == 1
    assert value(metrics, "wirestream_published_to_output_seconds_count") == 1
    # 1.8e9 is 2027-01-15T08:00:00Z: published a minute before "now".
    assert value(metrics, "wirestream_published_to_output_seconds_sum") == pytest.approx(60.0)


def test_a_published_at_in_the_future_is_counted_and_observed_as_zero(metrics: Metrics) -> None:
    metrics.observe_published(DedupeStatus.UNIQUE, "2030-01-01T00:00:00+02:00", 1_800_000_000.0)
    assert value(metrics, "wirestream_published_at_in_future_total") == 1
    assert value(metrics, "wirestream_published_to_output_seconds_sum") == 0
    assert value(metrics, "wirestream_published_to_output_seconds_bucket", le="1.0") == 1


def test_dedupe_state_size_is_the_changelog_bytes_estimated_from_a_bounded_sample(
    metrics: Metrics,
) -> None:
    record = Seen(
        "5a1e0000c0ffee00", "ev-1", 1.5, "0:1", DedupeStatus.UNIQUE, None, 0.0, None, b"x" * 500
    ).to_record()
    store = {f"h:{n:04d}": record for n in range(1000)}
    metrics.observe_dedupe_state(store, sample_size=10)
    assert value(metrics, "wirestream_dedupe_state_items") == 1000
    # The key as faust's JSON key serializer writes it, the packed record as it is.
    one = len(b'"h:0000"') + len(record)
    assert value(metrics, "wirestream_dedupe_state_bytes") == 1000 * one
    metrics.observe_dedupe_state({})
    assert value(metrics, "wirestream_dedupe_state_bytes") == 0


def test_dedupe_sampling_reads_no_more_than_the_sample(metrics: Metrics) -> None:
    class Counting(dict[str, list[int]]):
        reads = 0

        def items(self) -> Iterator[tuple[str, list[int]]]:  # type: ignore[override]
            for pair in super().items():
                Counting.reads += 1
                yield pair

    metrics.observe_dedupe_state(Counting({str(n): [n] for n in range(5000)}), sample_size=7)
    assert Counting.reads == 7


def test_committed_offset_age_grows_only_while_commits_are_pending(metrics: Metrics) -> None:
    tracker = OffsetAgeTracker(metrics)
    assert tracker.update("raw", 0, 10, 15, now=100.0) == 0  # first sight: the clock starts
    assert tracker.update("raw", 0, 10, 20, now=160.0) == 60  # stuck at 10 with 10 waiting
    assert tracker.update("raw", 0, 18, 20, now=170.0) == 0  # moved: the clock restarts
    assert tracker.update("raw", 0, 20, 20, now=400.0) == 0  # all committed: nothing pending
    assert tracker.update("raw", 0, 20, 20, now=900.0) == 0  # idle is not stuck
    assert tracker.update("raw", 1, None, 5, now=900.0) == 0
    assert tracker.update("raw", 1, None, 5, now=930.0) == 30  # never committed, 5 waiting
    assert (
        value(metrics, "wirestream_committed_offset_age_seconds", topic="raw", partition="1") == 30
    )


def test_partitions_given_away_in_a_rebalance_stop_being_reported(metrics: Metrics) -> None:
    for partition in ("0", "1", "2"):
        metrics.consumer_lag.labels("raw", partition).set(5)
        metrics.committed_offset_age.labels("raw", partition).set(1)
    metrics.forget_partitions([("raw", 1)])
    assert value(metrics, "wirestream_consumer_lag_messages", topic="raw", partition="1") == 5
    for partition in ("0", "2"):
        labels = {"topic": "raw", "partition": partition}
        assert value(metrics, "wirestream_consumer_lag_messages", **labels) is None
        assert value(metrics, "wirestream_committed_offset_age_seconds", **labels) is None


def test_reloads_are_counted_by_result_with_the_size_and_time_of_the_last_success(
    metrics: Metrics,
) -> None:
    metrics.record_reload("watchlist", "success", entries=120, now=1000.0)
    metrics.record_reload("watchlist", "failure", now=2000.0)
    metrics.record_reload("watchlist", "unchanged")
    labels = {"kb": "watchlist"}
    assert value(metrics, "wirestream_knowledge_base_entries", **labels) == 120
    assert (
        value(metrics, "wirestream_knowledge_base_last_success_timestamp_seconds", **labels) == 1000
    )
    for result in ("success", "failure", "unchanged"):
        assert (
            value(metrics, "wirestream_knowledge_base_reloads_total", result=result, **labels) == 1
        )
    with pytest.raises(ValueError, match="unknown"):
        metrics.record_reload("watchlist", "partial")
    with pytest.raises(ValueError, match="unknown"):
        metrics.record_reload("people", "success")


def test_model_status_keeps_the_language_label_bounded(metrics: Metrics) -> None:
    metrics.set_model_loaded("ner", "de", loaded=False)
    metrics.set_model_loaded("ner", "xx-unheard-of", loaded=True)
    metrics.set_model_loaded("langid", "all", loaded=True)
    assert value(metrics, "wirestream_model_loaded", model="ner", language="de") == 0
    assert value(metrics, "wirestream_model_loaded", model="ner", language="other") == 1
    assert value(metrics, "wirestream_model_loaded", model="langid", language="all") == 1


@pytest.fixture
def fresh_build_commit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    build_commit.cache_clear()
    yield
    monkeypatch.undo()
    build_commit.cache_clear()


@pytest.mark.usefixtures("fresh_build_commit")
def test_build_commit_prefers_the_file_written_at_build_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    recorded = tmp_path / "streams" / "BUILD_COMMIT"
    recorded.parent.mkdir()
    recorded.write_text("0123456789ab\n")
    monkeypatch.setattr(metrics_module, "BUILD_COMMIT_FILE", recorded)
    assert build_commit() == "0123456789ab"


@pytest.mark.usefixtures("fresh_build_commit")
def test_build_commit_asks_git_in_a_checkout_and_falls_back_to_unknown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    head = git_head()
    monkeypatch.setattr(metrics_module, "BUILD_COMMIT_FILE", ROOT / "streams" / "NO_SUCH_FILE")
    assert build_commit() == head
    build_commit.cache_clear()
    # An installed package outside any checkout: no .git beside it.
    monkeypatch.setattr(metrics_module, "BUILD_COMMIT_FILE", tmp_path / "streams" / "BUILD_COMMIT")
    assert build_commit() == "unknown"
    build_commit.cache_clear()
    monkeypatch.setattr(metrics_module.shutil, "which", lambda _name: None)
    monkeypatch.setattr(metrics_module, "BUILD_COMMIT_FILE", ROOT / "streams" / "NO_SUCH_FILE")
    assert build_commit() == "unknown"
