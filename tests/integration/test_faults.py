"""Broker faults, on the real broker: the worker keeps running, says it is not ready while the
cluster is gone, and afterwards every item is accounted for and none is published twice.

- **Broker restart**: the broker is stopped mid-stream for 30 s, then started on its data.
- **Network partition**: a TCP proxy of ours (``harness.proxy``) sits between every client and
  the broker; it blackholes all traffic for 20 s, then resets every connection.
- **An output topic that cannot be written**: the enriched topic is deleted under the worker;
  it must hold on to its items (not commit past them, not drop them) and publish them once the
  topic is back.

Each test has a broker of its own: they stop or cut it off.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from harness.proxy import TcpProxy
from harness.services import KafkaBroker, free_port, start_kafka
from harness.topics import read_all, send, topic_offsets
from harness.worker import WorkerProcess
from tests.integration.conftest import Deployment

# The fast profile: these tests are about delivery, not about what enrichment finds.
FAST = {"WIRESTREAM_WORKER_PROFILE": "fast", "WIRESTREAM_KAFKA_PROBE_INTERVAL_S": "1"}
ITEMS = 300


def items(prefix: str, count: int) -> list[bytes]:
    return [
        orjson.dumps(
            {
                "id": f"{prefix}-{n}",
                "source": "Faults Wire",
                "headline": f"Item {n} of {prefix}",
                "body": f"Dockworkers in port number {n} of {prefix} went on strike on Monday "
                f"over pay, the union said, the {n}th stoppage this year.",
            }
        )
        for n in range(count)
    ]


def published_ids(deployment: Deployment, expected: int, timeout: float = 120.0) -> list[str]:
    """Every enriched event's id on the output topic (read_committed), repeats included."""
    records = read_all(
        deployment.kafka.bootstrap,
        deployment.topic("enriched"),
        until=lambda found: len(found) >= expected,
        timeout=timeout,
    )
    return [orjson.loads(r.value)["id"] for r in records]


def assert_each_once(ids: list[str], expected: set[str]) -> None:
    assert set(ids) == expected, f"missing {sorted(expected - set(ids))[:5]}"
    repeated = {i for i in ids if ids.count(i) > 1}
    assert not repeated, f"published twice: {sorted(repeated)[:5]}"


def wait_for(predicate: Any, timeout: float, what: str, worker: WorkerProcess) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"{what} not within {timeout} s\n{worker.tail_log()}")


def not_ready(worker: WorkerProcess) -> bool:
    try:
        status, body = worker.get("/readyz")
    except OSError:
        return False
    return status == 503 and orjson.loads(body)["broker_connected"] is False


def assert_log_is_json(worker: WorkerProcess) -> None:
    """Every line the worker wrote, through the outage too, is a JSON object."""
    for line in worker.log_path.read_text(errors="replace").splitlines():
        record = orjson.loads(line)
        assert isinstance(record, dict), line
        assert {"event", "level", "timestamp"} <= set(record), line


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[KafkaBroker]:
    broker = start_kafka(tmp_path / "kafka")
    try:
        yield broker
    finally:
        broker.stop()


def test_a_broker_restart_loses_nothing_and_publishes_nothing_twice(
    own_broker: KafkaBroker, tmp_path: Path
) -> None:
    deployment = Deployment(own_broker, tmp_path, **FAST)
    deployment.create_topics()
    worker = deployment.worker().start()
    try:
        first = items("before", ITEMS)
        send(own_broker.bootstrap, deployment.topic("raw"), first)
        time.sleep(1.0)  # mid-stream: some items through, others not
        own_broker.stop()
        took = wait_for(lambda: not_ready(worker), 30, "/readyz 503 while down", worker)
        assert took < 15
        assert worker.metric("wirestream_broker_connected") == 0
        assert worker.metric("wirestream_broker_disconnections_total") >= 1
        time.sleep(max(0.0, 30 - took))
        assert worker.proc is not None
        assert worker.proc.poll() is None, "the worker must ride out the outage"
        own_broker.start(keep_data=True)
        worker.wait_ready(120)
        assert worker.metric("wirestream_broker_connected") == 1
        second = items("after", 50)
        send(own_broker.bootstrap, deployment.topic("raw"), second)
        ids = published_ids(deployment, ITEMS + 50)
        assert_each_once(
            ids, {f"before-{n}" for n in range(ITEMS)} | {f"after-{n}" for n in range(50)}
        )
        assert worker.log_events("broker_disconnected")
        assert worker.log_events("broker_reconnected")
        assert_log_is_json(worker)
    finally:
        worker.stop()
        deployment.close()


