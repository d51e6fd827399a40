"""docs/metrics.md is the catalogue: it, the code, the dashboard and the alerts name the same
metrics, with the same types and labels, and the exposition passes `promtool check metrics`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from harness.checks import assert_promtool_clean
from harness.services import _prometheus_binaries
from streams.metrics import Metrics
from streams.models import DedupeStatus

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "docs" / "metrics.md"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "wirestream.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
# What Prometheus adds itself, not the worker.
SCRAPE_METRICS = {"up"}
PROMQL_WORDS = {
    "sum",
    "by",
    "max",
    "min",
    "rate",
    "increase",
    "delta",
    "histogram_quantile",
    "and",
    "or",
    "unless",
    "vector",
    "absent",
    "le",
    "label_values",
}


def catalogue() -> dict[str, tuple[str, set[str]]]:
    """name -> (type, label names), from the tables of docs/metrics.md."""
    found: dict[str, tuple[str, set[str]]] = {}
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        name = re.fullmatch(r"`([a-z_]+)`", cells[0])
        if line.startswith("|") and name and len(cells) == 4:
            # "info (gauge, always 1)" is an info; label names are the backticked words.
            found[name.group(1)] = (cells[1].split()[0], set(re.findall(r"`([a-z_]+)`", cells[2])))
    assert found, "no metric rows found in docs/metrics.md"
    return found


def exposed() -> dict[str, tuple[str, set[str]]]:
    """name -> (type, label names) as the exposition shows them, from a fresh Metrics()."""
    metrics = Metrics()
    metrics.set_model_loaded("langid", "all", loaded=True)
    metrics.record_reload("gazetteer", "success", entries=1)
    metrics.consumer_lag.labels("wire.raw", "0").set(0)
    metrics.committed_offset_age.labels("wire.raw", "0").set(0)
    metrics.items_in.labels("wire.raw").inc()
    metrics.errors.labels("ValueError").inc()
    found: dict[str, tuple[str, set[str]]] = {}
    for family in metrics.registry.collect():
        suffix = {"counter": "_total", "info": "_info"}.get(family.type, "")
        labels = {k for s in family.samples for k in s.labels if k not in {"le", "quantile"}}
        found[family.name + suffix] = (family.type, labels)
    return found


def test_catalogue_lists_exactly_the_exposed_metrics() -> None:
    documented, actual = catalogue(), exposed()
    assert set(documented) == set(actual), {
        "undocumented": sorted(set(actual) - set(documented)),
        "documented but not exposed": sorted(set(documented) - set(actual)),
    }
    for name, (kind, labels) in actual.items():
        doc_kind, doc_labels = documented[name]
        assert doc_kind == kind, f"{name}: documented as {doc_kind}, exposed as {kind}"
        assert doc_labels == labels, f"{name}: documented labels {doc_labels}, exposed {labels}"


def test_names_follow_prometheus_conventions() -> None:
    for name, (kind, _labels) in exposed().items():
        if name.startswith(("process_", "python_")):
            continue
        assert name.startswith("wirestream_"), name
        assert (kind == "counter") == name.endswith("_total"), name
        assert not re.search(r"_(ms|milliseconds|kb|mb|minutes|hours)(_|$)", name), name


def test_the_default_registry_is_never_touched() -> None:
    before = {f.name for f in REGISTRY.collect()}
    Metrics()
    Metrics()  # a second instance on its own registry: no duplicate-timeseries error
    assert {f.name for f in REGISTRY.collect()} == before


def expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs += [v["definition"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    exprs += [
        rule["expr"] for g in yaml.safe_load(ALERTS.read_text())["groups"] for rule in g["rules"]
    ]
    return exprs


def test_dashboard_and_alerts_use_only_catalogued_metrics() -> None:
    known = set(catalogue()) | SCRAPE_METRICS
    # Histogram series are the catalogued name plus _bucket, _count or _sum.
    known |= {f"{n}{s}" for n in catalogue() for s in ("_bucket", "_count", "_sum")}
    for expr in expressions():
        # Grafana's label_values(selector, label): the label is not a metric.
        selector = re.sub(r"^label_values\((.*),\s*\w+\)$", r"\1", expr)
        without_strings = re.sub(r'"[^"]*"', '""', selector)
        without_labels = re.sub(r"\{[^}]*\}", "", without_strings)
        without_ranges = re.sub(r"\[[^\]]*\]", "", without_labels)
        without_groupings = re.sub(r"\b(by|without)\s*\([^)]*\)", "", without_ranges)
        names = set(re.findall(r"\b[a-z_][a-z0-9_]*\b", without_groupings)) - PROMQL_WORDS
        assert names <= known, f"{expr!r} uses {sorted(names - known)}"


def test_exposition_passes_promtool_check_metrics() -> None:
    promtool = _prometheus_binaries()[1]
    metrics = Metrics()
    metrics.record_reload("watchlist", "failure")
    metrics.observe_published(DedupeStatus.UNIQUE, "2026-01-01T00:00:00Z", 1.8e9)
    assert_promtool_clean(promtool, metrics.exposition())


@pytest.mark.parametrize("name", ["wirestream_build_info"])
def test_build_info_names_version_and_commit(name: str) -> None:
    (_kind, labels) = exposed()[name]
    assert {"version", "commit"} <= labels
