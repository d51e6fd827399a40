"""What build_worker records before any message: the startup side of the ops metrics."""

from __future__ import annotations

import pytest

from harness.checks import git_head
from streams.settings import Settings
from streams.worker.app import Worker, build_worker


@pytest.fixture(scope="module")
def worker() -> Worker:
    return build_worker(Settings())


def value(worker: Worker, name: str, **labels: str) -> float | None:
    return worker.metrics.registry.get_sample_value(name, labels)


def test_models_and_the_gazetteer_are_reported_loaded(worker: Worker) -> None:
    assert value(worker, "wirestream_model_loaded", model="langid", language="all") == 1
    assert value(worker, "wirestream_model_loaded", model="gazetteer", language="all") == 1
    entries = value(worker, "wirestream_knowledge_base_entries", kb="gazetteer")
    assert entries is not None
    assert entries > 1000
    success = {"kb": "gazetteer", "result": "success"}
    assert value(worker, "wirestream_knowledge_base_reloads_total", **success) == 1
    assert value(worker, "wirestream_knowledge_base_last_success_timestamp_seconds", kb="gazetteer")


def test_the_raw_topic_counter_exists_before_the_first_item(worker: Worker) -> None:
    # Without it, rate() would miss the first items: a series born with a value has no increase.
    assert value(worker, "wirestream_items_in_total", topic=Settings().topics.raw) == 0


def test_build_info_names_the_checkout_commit(worker: Worker) -> None:
    text = worker.metrics.exposition().decode()
    (line,) = [x for x in text.splitlines() if x.startswith("wirestream_build_info{")]
    assert f'commit="{git_head()}"' in line