def test_a_network_partition_loses_nothing_and_publishes_nothing_twice(tmp_path: Path) -> None:
    proxy_port = free_port()
    broker = start_kafka(tmp_path / "kafka", advertised_port=proxy_port)
    proxy = TcpProxy(broker.port, proxy_port).start()
    deployment = Deployment(broker, tmp_path, **FAST)
    try:
        deployment.create_topics()
        worker = deployment.worker().start()
        send(broker.bootstrap, deployment.topic("raw"), items("cut", ITEMS))
        time.sleep(1.0)
        proxy.blackhole()
        took = wait_for(lambda: not_ready(worker), 30, "/readyz 503 while cut off", worker)
        time.sleep(max(0.0, 20 - took))
        proxy.blackhole(on=False)
        proxy.reset_all()
        worker.wait_ready(120)
        send(broker.bootstrap, deployment.topic("raw"), items("healed", 50))
        ids = published_ids(deployment, ITEMS + 50)
        expected = {f"cut-{n}" for n in range(ITEMS)} | {f"healed-{n}" for n in range(50)}
        assert_each_once(ids, expected)
        assert worker.metric("wirestream_broker_disconnections_total") >= 1
        assert_log_is_json(worker)
        worker.stop()
    finally:
        deployment.close()
        proxy.stop()
        broker.stop()


async def _delete_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topic])
    finally:
        await admin.close()


def test_an_unwritable_output_topic_holds_items_back_and_drops_none(
    own_broker: KafkaBroker, tmp_path: Path
) -> None:
    """The output topic is deleted under the running worker, then created again: meanwhile the
    worker holds its items (nothing published, no offset committed past them) and drops none."""
    deployment = Deployment(own_broker, tmp_path, **FAST)
    deployment.create_topics()
    enriched, raw = deployment.topic("enriched"), deployment.topic("raw")
    # Stage 1 forwards every item to the prepared topic and commits its raw offsets; stage 2,
    # which writes the enriched topic, is where items are held.
    prepared = deployment.topic("prepared")
    worker = deployment.worker().start()
    try:
        # Running, not only ready: an item through end to end before the topic goes.
        send(own_broker.bootstrap, raw, items("warm", 1))
        assert_each_once(published_ids(deployment, 1), {"warm-0"})
        asyncio.run(_delete_topic(own_broker.bootstrap, enriched))
        before = topic_offsets(own_broker.bootstrap, prepared).end
        send(own_broker.bootstrap, raw, items("held", 50))

        def held_items_age() -> bool:
            ages = worker.samples("wirestream_committed_offset_age_seconds")
            return any(age > 0 for labels, age in ages if labels["topic"] == prepared)

        wait_for(held_items_age, 60, "the held partition's committed offset ageing", worker)
        assert worker.proc is not None
        assert worker.proc.poll() is None
        held = topic_offsets(own_broker.bootstrap, prepared, group=deployment.prefix)
        assert held.end[0] > before[0]  # the items are through stage 1
        assert held.committed.get(0, 0) <= before[0], (held, before)  # none committed past
        deployment.create_topics()  # the operator's fix
        ids = published_ids(deployment, 50, timeout=180)
        assert_each_once(ids, {f"held-{n}" for n in range(50)})
        dead = worker.samples("wirestream_deadletters_total")
        assert all(count == 0 for _, count in dead), dead
    finally:
        worker.stop()
        deployment.close()
