"""The summary (bench/report.py) as the readable table ``make bench-e2e`` prints."""

from __future__ import annotations

from typing import Any

from bench.budget import budget_lines
from bench.e2e_kafka import SEGMENTS
from bench.report import PROFILES, STAGES
from bench.report_format import dig, fmt, rng


def render(summary: dict[str, Any]) -> str:
    meta, cfg, git = summary["machine"], summary["config"], summary["git"]
    lines = [
        f"wirestream e2e benchmark: {cfg['items']:,} items x {cfg['runs']} run(s), "
        f"commit {git['commit'][:10]}{' (dirty)' if git['dirty'] else ''}",
        f"machine: {meta['nproc']} x {meta['cpu_model']}; load avg {meta['loadavg_start']} "
        f"at start, {meta.get('loadavg_end', '?')} at end; Kafka {meta['kafka']}",
        "figures: median [min–max] over runs; latency at "
        f"{int(cfg['load_fraction'] * 100)}% of each system's own measured maximum "
        "(* = its queue grew during the phase: it did not keep up)",
    ]
    sections = (
        _systems,
        _ratio_lines,
        _stage_lines,
        _segment_lines,
        _loop_lines,
        _goal_lines,
        budget_lines,
    )
    for section in sections:
        lines += ["", *section(summary)]
    lines += ["", "counts (every item accounted for: enriched + duplicates + dead letters):"]
    lines += [f"  {check}" for check in summary["counts"]]
    return "\n".join(lines)


def _systems(t: dict[str, Any]) -> list[str]:
    ranges = t["ranges"]
    fixed = t["config"].get("fixed_rate") or 0
    lines = [
        f"{'system':<22}{'items/s':>22}{'items/CPU-s':>13}{'p50 ms':>10}{'p95 ms':>10}"
        f"{'p99 ms':>10}{'@ items/s':>11}{f'p99@{fixed:g}/s':>12}{'peak RSS MB':>13}"
    ]
    rows = [
        ("aiokafka passthrough", "baseline.aiokafka_passthrough", "rss_mb.aiokafka_passthrough"),
        ("faust passthrough", "baseline.faust_passthrough", "rss_mb.faust_passthrough"),
        ("python peer", "baseline.python_peer", "rss_mb.python_peer"),
        ("wirestream full", "e2e.full", "rss_mb.worker"),
        ("wirestream fast", "e2e.fast", "rss_mb.worker_fast"),
        ("full, prepare pool", "e2e.full_pool", "rss_mb.full_pool"),
        ("fast, prepare pool", "e2e.fast_pool", "rss_mb.fast_pool"),
        (
            "faust passthrough, 1p",
            "baseline.faust_passthrough_single",
            "rss_mb.faust_passthrough_single",
        ),
        ("full, single", "e2e.full_single", "rss_mb.full_single"),
        ("fast, single", "e2e.fast_single", "rss_mb.fast_single"),
    ]
    for label, base, rss in rows:
        if dig(t, f"{base}.items_per_s") is None:
            continue
        rate = fmt(dig(t, f"{base}.items_per_s")) + rng(ranges, f"{base}.items_per_s")
        lat = [fmt(dig(t, f"{base}.latency_ms.{q}"), 1) for q in ("p50", "p95", "p99")]
        if (dig(t, f"{base}.latency_kept_up") or 0.0) < 1.0:
            lat[2] += "*"  # a queue grew during the phase in most runs: not a steady state
        fixed_p99 = fmt(dig(t, f"{base}.latency_fixed_ms.p99"), 1)
        if (dig(t, f"{base}.latency_fixed_kept_up") or 1.0) < 1.0:
            fixed_p99 += "*"  # the fixed rate is beyond what this system sustains
        lines.append(
            f"{label:<22}{rate:>22}{fmt(dig(t, f'{base}.cpu_items_per_s')):>13}"
            f"{lat[0]:>10}{lat[1]:>10}{lat[2]:>10}"
            f"{fmt(dig(t, f'{base}.latency_offered_per_s')):>11}"
            f"{fixed_p99:>12}{fmt(dig(t, rss)):>13}"
        )
    for profile in PROFILES:
        key = f"core.{profile}.items_per_s"
        if dig(t, key) is not None:
            rate = fmt(dig(t, key)) + rng(ranges, key)
            cpu = fmt(dig(t, f"core.{profile}.cpu_items_per_s"))
            lines.append(f"{'core ' + profile + ' (no broker)':<22}{rate:>22}{cpu:>13}")
    return lines


