"""Per-run measurements -> the summary (medians, ranges, ratios, goals) and a readable table.

Every figure in the summary is the median over runs; ``ranges["<dotted key>"]`` holds its
``min``, ``max`` and per-run values. Ratios are formed within each run (both sides measured
minutes apart on the same broker) and only then summarised, which is what cancels the noise of a
shared machine; a ratio of medians would not.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

BASELINES = (
    "aiokafka_passthrough",
    "faust_passthrough",
    "faust_passthrough_single",
    "python_peer",
)
# The worker systems: a profile, then how it runs (pool: a prepare pool; single: the single
# topology on a one-partition raw topic).
PROFILES = ("full", "fast", "full_pool", "fast_pool", "full_single", "fast_single")
# Known stages in pipeline order; any other stage a newer core reports is appended after them.
STAGES = ("decode", "normalize", "dedupe", "langid", "entities", "encode", "publish")
GOALS = (
    # (key, label, target, higher is better, the same figure in the single topology: the better
    # of the two counts)
    ("e2e.full.cpu_ms_per_item", "full worker CPU ms per item", 4.0, False, "e2e.full_single"),
    ("e2e.fast.cpu_ms_per_item", "fast worker CPU ms per item", 0.6, False, "e2e.fast_single"),
    (
        "ratio.fast_to_faust_passthrough",
        "fast / faust passthrough, same topology",
        0.5,
        True,
        "ratio.fast_single_to_faust_passthrough_single",
    ),
    ("e2e.fast.latency_ms.p99", "fast p99 ms at 50% load", 100.0, False, "e2e.fast_single"),
    ("e2e.full.latency_ms.p99", "full p99 ms at 50% load", 250.0, False, "e2e.full_single"),
    ("rss_mb.worker_max", "worker peak RSS MB", 800.0, False, None),
    (
        "ratio.cpu_ms_full_to_python_peer",
        "full CPU per item / the peer's",
        1.0,
        False,
        "ratio.cpu_ms_full_single_to_python_peer",
    ),
)
# Peak RSS of one worker process with everything loaded (the pool variants are several).
RSS_KEYS = ("rss_mb.worker", "rss_mb.worker_fast", "rss_mb.full_single", "rss_mb.fast_single")


def _median(values: list[float]) -> float | None:
    clean = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(clean) if clean else None


class Summary:
    """Collects per-run values under dotted keys; renders medians into a nested dict."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}

    def add(self, key: str, value: float | None) -> None:
        if value is not None:
            self.values.setdefault(key, []).append(float(value))

    def median(self, key: str) -> float | None:
        return _median(self.values.get(key, []))

    def nested(self) -> tuple[dict[str, Any], dict[str, Any]]:
        tree: dict[str, Any] = {}
        ranges: dict[str, Any] = {}
        for key, values in sorted(self.values.items()):
            med = _median(values)
            node = tree
            *parents, leaf = key.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = med
            clean = [v for v in values if not math.isnan(v)]
            if clean:
                ranges[key] = {"min": min(clean), "max": max(clean), "runs": values}
        return tree, ranges


