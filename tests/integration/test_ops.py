"""Ops on the real thing: a worker on the real broker processes the sample feed while a real
Prometheus scrapes it. Then promtool lints the worker's /metrics, every panel query and template
variable of the Grafana dashboard runs through Prometheus's HTTP API and must return data, and
every alert expression evaluates, with the health alerts quiet."""

from __future__ import annotations

import json
import math
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from harness.checks import assert_promtool_clean, git_head
from harness.services import (
    KafkaBroker,
    PrometheusResult,
    PrometheusServer,
    _prometheus_binaries,
    start_prometheus,
)
from harness.topics import send
from harness.worker import WorkerProcess
from tests.conftest import SAMPLE_FEED
from tests.integration.conftest import Deployment

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "wirestream.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
# Grafana widens $__rate_interval to at least four scrapes; here it must also reach back past the
# feed, so that rate() and increase() see it however long the earlier checks took.
RATE_INTERVAL = "10m"
# Alerts that a healthy worker which has just processed the sample feed must not show.
QUIET_ALERTS = {
    "WirestreamWorkerDown",
    "WirestreamWorkersAbsent",
    "WirestreamWorkerNotReady",
    "WirestreamNoOutput",
    "WirestreamCommitStuck",
    "WirestreamReloadFailed",
    "WirestreamModelMissing",
    "WirestreamConsumerLagGrowing",
    "WirestreamDeadLetterSpike",
}


@dataclass(frozen=True)
class Stack:
    deployment: Deployment
    worker: WorkerProcess
    prometheus: PrometheusServer
    fed: int

    @property
    def instance(self) -> str:
        return f"127.0.0.1:{self.worker.web_port}"

    @property
    def raw_topic(self) -> str:
        return self.deployment.topic("raw")


def value_of(rows: PrometheusResult) -> float:
    assert len(rows) == 1, rows
    return float(rows[0]["value"][1])


