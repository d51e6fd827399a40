"""Hostile input: CPU per item for every shape of ``harness/hostile.py`` at several sizes.

One process loads the pipeline of the chosen profile once (default ``full``: NER models, the
sentence encoder), then times each item in a child forked from it, so every item is measured
alone, from a warm pipeline, and an item that overran would be killed rather than hang the run.
An item is what the worker gets: ``decode_raw`` then ``Pipeline.enrich`` with the configured
caps and deadline.

Reported per shape: CPU seconds at each size, the **growth factor per doubling** of the size,
``(t(largest) / t(smallest)) ** (1 / log2(largest / smallest))`` (1 for constant work, 2 for
linear, 4 for quadratic), the outcome (``enriched`` or the dead-letter reason) and the caps the
item hit (``limits``). Goals (docs/benchmarks.md): a factor of at most 2.5 per doubling and no
item above 2 s of CPU at 1 MB.

Usage: ``python -m bench.hostile [--sizes 100000,300000,1000000] [--shapes a,b]
[--profile full] [--out .bench/hostile.json]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import orjson

from harness.hostile import SHAPES
from streams.codec import decode_raw
from streams.core.deadline import Deadline
from streams.core.pipeline import Pipeline
from streams.errors import ItemRejected
from streams.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / ".bench" / "hostile.json"
SIZES = (100_000, 300_000, 1_000_000)
KILL_AFTER_S = 120.0
GOAL_GROWTH = 2.5
GOAL_CPU_AT_1MB_S = 2.0


def measure(pipeline: Pipeline, settings: Settings, value: bytes) -> dict[str, Any]:
    """Run one item in a forked child; its CPU seconds, outcome and limits."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one item, then out without running any cleanup of the parent's
        os.close(read)
        started = time.process_time()
        try:
            raw = decode_raw(value, settings.worker.max_item_bytes)
            result = pipeline.enrich(
                raw,
                received_at=time.time(),
                deadline=Deadline.after(settings.worker.item_deadline_s),
            )
            event = result.event
            out: dict[str, Any] = {
                "outcome": "enriched",
                "limits": list(event.limits) if event else [],
                "entities": len(event.entities) if event else 0,
            }
        except ItemRejected as exc:
            out = {"outcome": exc.reason.value, "limits": [], "entities": 0}
        out["cpu_s"] = time.process_time() - started
        os.write(write, orjson.dumps(out))
        os._exit(0)
    os.close(write)
    deadline = time.monotonic() + KILL_AFTER_S
    while time.monotonic() < deadline:
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.01)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(read)
        return {"outcome": "killed", "limits": [], "entities": 0, "cpu_s": KILL_AFTER_S}
    data = os.read(read, 1 << 16)
    os.close(read)
    result: dict[str, Any] = orjson.loads(data)
    return result


def growth(times: list[float], sizes: list[int]) -> float:
    doublings = math.log2(sizes[-1] / sizes[0])
    return (max(times[-1], 1e-4) / max(times[0], 1e-4)) ** (1 / doublings)


def report(rows: dict[str, dict[str, Any]], sizes: list[int]) -> str:
    head = "".join(f"{s // 1000:>9} KB" for s in sizes)
    lines = [
        f"{'shape':<20}{head}   growth/doubling  outcome at the largest, limits",
    ]
    for name, row in rows.items():
        cpu = "".join(f"{t:>11.3f}s" for t in row["cpu_s"])
        last = row["runs"][-1]
        flag = "" if row["growth"] <= GOAL_GROWTH else "  ** above the goal"
        lines.append(
            f"{name:<20}{cpu}   {row['growth']:>6.2f}{flag:<22} {last['outcome']}"
            f" {','.join(last['limits'])}"
        )
    worst_growth = max(rows.values(), key=lambda r: r["growth"])
    worst_cpu = max(rows.values(), key=lambda r: r["cpu_s"][-1])
    lines.append("")
    lines.append(
        f"worst growth per doubling: {worst_growth['growth']:.2f} ({worst_growth['shape']}); "
        f"goal <= {GOAL_GROWTH}"
    )
    lines.append(
        f"most CPU at {sizes[-1] // 1000} KB: {worst_cpu['cpu_s'][-1]:.2f} s "
        f"({worst_cpu['shape']}); goal <= {GOAL_CPU_AT_1MB_S} s at 1 MB"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--shapes", default=",".join(sorted(SHAPES)))
    parser.add_argument("--profile", choices=["full", "fast"], default="full")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    settings = load_settings({"WIRESTREAM_WORKER_PROFILE": args.profile})
    pipeline = Pipeline.from_settings(settings, {})
    pipeline.enrich(decode_raw(b'{"body": "Warm-up in Paris."}', 1 << 20), received_at=0.0)
    rows: dict[str, dict[str, Any]] = {}
    for name in args.shapes.split(","):
        runs = [measure(pipeline, settings, SHAPES[name](size)) for size in sizes]
        times = [run["cpu_s"] for run in runs]
        rows[name] = {
            "shape": name,
            "sizes": sizes,
            "cpu_s": times,
            "growth": growth(times, sizes),
            "runs": runs,
        }
    print(report(rows, sizes))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "profile": args.profile,
        "sizes": sizes,
        "worst_growth": max(r["growth"] for r in rows.values()),
        "max_cpu_s_at_largest": max(r["cpu_s"][-1] for r in rows.values()),
        "shapes": rows,
    }
    args.out.write_text(json.dumps(summary, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
