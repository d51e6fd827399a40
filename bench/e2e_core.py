"""The enrichment core with no broker: the ceiling any worker process of ours can reach.

Runs what the worker's agent runs per message, minus faust and Kafka: ``decode_raw``, then
``Pipeline.from_settings(settings, {}).enrich(...)`` (a dict as the dedupe store, duplicates not
enriched, as ``worker.publish_duplicates = false`` does), then ``encode_event``. Timed per stage
(the pipeline's own ``stage_seconds`` plus decode and encode), in wall time and in CPU time for
the whole pass, so preemption on a shared machine shows up as their difference.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.workload import WorkItem
from streams.codec import decode_raw, encode_event
from streams.core.langid.detector import MODEL_CHARS
from streams.core.langid.models import load_models
from streams.core.langid.text import sanitize
from streams.core.normalize import normalize
from streams.core.pipeline import Pipeline
from streams.errors import ItemRejected
from streams.settings import load_settings

MAX_ITEM_BYTES = 1024 * 1024
# Even on a slow tree, a pass covers enough items for its per-item figures to mean something.
MIN_ITEMS = 200


def _pipeline(profile: str, embedder: str | None = None) -> Pipeline:
    # The harness's WIRESTREAM_* variables apply here as they do to the worker processes.
    env = {**os.environ, "WIRESTREAM_WORKER_PROFILE": profile}
    if embedder is not None:  # bench/embed.py runs the reference and the ONNX embedder in turn
        env["WIRESTREAM_DEDUPE_EMBEDDER"] = embedder
    return Pipeline.from_settings(load_settings(env), {})


def _pass(
    pipeline: Pipeline, items: list[WorkItem], budget_s: float
) -> tuple[int, dict[str, float]]:
    """Enrich items in order until they or the time budget run out; (items done, seconds)."""
    seconds: dict[str, float] = defaultdict(float)
    deadline = time.perf_counter() + budget_s
    done = 0
    for offset, item in enumerate(items):
        if offset >= MIN_ITEMS and time.perf_counter() > deadline:
            break
        done += 1
        tick = time.perf_counter()
        try:
            raw = decode_raw(item.value, MAX_ITEM_BYTES)
        except ItemRejected:
            seconds["decode"] += time.perf_counter() - tick
            continue
        seconds["decode"] += time.perf_counter() - tick
        try:
            result = pipeline.enrich(
                raw, received_at=time.time(), origin=f"0:{offset}", enrich_duplicates=False
            )
        except ItemRejected:
            continue
        for stage, value in result.stage_seconds.items():
            seconds[stage] += value
        if result.event is not None:
            tick = time.perf_counter()
            encode_event(result.event)
            seconds["encode"] += time.perf_counter() - tick
    return done, seconds


def model_read(items: list[WorkItem]) -> float:
    """CPU ms per item for fastText to read each item's text once, as the language cascade's first
    read does (the sanitised headline and body, at most ``MODEL_CHARS``): the least a core that
    knows each item's language spends, whatever else it does (bench/budget.py)."""
    texts = []
    for item in items:
        try:
            norm = normalize(decode_raw(item.value, MAX_ITEM_BYTES))
        except ItemRejected:
            continue
        body = f"{norm.headline}\n{norm.text}" if norm.headline else norm.text
        texts.append(sanitize(body)[:MODEL_CHARS])
    predict = load_models().fasttext.predict
    cpu = time.process_time()
    for text in texts:
        predict(text, 4)
    return (time.process_time() - cpu) * 1000.0 / max(1, len(texts))


def run_core(
    items: list[WorkItem], profile: str, budget_s: float = 60.0, embedder: str | None = None
) -> dict[str, Any]:
    """One timed pass over ``items`` (or as many as ``budget_s`` allows) with a fresh pipeline
    and an empty dedupe store (``embedder``: ``dedupe.embedder``, default the settings')."""
    load_started = time.perf_counter()
    pipeline = _pipeline(profile, embedder)
    load_s = time.perf_counter() - load_started
    wall, cpu = time.perf_counter(), time.process_time()
    n, stages = _pass(pipeline, items, budget_s)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "items": n,
        "embedder": type(pipeline.embedder).__name__,
        "model_read_ms_per_item": model_read(items[:n]),
        "load_s": load_s,
        "items_per_s": n / wall if wall > 0 else 0.0,
        "cpu_items_per_s": n / cpu if cpu > 0 else 0.0,
        "cpu_ms_per_item": cpu * 1000.0 / n if n else 0.0,
        "stages_ms_per_item": {k: v * 1000.0 / n for k, v in sorted(stages.items())},
        # Stage timers are wall time; on a shared machine part of it is waiting for a core.
        # Scaled by the pass's CPU/wall ratio they estimate each stage's CPU time.
        "stages_cpu_ms_per_item": {
            k: v * 1000.0 / n * (cpu / wall if wall > 0 else 1.0) for k, v in sorted(stages.items())
        },
    }


def profile_core(
    items: list[WorkItem], profile: str, out: Path, budget_s: float = 60.0, top: int = 25
) -> list[dict]:
    """cProfile one pass; writes the pstats table to ``out`` and returns the top functions."""
    pipeline = _pipeline(profile)
    profiler = cProfile.Profile()
    profiler.enable()
    done, _ = _pass(pipeline, items, budget_s)
    profiler.disable()
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer).sort_stats("tottime")
    stats.print_stats(top)
    out.write_text(buffer.getvalue(), encoding="utf-8")
    n = max(1, done)
    rows = []
    raw_stats: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (path, line, func), (_cc, calls, tottime, cumtime, _callers) in sorted(
        raw_stats.items(), key=lambda kv: kv[1][2], reverse=True
    )[:top]:
        rows.append(
            {
                "function": f"{_short(path)}:{line}({func})",
                "calls_per_item": calls / n,
                "self_ms_per_item": tottime * 1000.0 / n,
                "cumulative_ms_per_item": cumtime * 1000.0 / n,
            }
        )
    return rows


def _short(path: str) -> str:
    """A profile row's file, from the package down (site-packages/..., streams/...)."""
    for marker, keep in (("site-packages/", ""), ("/streams/", "streams/"), ("/bench/", "bench/")):
        if marker in path:
            return keep + path.split(marker, 1)[1]
    return path
