"""Crash and shutdown on the real broker: SIGKILL mid-stream loses nothing; SIGTERM is graceful."""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from typing import Any

import orjson
import pytest

from harness.stories import WORDS
from harness.topics import read_all, send
from streams.errors import ConfigError
from tests.integration.conftest import Deployment

OUTCOMES = ("enriched", "duplicate", "deadletter")
CITIES = ("Rotterdam", "Lisbon", "Warsaw", "Nairobi", "Osaka", "Lima", "Oslo", "Cairo")
TOTAL = 2400


def story(n: int) -> str:
    """A distinct little story per n: a deterministic walk over the word list, so that no two
    items share the word sequences the near-duplicate detector compares."""
    rng = random.Random(n)
    city = CITIES[n % len(CITIES)]
    words = " ".join(rng.choice(WORDS) for _ in range(24))
    return f"Officials in {city} discussed item {n}: {words}."


def stream_items() -> tuple[list[bytes], set[str], set[str]]:
    """Distinct stories, with every 20th item an exact re-send under a new id and every 200th
    malformed. Returns the values, the ids expected as duplicates, and the malformed ids."""
    values: list[bytes] = []
    duplicates: set[str] = set()
    malformed: set[str] = set()
    previous_body = ""
    for n in range(TOTAL):
        item_id = f"k-{n:05d}"
        body = story(n)
        if n % 200 == 199:
            values.append(f'{{"id": "{item_id}", "body": "truncated'.encode())
            malformed.add(item_id)
            continue
        if n % 20 == 5:
            body = previous_body
            duplicates.add(item_id)
        previous_body = body
        values.append(orjson.dumps({"id": item_id, "source": "crash-test", "body": body}))
    return values, duplicates, malformed