def _ratio_lines(t: dict[str, Any]) -> list[str]:
    lines = ["ratios (within each run, then median [min–max]):"]
    for key, value in sorted((t.get("ratio") or {}).items()):
        lines.append(f"  {key:<32}{fmt(value, 3):>8}{rng(t['ranges'], 'ratio.' + key, 3)}")
    return lines


def _stage_lines(t: dict[str, Any]) -> list[str]:
    rows: list[tuple[str, dict[str, float], str]] = []
    for name in PROFILES:
        worker = {k.removesuffix("_ms"): v for k, v in (dig(t, f"stages.{name}") or {}).items()}
        rows.append((f"worker {name}", worker, f"e2e.{name}"))
        rows.append((f"core {name}", dig(t, f"core.{name}.stages_ms") or {}, f"core.{name}"))
        cpu_rows = dig(t, f"core.{name}.stages_cpu_ms") or {}
        rows.append(("  (as CPU)", cpu_rows, f"core.{name}"))
    seen = {stage for _label, cells, _cpu in rows for stage in cells}
    stages = [s for s in STAGES if s in seen] + sorted(seen - set(STAGES))
    lines = [
        "where the time goes, ms per input item. worker: its stage histograms (wall time, so",
        "waiting for a core and other tasks run during an await count too); core: offline, no",
        "broker, wall time, then scaled to CPU by the pass's CPU/wall ratio; CPU column: the",
        "process's CPU time per item):",
        f"  {'':<13}" + "".join(f"{s:>12}" for s in (*stages, "stages", "CPU")),
    ]
    for label, cells, cpu in rows:
        if not cells:
            continue
        values = [cells.get(s) for s in stages]
        total = sum(v for v in values if v)
        lines.append(
            f"  {label:<13}"
            + "".join(f"{fmt(v, 3):>12}" for v in values)
            + f"{fmt(total, 3):>12}{fmt(dig(t, cpu + '.cpu_ms_per_item'), 3):>12}"
        )
    return lines


def _segment_lines(t: dict[str, Any]) -> list[str]:
    lines = [
        "where the latency goes at 50% load, ms, median / mean of the slowest 1 %: to_worker",
        "(produced -> taken by the worker), core (-> core done; split: through both stages),",
        "to_send (-> its record created), to_visible (-> read here, read_committed); commits:",
        "exactly-once commits in the whole run, and how long each held events back on average:",
        f"  {'':<13}" + "".join(f"{s:>16}" for s in (*SEGMENTS, "commits")),
    ]
    for name in PROFILES:
        cells = dig(t, f"latency_segments.{name}")
        if not cells:
            continue
        pairs = (
            f"{fmt(cell.get('p50_ms'))} / {fmt(cell.get('slowest_1pct_mean_ms'))}"
            for cell in (cells.get(seg, {}) for seg in SEGMENTS)
        )
        count, hold = dig(t, f"commits.{name}.count"), dig(t, f"commits.{name}.mean_hold_ms")
        held = f"{fmt(count)} x {fmt(hold, 1)} ms" if count else "-"
        lines.append(f"  {name:<13}" + "".join(f"{cell:>16}" for cell in (*pairs, held)))
    return lines


def _loop_lines(t: dict[str, Any]) -> list[str]:
    lines = ["event loop (a task asking to wake every 10 ms): while draining / at offered load"]
    for name in ("faust_passthrough", "faust_passthrough_single", *PROFILES):
        for window in ("drain", "latency"):
            lag = dig(t, f"event_loop.{name}.{window}")
            if not lag:
                continue
            lines.append(
                f"  {name:<25}{window:<8} lag p50 {fmt(lag.get('p50_ms'), 1)} ms, "
                f"p99 {fmt(lag.get('p99_ms'), 1)} ms, max {fmt(lag.get('max_ms'), 0)} ms, "
                f"stalls>100ms {fmt(lag.get('stalls_over_100ms'))}, "
                f"loop busy {fmt((lag.get('blocked_share') or 0) * 100, 0)}%"
            )
    return lines


def _goal_lines(t: dict[str, Any]) -> list[str]:
    lines = ["goals:"]
    for goal in t["goals"]:
        if goal.get("measured") is None:
            lines.append(f"  {goal['goal']:<34} target {goal['target']:g}: not measured")
            continue
        verdict = "MET" if goal["met"] else f"NOT MET (x{goal['factor_to_target']:.2f} off)"
        lines.append(
            f"  {goal['goal']:<34} target {goal['target']:>7g}  "
            f"measured {fmt(goal['measured'], 2):>10}  {verdict}"
        )
    return lines
