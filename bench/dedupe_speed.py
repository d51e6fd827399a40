"""The dedupe benchmark's speed and size half (``bench.dedupe`` runs it): decisions per
CPU-second against a synthetic store of a window's size, and bytes per remembered item."""

from __future__ import annotations

import os
import statistics
import time
import tracemalloc
from typing import Any

import numpy as np
import orjson

from streams.core.dedupe.decide import DedupeKeys, Seen
from streams.core.dedupe.fingerprint import WORD_PERMUTATIONS, Fingerprint
from streams.core.pipeline import Pipeline, Prepared
from streams.models import DedupeStatus

SEED = 20261129
NOW = 1_790_000_000.0
WEEK = 7 * 86400.0


def fresh(pipe: Pipeline, store: dict[str, Any], max_items: int = 100_000) -> Pipeline:
    return Pipeline(
        pipe.detector, pipe.extractor, store, WEEK, max_items=max_items, embedder=pipe.embedder
    )


# --- speed and size ------------------------------------------------------------------------------


def synthetic_store(real: list[Prepared], size: int, rng: np.random.Generator) -> dict[str, Any]:
    """``size`` records: real embeddings, random MinHash and sentence hashes, Zipf anchors."""
    ranks = np.arange(1, 500_001)
    p = 1.0 / ranks**1.1
    keys = rng.choice(500_000, size=(size, 20), p=p / p.sum()).astype(np.uint32)
    anchors = keys * 4 + rng.integers(0, 4, (size, 20)).astype(np.uint32)
    embeddings = [r.fingerprint.embedding for r in real]
    store: dict[str, Any] = {}
    for n in range(size):
        fp = Fingerprint(
            language=("en", "de", "fr", "ar", "es")[n % 5],
            shingles=int(rng.integers(50, 800)),
            headline_hash=int(rng.integers(1, 2**32)),
            sentences=tuple(int(h) for h in rng.integers(1, 2**32, 6)),
            minhash=rng.integers(0, 65536, 64, dtype=np.uint16).tobytes(),
            embedding=embeddings[n % len(embeddings)],
            anchors=tuple(int(a) for a in anchors[n]),
            words=rng.integers(0, 256, WORD_PERMUTATIONS, dtype=np.uint8).tobytes(),
            word_count=int(rng.integers(40, 400)),
        )
        seen_at = NOW - 6 * 86400 + n * (5 * 86400 / size)
        seen = Seen(
            f"{n:016x}", f"syn-{n}", seen_at, f"0:{n}", DedupeStatus.UNIQUE, None, 0.0,
            f"i:bench:syn-{n}", fp.to_bytes(),
        )  # fmt: skip
        store[DedupeKeys.build(f"{n:032x}", None, None).hash_key] = seen.to_record()
    return store


def memory_per_item(pipe: Pipeline, real: list[Prepared], size: int) -> tuple[float, float]:
    """Python memory of store + index per item, traced on a smaller store (tracing is slow)."""
    tracemalloc.start()
    run = fresh(pipe, synthetic_store(real, size, np.random.default_rng(SEED + 1)), size)
    run.restore()
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return memory / size, run.deduper.index.posting_bytes() / size


def speed(
    pipe: Pipeline, real: list[Prepared], window: int, queries: int, report: dict[str, Any]
) -> None:
    rng = np.random.default_rng(SEED)
    store = synthetic_store(real, window, rng)
    run = fresh(pipe, store, window)
    tick, cpu = time.perf_counter(), time.process_time()
    indexed = run.restore()
    restore_wall, restore_cpu = time.perf_counter() - tick, time.process_time() - cpu
    # What the changelog holds: the key as JSON (faust's default key serializer), the raw record.
    serialised = statistics.fmean(
        len(orjson.dumps(k)) + len(v) for k, v in list(store.items())[:5000]
    )
    picks = [real[int(i)] for i in rng.permutation(len(real))[:queries]]
    statuses: dict[str, int] = {}
    tick, cpu = time.perf_counter(), time.process_time()
    for n, item in enumerate(picks):
        status = run.decide(item, received_at=NOW + n * 0.01, origin=f"q:{n}").dedupe.status
        statuses[status.value] = statuses.get(status.value, 0) + 1
    wall, cpu = time.perf_counter() - tick, time.process_time() - cpu
    memory, postings = memory_per_item(pipe, real, 20_000)
    report["speed"] = {
        "window": indexed,
        "decisions": len(picks),
        "statuses": statuses,
        "decide_items_per_cpu_s": len(picks) / cpu,
        "decide_items_per_s_wall": len(picks) / wall,
        "restore_cpu_s": restore_cpu,
        "restore_wall_s": restore_wall,
        "bytes_per_item_serialised": serialised,
        "memory_bytes_per_item": memory,
        "index_posting_bytes_per_item": postings,
        "store_items_after": len(store),
        "load_average": os.getloadavg()[0],
    }
    print(f"\n== speed: {indexed:,} remembered items, {len(picks):,} decisions {statuses}")
    print(
        f"decide {len(picks) / cpu:,.0f} items per CPU-second ({len(picks) / wall:,.0f}/s wall, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(f"restore {restore_cpu:.1f} CPU-s ({restore_wall:.1f} s wall); store: {len(store):,}")
    print(
        f"bytes per item: {serialised:.0f} serialised (JSON key + packed record); "
        f"{memory:.0f} in Python "
        f"memory (store + index, traced on 20,000 items), of which postings {postings:.0f}"
    )
