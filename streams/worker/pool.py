"""Stage 1's CPU work in a pool of processes, off the worker's event loop.

``Pipeline.prepare`` is pure and CPU-bound (langid, entities with the NER models, the sentence
embedding: 10-30 ms per item in the ``full`` profile). Run inline, each item holds the asyncio loop
for that long, and faust's fetches, commits, heartbeats, the decide stage and ``/metrics`` wait
behind it; a worker process also never uses more than one core. With ``worker.prepare_processes
= N`` the prepare agent runs ``prepare`` in N processes started once at boot (for batches of raw
messages under at_least_once, an item at a time under exactly_once; ``streams.worker.app``), each
with its own Pipeline (KB and models loaded by the initializer), while the loop keeps consuming,
deciding and publishing (docs/architecture.md, "Prepare pool").

Processes are spawned, not forked: the worker is multi-threaded by then (aiokafka, the embedding
model's BLAS), and a fork would copy locks held by other threads. A raw item goes in and a
``Prepared`` comes back by pickle (tens of microseconds, against milliseconds of work); an
``ItemRejected`` raised in a pool process arrives as itself, so dead letters keep their reason.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from concurrent.futures import Executor, ProcessPoolExecutor

from streams.core.deadline import Deadline
from streams.core.pipeline import Pipeline, Prepared
from streams.models import RawItem
from streams.settings import Settings

_pipeline: Pipeline | None = None  # one per pool process, built by _initialize
_watchlist_poll_s = 0.0
_next_watchlist_check = 0.0


def _initialize(settings: Settings) -> None:
    global _pipeline, _watchlist_poll_s  # noqa: PLW0603 - what an initializer is for
    # prepare never reads the dedupe store, so an empty one serves.
    _pipeline = Pipeline.from_settings(settings, {})
    if settings.entities.watchlist_files():
        _watchlist_poll_s = settings.entities.watchlist_poll_s


def _loaded_pid() -> int:
    return os.getpid() if _pipeline is not None else -1


def _prepare(raw: RawItem, deadline: Deadline | None) -> Prepared:
    global _next_watchlist_check  # noqa: PLW0603
    if _pipeline is None:  # pragma: no cover - the initializer runs before any task
        raise RuntimeError("prepare pool process has no pipeline")
    if _watchlist_poll_s and time.monotonic() >= _next_watchlist_check:
        # Each process keeps its own copy of the watchlist: it follows the file by the same
        # change check as the worker's timer (a SIGHUP reaches the worker process only).
        _next_watchlist_check = time.monotonic() + _watchlist_poll_s
        _pipeline.extractor.reload_watchlist_if_changed()
    return _pipeline.prepare(raw, deadline)


class PreparePool:
    """N processes running ``Pipeline.prepare``; ``await pool.prepare(raw)`` from the loop."""

    def __init__(self, settings: Settings, processes: int) -> None:
        if processes < 1:
            raise ValueError(f"a prepare pool needs at least one process, got {processes}")
        self.processes = processes
        self._executor: Executor = ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_initialize,
            initargs=(settings,),
        )

    def warm_up(self) -> None:
        """Block until every process has loaded its models (seconds), so the first items are
        not slow and a broken model fails the start, not an item."""
        # All N submissions of a round spawn the N processes; a process that loaded first may
        # answer twice, so rounds go on until every process has answered.
        seen: set[int] = set()
        while len(seen) < self.processes:
            futures = [self._executor.submit(_loaded_pid) for _ in range(self.processes)]
            seen.update(future.result() for future in futures)

    async def prepare(self, raw: RawItem, deadline: Deadline | None = None) -> Prepared:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, _prepare, raw, deadline)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
