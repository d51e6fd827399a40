"""A slow item on the real worker: its core runs off the event loop, so the worker keeps its
group membership, its heartbeats and its scrapes while it works, and the item comes out.

The item is 1 MB of ranked names with the caps of bounded work raised, so that its analysis
takes seconds of CPU (``make bench-hostile`` has the figures); with the core inline the loop
would be held for all of it.
"""

from __future__ import annotations

import time
from pathlib import Path

import orjson

from harness.hostile import SHAPES
from harness.services import KafkaBroker
from harness.topics import read_all, send
from harness.worker import WorkerProcess, series_name
from tests.integration.conftest import Deployment

UNCAPPED = {
    "WIRESTREAM_ENTITIES_MAX_CHARS": "2000000",
    "WIRESTREAM_ENTITIES_MAX_MENTIONS": "1000000",
    "WIRESTREAM_DEDUPE_MAX_CHARS": "2000000",
    "WIRESTREAM_WORKER_ITEM_DEADLINE_S": "120",
}


def slow_item() -> bytes:
    item = orjson.loads(SHAPES["ranked_list"](990_000))
    return orjson.dumps({"id": "slow-1", **item})


def lag_above(worker: WorkerProcess, seconds: float) -> float:
    """How many of the loop probe's wake-ups came later than ``seconds``: the count and the
    bucket from one scrape (from two, a wake-up in between would be counted in one only)."""
    values = worker.scrape()
    total = values.get("wirestream_event_loop_lag_seconds_count", 0.0)
    bucket = series_name("wirestream_event_loop_lag_seconds_bucket", le=f"{seconds:.1f}")
    return total - values.get(bucket, 0.0)


def test_a_slow_item_leaves_the_loop_free_and_the_group_alone(
    kafka: KafkaBroker, tmp_path: Path
) -> None:
    deployment = Deployment(kafka, tmp_path, **UNCAPPED)
    deployment.create_topics()
    worker = deployment.worker().start()
    try:
        # The join that made it ready counts once, sampled within a second.
        rebalances = worker.wait_metric("wirestream_rebalances_total", 1)
        late = lag_above(worker, 1.0)
        sent = time.monotonic()
        send(kafka.bootstrap, deployment.topic("raw"), [slow_item()])
        # While it runs: the worker answers, promptly, and stays ready.
        worst_answer = 0.0
        for _ in range(6):
            asked = time.monotonic()
            status, _body = worker.get("/readyz")
            worst_answer = max(worst_answer, time.monotonic() - asked)
            assert status == 200
            time.sleep(0.5)
        records = read_all(
            kafka.bootstrap,
            deployment.topic("enriched"),
            until=bool,
            timeout=180,
            settle=0,
        )
        took = time.monotonic() - sent
        (event,) = [orjson.loads(r.value) for r in records]
        assert event["id"] == "slow-1"
        assert took > 3.0, "the item must be slow for the test to mean anything"
        assert worst_answer < 1.0
        assert lag_above(worker, 1.0) == late, "the loop was held for over a second"
        assert worker.metric("wirestream_rebalances_total") == rebalances
        assert worker.metric("wirestream_deadletters_total", reason="processing_timeout") == 0
    finally:
        worker.stop()
        deployment.close()