@pytest.fixture(scope="module")
def stack(kafka: KafkaBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("ops")
    deployment = Deployment(kafka, base)
    worker = deployment.worker().start()
    prometheus = start_prometheus(base / "prometheus", [f"127.0.0.1:{worker.web_port}"])
    try:
        # Scraped once before the feed, so that every counter's increase is in the TSDB.
        prometheus.wait_for(
            'wirestream_ready{job="wirestream"}',
            lambda rows: bool(rows) and float(rows[0]["value"][1]) == 1,
            timeout=60,
        )
        lines = [line for line in SAMPLE_FEED.read_bytes().splitlines() if line.strip()]
        keys = [_item_key(line) for line in lines]
        send(kafka.bootstrap, deployment.topic("raw"), lines, keys)
        prometheus.wait_for(
            "sum(wirestream_items_out_total)",
            lambda rows: bool(rows) and float(rows[0]["value"][1]) == len(lines),
            timeout=90,
        )
        # The gauges sampled on a timer catch up a poll and a scrape later.
        prometheus.wait_for("wirestream_dedupe_state_items > 0", bool, timeout=60)
        # Four raw partitions and the prepared topic's one.
        prometheus.wait_for(
            "wirestream_committed_offset_age_seconds", lambda rows: len(rows) == 5, timeout=60
        )
        yield Stack(deployment, worker, prometheus, len(lines))
    finally:
        prometheus.stop()
        assert worker.stop() == 0, worker.tail_log()
        deployment.close()


def _item_key(line: bytes) -> bytes | None:
    # Keyed by id like `wirestream produce`, so a re-send lands on its original's partition.
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return str(item["id"]).encode() if isinstance(item, dict) and "id" in item else None


def test_promtool_check_metrics_is_clean_on_the_worker(stack: Stack) -> None:
    promtool = _prometheus_binaries()[1]
    exposition = stack.worker.metrics_text()
    assert "wirestream_items_out_total" in exposition
    assert_promtool_clean(promtool, exposition.encode())


def substitute(expr: str, stack: Stack) -> str:
    """What Grafana sends with one instance and one topic selected."""
    values = {
        "$__rate_interval": RATE_INTERVAL,
        "$instance": stack.instance,
        "$topic": stack.raw_topic,
    }
    for variable, value in values.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"unknown template variable in {expr!r}"
    return expr


def dashboard() -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return parsed


def panel_queries() -> list[tuple[str, str]]:
    return [
        (f"{panel['title']} [{target['refId']}]", target["expr"])
        for panel in dashboard()["panels"]
        for target in panel.get("targets", [])
    ]


def test_the_dashboard_has_the_rows_and_variables_ops_asked_for() -> None:
    board = dashboard()
    rows = [p["title"] for p in board["panels"] if p["type"] == "row"]
    for word in ("Throughput", "Dedupe", "Languages", "Entities", "Latency", "lag", "Dead"):
        assert any(word in row for row in rows), (word, rows)
    assert any("resources" in row for row in rows), rows
    kinds = {p["type"] for p in board["panels"]}
    assert "heatmap" in kinds
    variables = {v["name"] for v in board["templating"]["list"]}
    assert {"datasource", "instance", "topic"} <= variables
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
            assert panel["targets"], panel["title"]


@pytest.mark.parametrize(("title", "expr"), panel_queries(), ids=[t for t, _ in panel_queries()])
def test_every_panel_query_returns_data(stack: Stack, title: str, expr: str) -> None:
    query = substitute(expr, stack)
    rows = stack.prometheus.query(query)
    assert rows, f"{title}: {query} returned no series"
    values = [float(row["value"][1]) for row in rows]
    assert any(math.isfinite(v) for v in values), f"{title}: {query} returned only {values}"


def series(prometheus: PrometheusServer, selector: str) -> list[dict[str, str]]:
    url = f"{prometheus.url}/api/v1/series?{urllib.parse.urlencode({'match[]': selector})}"
    with urllib.request.urlopen(url, timeout=10) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    return list(body["data"])


def test_every_template_variable_has_values(stack: Stack) -> None:
    expected = {"instance": stack.instance, "topic": stack.raw_topic}
    for variable in dashboard()["templating"]["list"]:
        if variable["type"] != "query":
            continue
        found = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", variable["definition"])
        assert found, variable["definition"]
        selector, label = found.groups()
        labels = {row[label] for row in series(stack.prometheus, substitute(selector, stack))}
        assert expected[variable["name"]] in labels, (variable["name"], labels)


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


@pytest.mark.parametrize("rule", alert_rules(), ids=[r["alert"] for r in alert_rules()])
def test_alert_expressions_evaluate_and_health_alerts_are_quiet(
    stack: Stack, rule: dict[str, Any]
) -> None:
    rows = stack.prometheus.query(rule["expr"])  # a bad expression raises with Prometheus's error
    if rule["alert"] in QUIET_ALERTS:
        assert rows == [], f"{rule['alert']} would fire on a healthy worker: {rows}"


def test_ops_metrics_describe_the_processed_feed(stack: Stack) -> None:
    prometheus, selector = stack.prometheus, f'{{instance="{stack.instance}"}}'
    assert value_of(prometheus.query(f"wirestream_ready{selector}")) == 1
    assert value_of(prometheus.query(f"wirestream_dedupe_state_items{selector}")) > 0
    assert value_of(prometheus.query(f"wirestream_dedupe_state_bytes{selector}")) > 0
    ages = prometheus.query(f"wirestream_committed_offset_age_seconds{selector}")
    assert {(row["metric"]["topic"], row["metric"]["partition"]) for row in ages} == {
        *((stack.raw_topic, str(p)) for p in range(4)),
        (stack.deployment.topic("prepared"), "0"),
    }
    enriched = value_of(
        prometheus.query(
            f'wirestream_items_out_total{{instance="{stack.instance}",outcome="enriched"}}'
        )
    )
    stories = value_of(prometheus.query(f"wirestream_stories_total{selector}"))
    published = value_of(
        prometheus.query(f"wirestream_published_to_output_seconds_count{selector}")
    )
    assert 0 < stories < enriched  # the feed has an edited re-send and a translation
    # exactly_once, the default: every output was committed, and every commit timed.
    assert value_of(prometheus.query(f"wirestream_commit_hold_seconds_count{selector}")) > 0
    assert 0 < published <= enriched
    assert value_of(prometheus.query(f"process_resident_memory_bytes{selector}")) > 0
    (build,) = prometheus.query(f"wirestream_build_info{selector}")
    assert build["metric"]["commit"] == git_head()
