"""``make bench-e2e``: end-to-end throughput and latency through a real Kafka broker, against
baselines run side by side in the same run.

One Apache Kafka 4.1.1 broker (``deploy/kafka/kafka.sh`` via ``harness.services``) on a free
port serves the whole benchmark. Per run, each system (a bare aiokafka passthrough, a bare faust
passthrough, the worker with ``worker.profile = full`` and ``fast``) gets fresh topics and a fresh
consumer group, in an order rotated per run so that drift on a shared machine hits every system:

1. drain: the raw topic (4 partitions) is pre-loaded with the workload, the system is started,
   and items/s = input items / (last output timestamp - first output timestamp);
2. latency: fresh items offered at ``--load`` (50 %) of that system's measured maximum; per item,
   produce time to the enriched event's arrival at a consumer (p50/p95/p99);
3. counts: enriched events + counted duplicates (``wirestream_items_out_total``) + dead letters
   must equal the input; CPU time and peak RSS from ``/proc``; stage histograms from /metrics;
   the event loop's lag from a probe task.

The enrichment core is also run with no broker (``bench.e2e_core``). Results: a table on stdout
and ``.bench/latest.json`` (medians; ``ranges`` has min/max/per-run values).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench.budget import budget_rows
from bench.e2e_core import profile_core, run_core
from bench.e2e_kafka import Harness
from bench.e2e_measure import Options, measure
from bench.e2e_service import DEFAULT_SYSTEMS, ROOT, SYSTEMS
from bench.report import summarise
from bench.report_table import render
from bench.workload import WorkItem, build_workload, describe
from harness.services import free_port, start_kafka
from streams.settings import load_settings

__all__ = ["Options", "main", "run_benchmark", "write_outputs"]

KAFKA_VERSION = os.environ.get("KAFKA_VERSION", "4.1.1")


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000, help="workload size per drain")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20260105)
    parser.add_argument(
        "--systems",
        default=",".join(DEFAULT_SYSTEMS),
        help=f"comma-separated, of {', '.join(SYSTEMS)} (default: all but the pool variants)",
    )
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    parser.add_argument("--load", type=float, default=0.5, help="offered load, share of max")
    parser.add_argument(
        "--max-rate",
        type=float,
        default=3000.0,
        help="cap on the offered rate: above it this harness, not the system, sets the pace",
    )
    parser.add_argument(
        "--fixed-rate",
        type=float,
        default=50.0,
        help="a second latency point at this rate for every system (0: none)",
    )
    parser.add_argument("--core-items", type=int, default=10_000)
    parser.add_argument(
        "--core-seconds", type=float, default=60.0, help="time budget of one core pass"
    )
    parser.add_argument("--quick", action="store_true", help="2,000 items, 1 run: a smoke run")
    parser.add_argument("--out", type=Path, default=ROOT / ".bench" / "latest.json")
    parser.add_argument("--keep-workdir", action="store_true")
    parser.add_argument(
        "--guarantee",
        choices=("exactly_once", "at_least_once"),
        default=load_settings({}).worker.processing_guarantee,
        help="worker.processing_guarantee for every system (default: the shipped default; "
        "exactly_once makes output visible at each transaction commit, which sets latency)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.items, args.runs, args.latency_seconds = min(args.items, 2000), 1, 5.0
        args.core_seconds = min(args.core_seconds, 10.0)
    systems = tuple(s.strip() for s in args.systems.split(",") if s.strip())
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems {sorted(unknown)}; known: {sorted(SYSTEMS)}")
    return Options(
        args.items,
        args.runs,
        args.seed,
        systems,
        args.latency_seconds,
        args.load,
        args.max_rate,
        args.fixed_rate,
        min(args.core_items, args.items),
        args.core_seconds,
        args.out,
        args.keep_workdir,
        args.guarantee,
    )


def machine() -> dict[str, Any]:
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "kafka": KAFKA_VERSION,
        "loadavg_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return result.stdout.strip()

    # An exported tree (git archive) has no .git: whoever runs it says which commit it is.
    if os.environ.get("BENCH_GIT_COMMIT"):
        return {
            "commit": os.environ["BENCH_GIT_COMMIT"],
            "dirty": os.environ.get("BENCH_GIT_DIRTY") == "1",
        }
    return {
        "commit": git("rev-parse", "HEAD") or "unknown",
        "dirty": bool(git("status", "--porcelain")),
    }


async def run_broker_phase(
    bootstrap: str, opts: Options, drain: list[WorkItem], fresh: list[WorkItem], workdir: Path
) -> list[dict[str, Any]]:
    harness = Harness(bootstrap)
    await harness.start()
    results = []
    try:
        for run in range(opts.runs):
            # Rotated per run, so slow drift on a shared machine does not always hit one system.
            shift = run % len(opts.systems)
            for name in opts.systems[shift:] + opts.systems[:shift]:
                result = await measure(
                    harness,
                    SYSTEMS[name],
                    run=run,
                    drain=drain,
                    fresh=fresh,
                    opts=opts,
                    workdir=workdir,
                )
                print(_progress(result), flush=True)
                results.append(result)
    finally:
        await harness.stop()
    return results


def _progress(m: dict[str, Any]) -> str:
    lat = m["latency"]
    return (
        f"  run {m['run'] + 1} {m['system']:<21} {m['drain']['items_per_s']:>9,.0f} items/s  "
        f"p99 {lat['p99_ms']:>8.1f} ms @ {lat['offered_per_s']:,.0f}/s"
        f"{'' if lat['kept_up'] else ' (queue grew)'}  "
        f"peak RSS {m['rss_mb']['peak']:,.0f} MB  counts {'ok' if m['counts']['ok'] else 'OFF'}"
        + _segments(lat.get("segments") or {})
        + _commit_line((m.get("after_latency") or {}).get("commits") or {})
    )


def _commit_line(commits: dict[str, float]) -> str:
    if not commits.get("count"):
        return ""
    count, hold = commits["count"], commits["mean_hold_ms"]
    return f"\n      commits: {count:,.0f}, holding {hold:.1f} ms each"


def _segments(segments: dict[str, dict[str, float]]) -> str:
    """Where the slowest 1 % of the latency phase spent their time (ms), for the progress line."""
    if not segments:
        return ""
    parts = ", ".join(f"{k} {v['slowest_1pct_mean_ms']:.0f}" for k, v in segments.items())
    return f"\n      slowest 1 %: {parts} ms"


def run_benchmark(opts: Options, bootstrap: str | None = None) -> dict[str, Any]:
    """Everything: workload, core, one broker for all runs, summary; returns the JSON document.

    With ``bootstrap`` the given broker is used (the smoke test's); else one is started here.
    """
    started = datetime.now(UTC)
    meta = machine()
    # One generation for both phases, so latency items are new content, never re-used stories.
    fresh_cap = int((opts.max_rate + opts.fixed_rate) * opts.latency_s) + 50
    items = build_workload(opts.items, opts.seed, extra=fresh_cap)
    drain, fresh = items[: opts.items], items[opts.items :]
    print(f"workload: {describe(drain)}", flush=True)

    core_items = drain[: opts.core_items]
    core = [
        {"run": run, "profile": profile, **run_core(core_items, profile, opts.core_seconds)}
        for run in range(opts.runs)
        for profile in ("full", "fast")
    ]
    out_dir = opts.out.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    profile_rows = profile_core(
        core_items, "full", out_dir / "core-profile-full.txt", opts.core_seconds
    )

    workdir = Path(tempfile.mkdtemp(prefix="ws-bench-"))
    broker = None
    try:
        if bootstrap is None:
            broker = start_kafka(workdir / "kafka", port=free_port())
            bootstrap = broker.bootstrap
        measurements = asyncio.run(run_broker_phase(bootstrap, opts, drain, fresh, workdir))
    finally:
        if broker is not None:
            broker.stop()
        if not opts.keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    meta["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    tree, ranges, goals = summarise(measurements, core, opts.runs)
    doc: dict[str, Any] = {
        "schema": "wirestream.bench.e2e.v1",
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "git": git_state(),
        "machine": meta,
        "config": {
            "items": opts.items,
            "runs": opts.runs,
            "seed": opts.seed,
            "systems": list(opts.systems),
            "latency_seconds": opts.latency_s,
            "load_fraction": opts.load,
            "max_rate": opts.max_rate,
            "fixed_rate": opts.fixed_rate,
            "processing_guarantee": opts.guarantee,
            "core_items": opts.core_items,
            "core_seconds": opts.core_seconds,
            "workload": describe(drain),
        },
        **tree,
        "ranges": ranges,
        "goals": goals,
        "budget": budget_rows(tree, goals),
        "counts": [_count_line(m) for m in measurements],
        "core_profile_top": profile_rows[:12],
        "measurements": measurements,
        "core_runs": core,
    }
    return doc


def _count_line(m: dict[str, Any]) -> str:
    c = m["counts"]
    if "forwarded" in c:
        detail = f"forwarded {c['forwarded']:,} of {c['input']:,}"
    else:
        e = c["expected"]
        detail = (
            f"{c['enriched']:,} enriched + {c['duplicates']:,} duplicates + "
            f"{c['deadletters']:,} dead letters = {c['accounted']:,} of {c['input']:,} "
            f"(workload expects {e['enriched']:,} / {e['duplicate']:,} / {e['deadletter']:,})"
        )
    verdict = "ok" if c["ok"] else "MISMATCH"
    return f"run {m['run'] + 1} {m['system']:<21} {verdict:<8} {detail}; exit {m['exit_code']}"


def write_outputs(doc: dict[str, Any], out: Path) -> None:
    """``out`` (``.bench/latest.json``) and a timestamped copy beside it, for history."""
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = orjson.dumps(doc, option=orjson.OPT_INDENT_2)
    out.write_bytes(payload)
    stamp = doc["started_at"][:19].replace(":", "")
    (out.parent / f"e2e-{stamp}.json").write_bytes(payload)


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    doc = run_benchmark(opts)
    write_outputs(doc, opts.out)
    print()
    print(render(doc))
    print(f"\nJSON: {opts.out}")
    # Figures are reported whatever they are; only an item not accounted for fails the run.
    return 0 if all(m["counts"]["ok"] for m in doc["measurements"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
