"""``wirestream worker`` exactly as shipped, plus an event-loop lag probe for the benchmark.

The enrichment core is CPU-bound and runs inside the asyncio agent (docs/architecture.md, "Known
limits"), so while it works nothing else on the loop runs: heartbeats, commits, fetches, /metrics.
The probe measures that directly: a task asks to wake every 10 ms and records how late it woke.
Samples go to ``$BENCH_LOOP_LAG_FILE`` as ``<unix time> <lag ms>`` lines, flushed once a second,
so the harness can cut out exactly the drain or latency window. Its own cost is one wake-up per
10 ms (well under 1 % of a core).

Run as ``python -m bench.e2e_worker`` with the usual ``WIRESTREAM_*`` environment. The worker is
built by ``streams.worker.run.run_worker`` itself; only ``build_worker`` is wrapped to add the
probe task, so the benchmark measures the shipped code path, topic set-up and shutdown included.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

PROBE_INTERVAL_S = 0.01
FLUSH_EVERY_S = 1.0
LAG_FILE_ENV = "BENCH_LOOP_LAG_FILE"


def install_probe(app: Any, path: str | None) -> None:
    """Add the lag probe to a faust app (no-op without a path)."""
    if not path:
        return

    @app.task
    async def event_loop_lag_probe() -> None:
        loop = asyncio.get_running_loop()
        lines: list[str] = []
        flushed = loop.time()
        with open(path, "a", encoding="ascii") as out:
            while True:
                asked = loop.time()
                await asyncio.sleep(PROBE_INTERVAL_S)
                woke = loop.time()
                lag_ms = max(0.0, (woke - asked - PROBE_INTERVAL_S) * 1000.0)
                lines.append(f"{time.time():.4f} {lag_ms:.3f}\n")
                if woke - flushed >= FLUSH_EVERY_S:
                    out.writelines(lines)
                    out.flush()
                    lines.clear()
                    flushed = woke


def main() -> int:
    import streams.worker.run as worker_command
    from streams.cli import main as cli_main

    build = worker_command.build_worker

    def build_with_probe(settings: Any, metrics: Any = None) -> Any:
        worker = build(settings, metrics)
        install_probe(worker.app, os.environ.get(LAG_FILE_ENV))
        return worker

    worker_command.build_worker = build_with_probe  # type: ignore[assignment]
    return cli_main(["--log-format", "json", "worker"])


if __name__ == "__main__":
    sys.exit(main())
