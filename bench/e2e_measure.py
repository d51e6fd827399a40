"""One system, one run: fresh topics, pre-load, start, drain, latency under load, counts, stop.

Everything that is measured about a system comes from here (``bench.e2e`` only orders the runs
and summarises): drain rate from output timestamps, CPU and peak RSS from ``/proc``, stage times
and outcome counts from the worker's /metrics, event-loop lag from the probe's file.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.e2e_kafka import Harness, latency_phase
from bench.e2e_service import (
    Service,
    SystemSpec,
    lag_summary,
    metric,
    read_lag,
    stage_seconds,
    system_env,
)
from bench.workload import WorkItem, expected_outcomes
from harness.services import free_port
from streams.kafka import ensure_topics
from streams.settings import load_settings

OUTCOMES = ("enriched", "duplicate", "deadletter")


@dataclass(frozen=True, slots=True)
class Options:
    items: int
    runs: int
    seed: int
    systems: tuple[str, ...]
    latency_s: float
    load: float
    max_rate: float
    fixed_rate: float
    core_items: int
    core_seconds: float
    out: Path
    keep_workdir: bool
    guarantee: str  # worker.processing_guarantee for every system, baselines included


async def _wait_drained(
    harness: Harness, service: Service, outputs: list[str], total: int, timeout: float
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Until every input item is finished and its output is on the broker; the last /metrics."""
    deadline = time.monotonic() + timeout
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    while time.monotonic() < deadline:
        assert service.proc is not None
        if service.proc.poll() is not None:
            raise RuntimeError(f"{service.spec.name} died:\n{service.tail()}")
        if service.spec.is_worker:
            samples = await asyncio.to_thread(service.metrics)
            finished = sum(
                metric(samples, "wirestream_items_out_total", outcome=o) for o in OUTCOMES
            )
            published = metric(samples, "wirestream_items_out_total", outcome="enriched") + metric(
                samples, "wirestream_items_out_total", outcome="deadletter"
            )
            if finished >= total and await harness.end_count(outputs) >= published:
                return samples
        elif await harness.end_count(outputs) >= total:
            return samples
        await asyncio.sleep(0.5)
    raise TimeoutError(f"{service.spec.name}: not drained after {timeout:.0f} s\n{service.tail()}")


async def measure(
    harness: Harness,
    spec: SystemSpec,
    *,
    run: int,
    drain: list[WorkItem],
    fresh: list[WorkItem],
    opts: Options,
    workdir: Path,
) -> dict[str, Any]:
    prefix = f"bench{run}-{spec.name}-{uuid.uuid4().hex[:6]}"
    port = free_port()
    lag_file = workdir / f"{prefix}.lag"
    # The system's own settings (a one-partition raw topic, say) shape its topics too.
    env = system_env(harness.bootstrap, prefix, workdir / prefix, port, lag_file)
    env.update(spec.extra_env)
    env["WIRESTREAM_WORKER_PROCESSING_GUARANTEE"] = opts.guarantee
    settings = load_settings(env)
    topics = settings.topics
    await ensure_topics(settings)
    preload_s = await harness.preload(topics.raw, drain)
    outputs = [topics.enriched, topics.deadletter] if spec.is_worker else [topics.enriched]
    service = Service(spec, env, workdir, port)
    n = len(drain)
    started = time.time()
    try:
        ready_at = await asyncio.to_thread(service.start)
        cpu0 = service.cpu_seconds()
        samples = await _wait_drained(harness, service, outputs, n, max(300.0, n / 20))
        cpu1 = service.cpu_seconds()
        first, last, _ = await harness.span(outputs)
        enriched = await harness.end_count([topics.enriched])
        deadletters = await harness.end_count([topics.deadletter])
        drain_s = max(last - first, 1e-3)
        rate = min(opts.max_rate, opts.load * n / drain_s)
        publishes = _published if spec.is_worker else _forwarded
        offered = fresh[: max(10, min(len(fresh), int(rate * opts.latency_s)))]
        latency_window = (time.time(), 0.0)
        latency = await latency_phase(
            harness.bootstrap,
            (topics.raw, topics.enriched),
            offered,
            rate,
            publishes=publishes,
        )
        latency_window = (latency_window[0], time.time())
        # The same modest rate for every system: the latency floor, free of queueing, however
        # far apart the systems' maxima are.
        fixed = fresh[len(offered) : len(offered) + int(opts.fixed_rate * opts.latency_s / 2)]
        latency_fixed = (
            await latency_phase(
                harness.bootstrap,
                (topics.raw, topics.enriched),
                fixed,
                opts.fixed_rate,
                publishes=publishes,
            )
            if fixed
            else {}
        )
        rss_now, rss_peak = service.rss_mb()
        final = await asyncio.to_thread(service.metrics) if spec.is_worker else {}
    finally:
        exit_code = await asyncio.to_thread(service.stop)
    counts = _counts(spec, drain, samples, enriched, deadletters)
    stages = {
        stage: seconds * 1000.0 / n for stage, (seconds, _count) in stage_seconds(samples).items()
    }
    return {
        "system": spec.name,
        "run": run,
        "items": n,
        "preload_s": preload_s,
        "ready_s": ready_at - started,
        "drain": {
            "items_per_s": n / drain_s,
            "seconds": drain_s,
            "ready_to_last_s": last - ready_at,
            "cpu_s": cpu1 - cpu0,
            "cpu_ms_per_item": (cpu1 - cpu0) * 1000.0 / n,
            # Items per second of CPU: what one fully available core would drain. Steadier
            # than items/s on a machine shared with others, who take cores away unpredictably.
            "cpu_items_per_s": n / (cpu1 - cpu0) if cpu1 > cpu0 else None,
            "cpu_utilisation": (cpu1 - cpu0) / drain_s,
        },
        "counts": counts,
        "stages_ms_per_item": stages,
        "latency": latency,
        "latency_fixed": latency_fixed,
        "after_latency": {
            "items_out": {
                o: metric(final, "wirestream_items_out_total", outcome=o) for o in OUTCOMES
            },
            # Every exactly-once commit of the run (drain and latency phases), and how long each
            # held events back on average.
            "commits": _commits(final),
        }
        if final
        else {},
        "rss_mb": {"current": rss_now, "peak": rss_peak},
        "loop_lag": {
            "drain": lag_summary(read_lag(lag_file, first, last), drain_s),
            "latency": lag_summary(
                read_lag(lag_file, *latency_window), latency_window[1] - latency_window[0]
            ),
        },
        "exit_code": exit_code,
    }


def _commits(final: Any) -> dict[str, float]:
    count = metric(final, "wirestream_commit_hold_seconds_count")
    held = metric(final, "wirestream_commit_hold_seconds_sum")
    return {"count": count, "mean_hold_ms": held * 1000.0 / count if count else 0.0}


def _published(item: WorkItem) -> bool:
    return item.expected == "enriched"


def _forwarded(item: WorkItem) -> bool:
    return True


def _counts(
    spec: SystemSpec, drain: list[WorkItem], samples: Any, enriched: int, deadletters: int
) -> dict[str, Any]:
    n = len(drain)
    if not spec.is_worker:
        return {"input": n, "forwarded": enriched, "ok": enriched == n}
    duplicates = int(metric(samples, "wirestream_items_out_total", outcome="duplicate"))
    accounted = enriched + duplicates + deadletters
    return {
        "input": n,
        "enriched": enriched,
        "duplicates": duplicates,
        "deadletters": deadletters,
        "accounted": accounted,
        "ok": accounted == n,
        "expected": expected_outcomes(drain),
    }
