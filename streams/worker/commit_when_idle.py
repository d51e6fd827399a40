"""Commit as soon as the worker goes idle, under exactly_once: latency at low load.

Under exactly_once an output becomes visible to ``read_committed`` consumers only when the
transaction that wrote it commits, and faust commits on a timer (``worker.commit_interval_s``).
An item crosses two transactions (stage 1 hands it over, stage 2 publishes it), so with the timer
alone its latency is about twice the interval, even on an idle worker (docs/architecture.md,
"Delivery").

This task commits once some event has finished since the last commit and either

- no event has started or finished for ``worker.commit_when_idle_s`` (5 ms): at low load the
  worker is idle between items, so each item is committed within milliseconds of being done
  (``full`` p99 at 50 items/s: 527 -> 207 ms); or
- no event is in flight and the first event finished since the last commit did so
  ``worker.commit_when_waited_s`` (50 ms) ago or more: at medium load (``fast`` at half its maximum)
  the worker is between two events often, but seldom quiet for 5 ms, and the timer alone left p99 at
  0.3-0.5 s. This commits at most every 50 ms or so, affordable because a commit is cheaper now
  (``retry_transactions_sooner``: about 10 ms of wall time, against 30); at 30 ms one run in four of
  ``fast_single`` at half load fell behind (docs/history/benchmarks-2026-11.md).

Under a backlog an event is always in flight, and the timer and ``commit_every`` commit as
before (docs/history/benchmarks-2026-11.md).

The commit goes through faust's own ``Consumer.commit`` and so through the commit gate
(:class:`streams.worker.patches.transactions.CommitGate`): it waits for events in flight and holds
new ones back, exactly like a timed commit. Offsets and outputs stay in one transaction per input
partition; only how often transactions end changes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from streams.worker.patches.transactions import commit_gate


def wire_commit_when_idle(app: Any, quiet_s: float, waited_s: float, guarantee: str) -> None:
    """Add the task to a faust app; a no-op unless ``quiet_s`` or ``waited_s`` is positive and
    the guarantee is exactly-once (at-least-once output is visible at once: a commit only bounds
    replay).

    The guarantee comes from the settings, not from ``app.in_transaction``: that is a cached
    property, true only inside a running worker, and reading it while the app is being built
    caches ``False`` for good, which silently turns every exactly-once path off."""
    if (quiet_s <= 0 and waited_s <= 0) or guarantee != "exactly_once":
        return

    @app.task  # type: ignore[untyped-decorator]
    async def commit_when_idle() -> None:
        if app.in_transaction:  # read inside the running worker, where it is settled
            await commit_idle_loop(app, quiet_s, waited_s)


# How often a commit that is due looks again for a moment with no event in flight, when there is
# no quiet period to pace it: under a backlog it stays due, so this is a poll per interval.
_RECHECK_S = 0.0025


async def commit_idle_loop(app: Any, quiet_s: float, waited_s: float = 0.0) -> None:
    """Forever: wait for a finished event, then for ``quiet_s`` of quiet, or for no event in
    flight once it has waited ``waited_s`` (either off at 0), then commit."""
    gate = commit_gate(app)
    loop = asyncio.get_running_loop()
    while True:
        await gate.finished.wait()
        now = loop.time()
        quiet_for = now - gate.active_at
        waited = now - gate.finished_at
        quiet = quiet_s > 0 and quiet_for >= quiet_s
        due = waited_s > 0 and waited >= waited_s
        if not gate.idle() or not (quiet or due):
            # Wake when the quiet period would end or the wait fall due, whichever comes first.
            pauses = [max(quiet_s - quiet_for, quiet_s / 2)] if quiet_s > 0 else []
            if waited_s > 0:
                # Once due, no faster than the quiet period's own pace: under a backlog the
                # gate stays busy, and a tighter poll would only spend the worker's CPU.
                pauses.append(max(waited_s - waited, quiet_s / 2 if quiet_s > 0 else _RECHECK_S))
            await asyncio.sleep(min(pauses))
            continue
        # Cleared first: a commit that finds another under way returns at once, and must not
        # send this loop spinning. Events that finish meanwhile set it again.
        gate.finished.clear()
        if not app.rebalancing:  # faust commits what it must around a rebalance itself
            await app.consumer.commit()
