"""Commit as soon as the worker goes idle, under exactly_once: latency at low load.

Under exactly_once an output becomes visible to ``read_committed`` consumers only when the
transaction that wrote it commits, and faust commits on a timer (``worker.commit_interval_s``).
An item crosses two transactions (stage 1 hands it over, stage 2 publishes it), so with the timer
alone its latency is about twice the interval, even on an idle worker (docs/architecture.md,
"Delivery").

This task commits whenever no event has started or finished for ``worker.commit_when_idle_s``
and some event finished since the last commit. At low load the worker is idle between items, so
each item is committed within milliseconds of being done (``full`` p99 at 50 items/s: 527 ->
207 ms). At medium load (``fast`` at half its maximum) it is seldom idle that long, and under a
backlog never: the timer and ``commit_every`` commit as before, and throughput does not change
(docs/benchmarks.md).

The commit goes through faust's own ``Consumer.commit`` and so through the commit gate
(:class:`streams.faust_fixes_eos.CommitGate`): it waits for events in flight and holds new ones
back, exactly like a timed commit. Offsets and outputs stay in one transaction per input
partition; only how often transactions end changes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from streams.faust_fixes_eos import commit_gate


def wire_commit_when_idle(app: Any, quiet_s: float, guarantee: str) -> None:
    """Add the task to a faust app; a no-op unless ``quiet_s > 0`` and the guarantee is
    exactly-once (at-least-once output is visible at once: a commit only bounds replay).

    The guarantee comes from the settings, not from ``app.in_transaction``: that is a cached
    property, true only inside a running worker, and reading it while the app is being built
    caches ``False`` for good, which silently turns every exactly-once path off."""
    if quiet_s <= 0 or guarantee != "exactly_once":
        return

    @app.task  # type: ignore[untyped-decorator]
    async def commit_when_idle() -> None:
        if app.in_transaction:  # read inside the running worker, where it is settled
            await commit_idle_loop(app, quiet_s)


async def commit_idle_loop(app: Any, quiet_s: float) -> None:
    """Forever: wait for a finished event, then for ``quiet_s`` of quiet, then commit."""
    gate = commit_gate(app)
    loop = asyncio.get_running_loop()
    while True:
        await gate.finished.wait()
        quiet_for = loop.time() - gate.active_at
        if not gate.idle() or quiet_for < quiet_s:
            await asyncio.sleep(max(quiet_s - quiet_for, quiet_s / 2))
            continue
        # Cleared first: a commit that finds another under way returns at once, and must not
        # send this loop spinning. Events that finish meanwhile set it again.
        gate.finished.clear()
        if not app.rebalancing:  # faust commits what it must around a rebalance itself
            await app.consumer.commit()
