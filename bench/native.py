"""The core's native fast paths against the Python reference, stage by stage, side by side.

``make bench-native`` runs the enrichment core with no broker (``bench.e2e_core.run_core``: the
seeded workload, decode, ``Pipeline.enrich``, encode) with ``core.native = reference`` (before)
and ``core.native = native`` (after), in turns within each round so that a noisy neighbour slows
both alike, for each profile; per stage the CPU milliseconds per item (the pass's wall time per
stage scaled by its CPU/wall ratio), medians over rounds, and their ratio. The outputs of the
two are the same item for item (checked here on every item of the first round, and by
``tests/unit/test_native_*.py``).

Usage: ``python -m bench.native [--items 3000] [--runs 3] [--profiles fast,full]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from bench.e2e_core import MAX_ITEM_BYTES, run_core
from bench.workload import WorkItem, build_workload
from streams.codec import decode_raw, encode_event
from streams.core import STAGES, native
from streams.core.pipeline import Pipeline
from streams.errors import ItemRejected
from streams.settings import load_settings

CHOICES = ("reference", "native")
ROWS = ("decode", *STAGES, "encode")


def _outputs(items: list[WorkItem], profile: str, choice: str) -> list[bytes | None]:
    """Each item's event as the worker would publish it (without its clock fields)."""
    env = {**os.environ, "WIRESTREAM_WORKER_PROFILE": profile, "WIRESTREAM_CORE_NATIVE": choice}
    pipeline = Pipeline.from_settings(load_settings(env), {})
    out: list[bytes | None] = []
    for n, item in enumerate(items):
        try:
            raw = decode_raw(item.value, MAX_ITEM_BYTES)
            result = pipeline.enrich(raw, received_at=1.7e9 + n, enrich_duplicates=False)
        except ItemRejected:
            out.append(None)
            continue
        event = result.event
        out.append(encode_event(event).split(b'"processed_at"')[0] if event else b"duplicate")
    return out


def run(items: list[WorkItem], profiles: list[str], runs: int) -> dict[str, Any]:
    report: dict[str, Any] = {"items": len(items), "runs": runs, "profiles": {}}
    for profile in profiles:
        same = _outputs(items, profile, "reference") == _outputs(items, profile, "native")
        rounds: dict[str, list[dict[str, Any]]] = {c: [] for c in CHOICES}
        for r in range(runs):
            for choice in CHOICES if r % 2 == 0 else CHOICES[::-1]:
                os.environ["WIRESTREAM_CORE_NATIVE"] = choice
                rounds[choice].append(run_core(items, profile, budget_s=120.0))
        os.environ.pop("WIRESTREAM_CORE_NATIVE", None)
        native.use("auto")
        table: dict[str, Any] = {}
        for row in (*ROWS, "total"):
            cells = {}
            for choice in CHOICES:
                values = [
                    p["cpu_ms_per_item"]
                    if row == "total"
                    else p["stages_cpu_ms_per_item"].get(row, 0.0)
                    for p in rounds[choice]
                ]
                cells[choice] = statistics.median(values)
            before, after = cells["reference"], cells["native"]
            cells["ratio"] = before / after if after else None
            table[row] = cells
        report["profiles"][profile] = {"same_outputs": same, "cpu_ms_per_item": table}
    return report


def render(report: dict[str, Any]) -> str:
    lines = [
        f"core CPU ms per item, Python reference (before) vs native (after), "
        f"{report['items']:,} items, median of {report['runs']} round(s):"
    ]
    for profile, cell in report["profiles"].items():
        same = "identical" if cell["same_outputs"] else "DIFFERENT"
        lines.append(f"  {profile} (outputs {same}):")
        lines.append(f"    {'stage':<14}{'before':>9}{'after':>9}{'ratio':>8}")
        for row, cells in cell["cpu_ms_per_item"].items():
            ratio = f"{cells['ratio']:.1f}x" if cells["ratio"] else "-"
            lines.append(
                f"    {row:<14}{cells['reference']:>9.3f}{cells['native']:>9.3f}{ratio:>8}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profiles", default="fast,full")
    parser.add_argument("--out", type=Path, default=Path(".bench") / "native.json")
    args = parser.parse_args()
    started = time.time()
    report = run(build_workload(args.items), args.profiles.split(","), args.runs)
    report["seconds"] = time.time() - started
    print(render(report))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    if not all(p["same_outputs"] for p in report["profiles"].values()):
        raise SystemExit("native and reference outputs differ")


if __name__ == "__main__":
    main()
