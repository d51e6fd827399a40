"""bench/budget.py: the per-item budget each throughput goal leaves, from a summary's medians."""

from __future__ import annotations

from typing import Any

import pytest

from bench.budget import ROWS, budget_lines, budget_rows


def _goal(key: str, target: float) -> dict[str, Any]:
    return {"goal": key, "key": key, "target": target}


def _tree(faust_ms: float, core_ms: float, worker_ms: float | None) -> dict[str, Any]:
    e2e = {"cpu_ms_per_item": worker_ms} if worker_ms is not None else {}
    return {
        "baseline": {"faust_passthrough": {"cpu_ms_per_item": faust_ms}},
        "core": {"fast": {"cpu_ms_per_item": core_ms, "model_read_ms": 0.1}},
        "e2e": {"fast": e2e},
    }


@pytest.mark.parametrize(
    "case",
    [
        # 0.6 ms of CPU per item is that budget.
        ("e2e.fast.cpu_ms_per_item", 0.6, 0.2, 1.8, 0.6, False),
        ("e2e.fast.cpu_ms_per_item", 0.6, 0.1, 0.2, 0.6, True),
        # Half the passthrough's rate leaves twice the passthrough's own CPU per item.
        ("ratio.fast_to_faust_passthrough", 0.5, 0.2, 0.2, 0.4, True),
        ("ratio.fast_to_faust_passthrough", 0.5, 0.2, 0.25, 0.4, False),
    ],
    ids=["fast-over", "fast-under", "ratio-under", "ratio-over"],
)
def test_budget_is_the_goal_per_item_and_the_bound_is_faust_plus_core(
    case: tuple[str, float, float, float, float, bool],
) -> None:
    key, target, faust_ms, core_ms, budget_ms, reachable = case
    (row,) = budget_rows(_tree(faust_ms, core_ms, 2.5), [_goal(key, target)])
    assert row["budget_ms"] == pytest.approx(budget_ms)
    assert row["bound_ms"] == pytest.approx(faust_ms + core_ms)
    assert row["bound_items_per_s"] == pytest.approx(1000.0 / (faust_ms + core_ms))
    assert row["reachable"] is reachable
    assert row["bound_to_budget"] == pytest.approx((faust_ms + core_ms) / budget_ms)
    assert row["shell_ms"] == pytest.approx(2.5 - core_ms)
    assert row["model_read_ms"] == 0.1


def test_rows_whose_parts_were_not_measured_are_left_out() -> None:
    goals = [_goal(key, 1.0) for key, *_ in ROWS]
    # Only the split fast worker's parts are in the tree: its two goals, nothing else.
    rows = budget_rows(_tree(0.2, 1.8, None), goals)
    assert [row["key"] for row in rows] == [
        "e2e.fast.cpu_ms_per_item",
        "ratio.fast_to_faust_passthrough",
    ]
    assert all(row["shell_ms"] is None for row in rows)  # the worker itself was not measured
    assert budget_rows({}, goals) == []


def test_lines_give_the_verdict_of_each_row() -> None:
    goals = [
        _goal("e2e.fast.cpu_ms_per_item", 1 / 3),
        _goal("ratio.fast_to_faust_passthrough", 0.1),
    ]
    lines = budget_lines({"budget": budget_rows(_tree(0.2, 1.8, 2.5), goals)})
    assert "out of reach: faust + core 6.0x the budget" in lines[-2]
    assert "reachable: 0.000 ms left for the shell" in lines[-1]
    assert budget_lines({}) == []


def test_the_single_topology_answers_the_same_goals_as_the_split_one() -> None:
    # Goals are keyed by the split topology's figures (the better topology counts).
    goals = [_goal("e2e.fast.cpu_ms_per_item", 0.6), _goal("ratio.fast_to_faust_passthrough", 0.5)]
    tree = _tree(0.2, 1.8, 2.5)
    tree["baseline"]["faust_passthrough_single"] = {"cpu_ms_per_item": 0.3}
    tree["e2e"]["fast_single"] = {"cpu_ms_per_item": 2.2}
    rows = {row["key"]: row for row in budget_rows(tree, goals)}
    assert list(rows) == [
        "e2e.fast.cpu_ms_per_item",
        "e2e.fast_single.cpu_ms_per_item",
        "ratio.fast_to_faust_passthrough",
        "ratio.fast_single_to_faust_passthrough_single",
    ]
    single = rows["ratio.fast_single_to_faust_passthrough_single"]
    assert single["budget_ms"] == pytest.approx(0.3 / 0.5)
    assert single["worker_ms"] == 2.2