# The single topology (one agent, one raw partition) under exactly_once too: its outputs, table
# changes and raw offsets share one transaction where the split topology has two.
@pytest.mark.parametrize(
    ("guarantee", "topology"),
    [("at_least_once", "split"), ("exactly_once", "split"), ("exactly_once", "single")],
)
def test_sigkill_mid_stream_loses_nothing(
    deployment: Deployment, record_property: Any, guarantee: str, topology: str
) -> None:
    # Duplicates are published here too, so that every input leaves a record on a topic. The
    # fast profile (no sentence embeddings) keeps 2,400 items quick; delivery is what is tested.
    deployment.extra["WIRESTREAM_WORKER_PUBLISH_DUPLICATES"] = "true"
    deployment.extra["WIRESTREAM_WORKER_PROFILE"] = "fast"
    deployment.extra["WIRESTREAM_WORKER_PROCESSING_GUARANTEE"] = guarantee
    deployment.extra["WIRESTREAM_WORKER_TOPOLOGY"] = topology
    if topology == "single":
        deployment.extra["WIRESTREAM_TOPICS_RAW_PARTITIONS"] = "1"
    values, duplicates, malformed = stream_items()
    bootstrap = deployment.kafka.bootstrap
    deployment.create_topics()
    send(bootstrap, deployment.topic("raw"), values)

    first = deployment.worker().start()
    # Killed mid-stream: a quarter or more of the raw topic read (in the split topology decide,
    # on the prepared topic, is behind it).
    raw = deployment.topic("raw")
    first.wait_metric("wirestream_items_in_total", TOTAL * 0.25, timeout=120, topic=raw)
    processed_before_kill = first.metric("wirestream_items_in_total", topic=raw)
    finished = sum(first.metric("wirestream_items_out_total", outcome=o) for o in OUTCOMES)
    first.kill()
    assert finished < TOTAL, "the stream finished before the kill; make it longer"

    second = deployment.worker().start()
    expected = {f"k-{n:05d}" for n in range(TOTAL)}

    def enriched_ids(records: list) -> set[str]:  # type: ignore[type-arg]
        return {orjson.loads(r.value)["id"] for r in records}

    enriched = read_all(
        bootstrap,
        deployment.topic("enriched"),
        until=lambda r: len(enriched_ids(r)) >= len(expected - malformed),
        timeout=240,
    )
    dead = read_all(
        bootstrap, deployment.topic("deadletter"), until=lambda r: len(r) >= len(malformed)
    )
    second.stop()

    published = Counter(orjson.loads(r.value)["id"] for r in enriched)
    statuses = {
        orjson.loads(r.value)["id"]: orjson.loads(r.value)["dedupe"]["status"] for r in enriched
    }
    dead_ids = {m.group(1) for r in dead if (m := re.search(rb'"id": "([^"]+)"', r.value))}
    dead_ids_str = {d.decode() for d in dead_ids}

    missing = expected - set(published) - dead_ids_str
    assert not missing, f"{len(missing)} items lost, e.g. {sorted(missing)[:5]}"
    assert dead_ids_str == malformed
    # A re-send and its original may sit on different partitions, so either can be seen first:
    # of each pair exactly one is the duplicate.
    for copy in duplicates:
        original = f"k-{int(copy[2:]) - 1:05d}"
        assert sorted([statuses[original], statuses[copy]]) == ["duplicate", "unique"], copy
    singles = expected - malformed - duplicates - {f"k-{int(c[2:]) - 1:05d}" for c in duplicates}
    assert all(statuses[i] == "unique" for i in singles)

    twice = sum(1 for count in published.values() if count > 1)
    record_property("processed_before_kill", processed_before_kill)
    record_property("finished_before_kill", finished)
    record_property("published_twice", twice)
    print(
        f"\ncrash test ({guarantee}, {topology}): {processed_before_kill:.0f} items read and "
        f"{finished:.0f} finished before SIGKILL; "
        f"{twice} enriched events published twice after the restart"
    )
    if guarantee == "exactly_once":
        # Transactions: what a read_committed consumer sees is each input's outputs exactly once.
        assert twice == 0, sorted(i for i, count in published.items() if count > 1)[:10]
        assert len(dead) == len(malformed), "a dead letter was published twice"


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once"])
def test_sigterm_stops_gracefully_and_commits(deployment: Deployment, guarantee: str) -> None:
    grace_s = 20.0
    deployment.extra["WIRESTREAM_WORKER_PROCESSING_GUARANTEE"] = guarantee
    bootstrap = deployment.kafka.bootstrap
    items = [
        orjson.dumps({"id": f"g-{n}", "body": f"Grain barges number {n} left Odesa."})
        for n in range(200)
    ]
    deployment.create_topics()
    send(bootstrap, deployment.topic("raw"), items)
    worker = deployment.worker().start()
    worker.wait_metric("wirestream_items_out_total", 200, timeout=60, outcome="enriched")
    started = time.monotonic()
    assert worker.stop(timeout=grace_s) == 0, worker.tail_log()
    assert time.monotonic() - started < grace_s

    # Offsets were committed on the way out: a new worker in the same group republishes nothing.
    again = deployment.worker().start()
    time.sleep(3)
    assert again.metric("wirestream_items_in_total", topic=deployment.topic("raw")) == 0
    assert again.metric("wirestream_items_in_total", topic=deployment.topic("prepared")) == 0
    again.stop()
    records = read_all(bootstrap, deployment.topic("enriched"), until=lambda r: len(r) >= 200)
    assert len(records) == 200


def test_the_single_topology_refuses_a_raw_topic_of_several_partitions(
    deployment: Deployment,
) -> None:
    deployment.create_topics()  # the split topology's four raw partitions
    deployment.extra["WIRESTREAM_WORKER_TOPOLOGY"] = "single"
    deployment.extra["WIRESTREAM_TOPICS_RAW_PARTITIONS"] = "1"
    raw = re.escape(deployment.topic("raw"))
    with pytest.raises(ConfigError, match=rf"{raw} has 4 partitions"):
        deployment.create_topics()
    # The worker does the same check before it starts, and exits with the message.
    with pytest.raises(RuntimeError, match="has 4 partitions"):
        deployment.worker().start(ready_timeout=60)