def summarise(
    measurements: list[dict[str, Any]], core: list[dict[str, Any]], runs: int
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """Returns (medians tree, ranges, goals)."""
    s = Summary()
    by_run: dict[int, dict[str, dict[str, Any]]] = {}
    for m in measurements:
        by_run.setdefault(m["run"], {})[m["system"]] = m
    core_by_run: dict[int, dict[str, dict[str, Any]]] = {}
    for c in core:
        core_by_run.setdefault(c["run"], {})[c["profile"]] = c
    for run in range(runs):
        systems = by_run.get(run, {})
        for name, m in systems.items():
            _add_measurement(s, name, m)
        for profile, c in core_by_run.get(run, {}).items():
            s.add(f"core.{profile}.items_per_s", c["items_per_s"])
            s.add(f"core.{profile}.cpu_ms_per_item", c["cpu_ms_per_item"])
            s.add(f"core.{profile}.cpu_items_per_s", c["cpu_items_per_s"])
            s.add(f"core.{profile}.model_read_ms", c.get("model_read_ms_per_item"))
            for stage, ms in c["stages_ms_per_item"].items():
                s.add(f"core.{profile}.stages_ms.{stage}", ms)
            for stage, ms in c.get("stages_cpu_ms_per_item", {}).items():
                s.add(f"core.{profile}.stages_cpu_ms.{stage}", ms)
        _ratios(s, systems, core_by_run.get(run, {}))
    # The brief's top-level aliases: e2e.* and core.* are the full profile.
    for key in list(s.values):
        if key.startswith("e2e.full."):
            s.values["e2e." + key[len("e2e.full.") :]] = s.values[key]
        if key.startswith("core.full.items_per_s"):
            s.values["core.items_per_s"] = s.values[key]
    rss = [v for k in RSS_KEYS for v in s.values.get(k, [])]
    if rss:
        s.values["rss_mb.worker_max"] = [max(rss)]
    tree, ranges = s.nested()
    return tree, ranges, _goals(s)


def _add_measurement(s: Summary, name: str, m: dict[str, Any]) -> None:
    base = f"e2e.{name}" if name in PROFILES else f"baseline.{name}"
    s.add(f"{base}.items_per_s", m["drain"]["items_per_s"])
    s.add(f"{base}.cpu_ms_per_item", m["drain"]["cpu_ms_per_item"])
    s.add(f"{base}.cpu_items_per_s", m["drain"].get("cpu_items_per_s"))
    for q in ("p50", "p99"):
        s.add(f"{base}.latency_fixed_ms.{q}", (m.get("latency_fixed") or {}).get(f"{q}_ms"))
    s.add(f"{base}.cpu_utilisation", m["drain"]["cpu_utilisation"])
    for q in ("p50", "p95", "p99"):
        s.add(f"{base}.latency_ms.{q}", m["latency"].get(f"{q}_ms"))
    s.add(f"{base}.latency_offered_per_s", m["latency"].get("offered_per_s"))
    s.add(f"{base}.latency_kept_up", 1.0 if m["latency"].get("kept_up") else 0.0)
    if m.get("latency_fixed"):
        s.add(f"{base}.latency_fixed_kept_up", 1.0 if m["latency_fixed"].get("kept_up") else 0.0)
    key = {"full": "worker", "fast": "worker_fast"}.get(name, name)
    s.add(f"rss_mb.{key}", m["rss_mb"]["peak"])
    for window in ("drain", "latency"):
        lag = m["loop_lag"].get(window, {})
        for field in ("p50_ms", "p99_ms", "max_ms", "blocked_share", "stalls_over_100ms"):
            s.add(f"event_loop.{name}.{window}.{field}", lag.get(field))
    for stage, ms in m.get("stages_ms_per_item", {}).items():
        s.add(f"stages.{name}.{stage}_ms", ms)
    for field, value in ((m.get("after_latency") or {}).get("commits") or {}).items():
        s.add(f"commits.{name}.{field}", value)
    for segment, cell in (m["latency"].get("segments") or {}).items():
        for field, value in cell.items():
            s.add(f"latency_segments.{name}.{segment}.{field}", value)
    if name in PROFILES:
        s.add(f"e2e.{name}.counts_ok", 1.0 if m["counts"]["ok"] else 0.0)


def _ratios(s: Summary, systems: dict[str, Any], core: dict[str, Any]) -> None:
    def rate(name: str) -> float | None:
        m = systems.get(name)
        return m["drain"]["items_per_s"] if m else None

    def ratio(key: str, top: float | None, bottom: float | None) -> None:
        if top is not None and bottom:
            s.add(f"ratio.{key}", top / bottom)

    ratio("fast_to_faust_passthrough", rate("fast"), rate("faust_passthrough"))
    ratio("full_to_faust_passthrough", rate("full"), rate("faust_passthrough"))
    ratio("faust_to_aiokafka_passthrough", rate("faust_passthrough"), rate("aiokafka_passthrough"))
    ratio("fast_to_full", rate("fast"), rate("full"))
    ratio("full_pool_to_full", rate("full_pool"), rate("full"))
    ratio("fast_pool_to_fast", rate("fast_pool"), rate("fast"))
    ratio("full_single_to_full", rate("full_single"), rate("full"))
    ratio("fast_single_to_fast", rate("fast_single"), rate("fast"))
    ratio("fast_single_to_faust_passthrough", rate("fast_single"), rate("faust_passthrough"))
    ratio(
        "fast_single_to_faust_passthrough_single",
        rate("fast_single"),
        rate("faust_passthrough_single"),
    )
    ratio(
        "faust_single_to_faust_passthrough",
        rate("faust_passthrough_single"),
        rate("faust_passthrough"),
    )

    def per_cpu(name: str) -> float | None:
        m = systems.get(name)
        return m["drain"].get("cpu_items_per_s") if m else None

    # The same ratios per CPU-second: what they would be if every process had a whole core.
    ratio("cpu_fast_to_faust_passthrough", per_cpu("fast"), per_cpu("faust_passthrough"))

    def cpu_ms(name: str) -> float | None:
        m = systems.get(name)
        return m["drain"].get("cpu_ms_per_item") if m else None

    # CPU per item against the peer baseline (below 1: the worker is the cheaper).
    ratio("cpu_ms_full_to_python_peer", cpu_ms("full"), cpu_ms("python_peer"))
    ratio("cpu_ms_full_single_to_python_peer", cpu_ms("full_single"), cpu_ms("python_peer"))
    ratio("cpu_full_to_faust_passthrough", per_cpu("full"), per_cpu("faust_passthrough"))
    for profile in PROFILES:
        c = core.get(profile.split("_")[0])  # the core has profiles only: full and fast
        ratio(f"{profile}_to_core", rate(profile), c["items_per_s"] if c else None)
        ratio(f"cpu_{profile}_to_core", per_cpu(profile), c["cpu_items_per_s"] if c else None)


def _goals(s: Summary) -> list[dict[str, Any]]:
    goals = []
    for key, label, target, higher, other in GOALS:
        # The other topology's figure: a key of its own, or the same field under its system.
        alt = (
            other
            if other is None or other.startswith("ratio.")
            else other + key[key.index(".", 4) :]
        )
        values = [v for v in (s.median(key), s.median(alt) if alt else None) if v is not None]
        value = (max(values) if higher else min(values)) if values else None
        if value is None:
            goals.append({"goal": label, "key": key, "target": target, "measured": None})
            continue
        met = value >= target if higher else value <= target
        # "by": how far off, as the factor still needed (or the headroom when met).
        factor = target / value if higher else value / target
        goals.append(
            {
                "goal": label,
                "key": key,
                "target": target,
                "measured": value,
                "met": met,
                "factor_to_target": factor,
            }
        )
    return goals
