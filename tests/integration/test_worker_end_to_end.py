"""The worker on the real broker: the seed, its re-send, bad input, and what /metrics and a real
Prometheus server then show. The tests in this module share one worker and run in file order."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import orjson
import pytest

from harness.services import KafkaBroker, PrometheusServer, start_prometheus
from harness.topics import Record, read_all, send
from harness.worker import WIRESTREAM, WorkerProcess
from streams.ner import SHIPPED
from tests.conftest import ROOT, SEED
from tests.integration.conftest import Deployment

BAD_INPUTS = {
    "not_utf8": b"\xff\xfe\xfa not text at all \x00\x81",
    "wrong_shape": b'{"id": "bad-shape", "url": "https://example.com/no-body"}',
    "empty_body": b'{"id": "bad-empty", "body": "   "}',
    "too_large": b'{"id": "bad-large", "body": "' + b"x" * 10_000 + b'"}',
    "invalid_json": b'{"id": "bad-json", "body": "cut off',
}
MAX_ITEM_BYTES = "8192"  # above the seed (about 5 KB), below the too_large input


@pytest.fixture(scope="module")
def stack(
    kafka: KafkaBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Deployment, WorkerProcess, PrometheusServer]]:
    base = tmp_path_factory.mktemp("e2e")
    # This worker prepares in a pool process (the other integration tests run prepare inline),
    # so the pool's path is the one these tests prove: the seed, bad input, metrics.
    deployment = Deployment(
        kafka,
        base,
        WIRESTREAM_WORKER_MAX_ITEM_BYTES=MAX_ITEM_BYTES,
        WIRESTREAM_WORKER_PREPARE_PROCESSES="1",
        WIRESTREAM_ENTITIES_NER_LANGUAGES=",".join(SHIPPED),  # as shipped: every model
    )
    worker = deployment.worker().start()
    assert "prepare_pool_started" in worker.log_path.read_text(), worker.tail_log()
    prometheus = start_prometheus(base / "prometheus", [f"127.0.0.1:{worker.web_port}"])
    try:
        yield deployment, worker, prometheus
    finally:
        prometheus.stop()
        assert worker.stop() == 0, worker.tail_log()
        deployment.close()


def events(records: list[Record]) -> list[dict[str, object]]:
    return [orjson.loads(r.value) for r in records]


def test_seed_yields_one_enriched_event(
    stack: tuple[Deployment, WorkerProcess, PrometheusServer],
) -> None:
    deployment, _worker, _ = stack
    send(deployment.kafka.bootstrap, deployment.topic("raw"), [SEED.read_bytes()])
    records = read_all(deployment.kafka.bootstrap, deployment.topic("enriched"), until=bool)
    assert len(records) == 1
    event = events(records)[0]
    assert event["schema"] == "wirestream.enriched.v1"
    assert records[0].key == str(event["dedupe"]["story_id"]).encode()  # type: ignore[index]
    assert event["language"]["code"] == "ar"  # type: ignore[index]
    assert event["source"]["name"] == "SeaPRwire"  # type: ignore[index]
    boilerplate = " ".join(event["boilerplate"])  # type: ignore[arg-type]
    text = str(event["text"])
    assert "seaprwire.com" in boilerplate
    assert "SeaPRwire" not in text
    assert "القطاعات" in boilerplate
    assert len(event["sectors"]) == 2  # type: ignore[arg-type]
    names = {e["name"]: e for e in event["entities"]}  # type: ignore[union-attr, index]
    for place in ("Russia", "Ukraine", "Moscow"):
        assert place in names, sorted(names)
        assert names[place]["id"], names[place]
        entity = names[place]
        assert text[entity["start"] : entity["end"]] == entity["text"]
    assert event["dedupe"]["status"] == "unique"  # type: ignore[index]


def test_seed_again_is_a_counted_duplicate_not_republished(
    stack: tuple[Deployment, WorkerProcess, PrometheusServer],
) -> None:
    deployment, worker, _ = stack
    before = worker.metric("wirestream_duplicates_total", status="duplicate")
    send(deployment.kafka.bootstrap, deployment.topic("raw"), [SEED.read_bytes()])
    worker.wait_metric("wirestream_duplicates_total", before + 1, status="duplicate")
    assert worker.metric("wirestream_items_out_total", outcome="duplicate") >= 1
    records = read_all(deployment.kafka.bootstrap, deployment.topic("enriched"), until=bool)
    assert len(records) == 1


def test_bad_input_is_dead_lettered_and_the_worker_carries_on(
    stack: tuple[Deployment, WorkerProcess, PrometheusServer],
) -> None:
    deployment, worker, _ = stack
    good = orjson.dumps({"id": "after-bad", "body": "Flooding closed roads in Valencia on Monday."})
    send(deployment.kafka.bootstrap, deployment.topic("raw"), [*BAD_INPUTS.values(), good])
    dead = read_all(
        deployment.kafka.bootstrap,
        deployment.topic("deadletter"),
        until=lambda r: len(r) >= len(BAD_INPUTS),
    )
    by_reason = {r.headers["x-deadletter-reason"].decode(): r for r in dead}
    assert set(by_reason) == set(BAD_INPUTS)
    for reason, original in BAD_INPUTS.items():
        record = by_reason[reason]
        assert record.value == original, reason
        assert record.headers["x-deadletter-error"]
        assert record.headers["x-source-topic"] == deployment.topic("raw").encode()
        assert int(record.headers["x-source-offset"]) >= 0
        assert int(record.headers["x-source-partition"]) in range(4)
        assert int(record.headers["x-source-timestamp-ms"]) > 0
    enriched = read_all(
        deployment.kafka.bootstrap,
        deployment.topic("enriched"),
        until=lambda r: any(e["id"] == "after-bad" for e in events(r)),
        settle=0.5,
    )
    assert any(e["id"] == "after-bad" for e in events(enriched))
    assert worker.proc is not None
    assert worker.proc.poll() is None


def test_metrics_show_what_happened(
    stack: tuple[Deployment, WorkerProcess, PrometheusServer],
) -> None:
    """The worker's /metrics, scraped by a real Prometheus server, tell the tests' story."""
    deployment, _worker, prometheus = stack
    raw, prepared = deployment.topic("raw"), deployment.topic("prepared")
    expected = {
        # Stage 1 takes every raw message; stage 2 the three that were not dead-lettered.
        f'wirestream_items_in_total{{topic="{raw}"}}': 2 + len(BAD_INPUTS) + 1,
        f'wirestream_items_in_total{{topic="{prepared}"}}': 3,
        'wirestream_items_out_total{outcome="enriched"}': 2,
        'wirestream_items_out_total{outcome="duplicate"}': 1,
        'wirestream_items_out_total{outcome="deadletter"}': len(BAD_INPUTS),
        'wirestream_duplicates_total{status="duplicate"}': 1,
        'wirestream_items_by_language_total{language="ar"}': 1,
        **{f'wirestream_deadletters_total{{reason="{r}"}}': 1 for r in BAD_INPUTS},
    }
    for expr, value in expected.items():
        results = prometheus.wait_for(
            f"sum({expr})",
            lambda rows, v=value: bool(rows) and float(rows[0]["value"][1]) == v,
            timeout=30,
        )
        assert float(results[0]["value"][1]) == value, expr
    entities = prometheus.query('sum(wirestream_entities_total{type="LOC"})')
    assert float(entities[0]["value"][1]) >= 3
    stages = prometheus.query("sum by (stage) (wirestream_stage_duration_seconds_count)")
    assert {row["metric"]["stage"] for row in stages} >= {
        "normalize",
        "dedupe",
        "langid",
        "entities",
    }
    # The four raw partitions and the prepared topic's one, all owned by this single worker.
    lag = prometheus.wait_for(
        "wirestream_consumer_lag_messages", lambda rows: len(rows) == 5, timeout=30
    )
    # Caught up. Under exactly_once a partition's log ends with the commit marker of its last
    # transaction, an offset no record is delivered from, so an idle partition shows 1 (as
    # Kafka's own consumer-group tool does); the bound holds for both guarantees.
    assert all(float(row["value"][1]) <= 1 for row in lag), lag
    assert {(row["metric"]["topic"], row["metric"]["partition"]) for row in lag} == {
        *((raw, str(p)) for p in range(4)),
        (prepared, "0"),
    }


def test_produce_and_tail_commands(
    stack: tuple[Deployment, WorkerProcess, PrometheusServer],
) -> None:
    """What `make run` does: `wirestream produce` the sample feed, `wirestream tail` the output."""
    _deployment, worker, _ = stack
    env = {**os.environ, **worker.env}
    feed = ROOT / "config" / "samples" / "wire-feed.jsonl"
    produced = subprocess.run(
        [str(WIRESTREAM), "produce", str(feed)],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert produced.returncode == 0, produced.stderr.decode()
    assert b"sent 15 message(s)" in produced.stderr
    # 15 lines: 1 malformed, 1 exact re-send (not republished) -> 13 new events + 1 dead letter;
    # with the 2 events and 5 dead letters already there from the tests above.
    tailed = subprocess.run(
        [
            str(WIRESTREAM),
            "tail",
            "--from-beginning",
            "--deadletters",
            "--max",
            str(2 + 13 + 6),
            "--idle-timeout",
            "30",
        ],
        env=env,
        capture_output=True,
        timeout=90,
        check=False,
    )
    assert tailed.returncode == 0, tailed.stderr.decode()
    lines = tailed.stdout.decode().splitlines()
    assert sum(line.startswith("DEAD LETTER") for line in lines) == 6
    assert any(line.startswith("ws-0002") and " ar " in line for line in lines)
    assert any("near_duplicate" in line for line in lines)
