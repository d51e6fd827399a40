"""What each throughput goal leaves per item, against what this design cannot avoid spending.

A goal of N ms of CPU per item is that budget; a goal of N items/s per worker process is a
budget of 1000/N ms of CPU per item on one core; a goal of a fraction r of the faust passthrough
is a budget of the passthrough's own CPU per item divided by r (both taken as CPU-bound). Two
parts of the worker are measured on their own in the same run:

- **faust**: the bare faust passthrough's CPU per item, in the same topology (4 raw partitions
  for the split worker, one for the single topology): what faust and aiokafka spend to consume
  and forward one message, before any code of ours runs;
- **core**: the enrichment core with no broker (``bench.e2e_core``), CPU per item.

``faust + core`` is a lower bound on the worker's CPU per item: it assumes the shell around the
core (transactions, the dedupe table's changelog, the hand-over between stages, metrics, logs)
adds nothing to what faust itself spends. When the bound is over the budget, no tuning of the
shell meets the goal; only a cheaper core, or more than one core per worker process, can.

**model read**, the floor of the core itself: fastText reading each item's text once, as the
language cascade's first read does. Any core that tells an item's language does at least that,
whatever else it drops.
"""

from __future__ import annotations

from typing import Any

from bench.report_format import dig, fmt

# (the figure's key, the worker system, its faust baseline, the core profile it runs)
ROWS = (
    ("e2e.fast.cpu_ms_per_item", "fast", "faust_passthrough", "fast"),
    ("e2e.fast_single.cpu_ms_per_item", "fast_single", "faust_passthrough_single", "fast"),
    ("ratio.fast_to_faust_passthrough", "fast", "faust_passthrough", "fast"),
    (
        "ratio.fast_single_to_faust_passthrough_single",
        "fast_single",
        "faust_passthrough_single",
        "fast",
    ),
    ("e2e.full.cpu_ms_per_item", "full", "faust_passthrough", "full"),
    ("e2e.full_single.cpu_ms_per_item", "full_single", "faust_passthrough_single", "full"),
)


def goal_key(key: str) -> str:
    """The goal in report.GOALS a figure answers. Goals are keyed by the split topology's
    figures; a single-topology figure answers the same goal (the better topology counts)."""
    return key.replace("_single", "")


def budget_rows(tree: dict[str, Any], goals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per throughput goal whose parts were measured in this run (medians over runs)."""
    targets = {goal["key"]: goal for goal in goals}
    rows = []
    for key, system, baseline, profile in ROWS:
        goal = targets.get(goal_key(key))
        faust = dig(tree, f"baseline.{baseline}.cpu_ms_per_item")
        core = dig(tree, f"core.{profile}.cpu_ms_per_item")
        if goal is None or not faust or not core:
            continue
        target = goal["target"]
        if key.startswith("ratio."):
            budget = faust / target
        elif key.endswith(".cpu_ms_per_item"):
            budget = target
        else:
            budget = 1000.0 / target
        bound = faust + core
        worker = dig(tree, f"e2e.{system}.cpu_ms_per_item")
        rows.append(
            {
                "goal": goal["goal"],
                "key": key,
                "budget_ms": budget,
                "faust_ms": faust,
                "core_ms": core,
                "bound_ms": bound,
                "bound_items_per_s": 1000.0 / bound,
                "worker_ms": worker,
                "shell_ms": worker - core if worker else None,
                "model_read_ms": dig(tree, f"core.{profile}.model_read_ms"),
                "reachable": bound <= budget,
                "bound_to_budget": bound / budget,
            }
        )
    return rows


def budget_lines(t: dict[str, Any]) -> list[str]:
    rows = t.get("budget") or []
    if not rows:
        return []
    lines = [
        "per-item budget, CPU ms per item on one core (bench/budget.py): what each goal leaves;",
        "faust: its passthrough, same topology; core: no broker; faust + core: the least this",
        "worker can cost (as if our shell added nothing to faust's own), and the items/s it",
        "allows; worker: measured; model read: fastText reading each item once, the least any",
        "core that tells languages apart spends:",
        f"  {'goal':<34}{'budget':>8}{'faust':>8}{'core':>8}{'f+core':>8}{'→ items/s':>11}"
        f"{'worker':>8}{'read':>7}  verdict",
    ]
    for row in rows:
        verdict = (
            f"out of reach: faust + core {row['bound_to_budget']:.1f}x the budget"
            if not row["reachable"]
            else f"reachable: {fmt(row['budget_ms'] - row['bound_ms'], 3)} ms left for the shell"
        )
        lines.append(
            f"  {row['goal']:<34}{fmt(row['budget_ms'], 3):>8}{fmt(row['faust_ms'], 3):>8}"
            f"{fmt(row['core_ms'], 3):>8}{fmt(row['bound_ms'], 3):>8}"
            f"{fmt(row['bound_items_per_s']):>11}{fmt(row['worker_ms'], 3):>8}"
            f"{fmt(row['model_read_ms'], 3):>7}  {verdict}"
        )
    return lines
