"""Formatting shared by the benchmark's report sections: numbers, ranges, dotted keys."""

from __future__ import annotations

import math
from typing import Any


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}"


def rng(ranges: dict[str, Any], key: str, digits: int = 0) -> str:
    r = ranges.get(key)
    if not r or len(r["runs"]) < 2:
        return ""
    return f" [{fmt(r['min'], digits)}–{fmt(r['max'], digits)}]"


def dig(tree: dict[str, Any], key: str) -> Any:
    node: Any = tree
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node
