"""Fixes to faust-streaming 0.15.3's consumer around rebalances and restarts, applied by
:func:`streams.worker.patches.apply` with the exactly-once ones.

**Stale acks** (both guarantees). During a rebalance, faust's stream *skips* messages that were
fetched in an earlier consumer generation, or that arrive while flow control is paused, and it
**acks** them as it skips them (``faust/streams.py``, ``_py_aiter``: ``value = skipped_value``
then ``event.ack()``). An ack is what lets the consumer commit past an offset. When the partition
comes back to the same worker, those skipped offsets can end up committed although the agent never
processed them, so the items are lost. Our SIGKILL test caught it: 6 of 2,400 items missing, two
per partition, at the offsets fetched just before the restarted worker's second rebalance
(upstream: faust-streaming issues #221, #312 and #606 describe the same family of gap and
generation bugs). The fix: an ack for a message from an older generation, or made while flow
control is paused, is refused. The message is not lost: its partition is re-fetched from the
committed offset once the rebalance ends, and processed then. At worst an item is processed twice,
which the dedupe stage recognises by its origin (see ``streams.core.dedupe.decide``).

**Restart** (both guarantees; found once the exactly-once routing fix made every output
transactional, so that a
read_committed reader shows each extra publication). After a SIGKILL the restarted worker lost an
item or two at its committed offsets and published the last item of each partition twice:

- faust "pauses" a partition only by leaving it out of the set it passes to aiokafka's
  ``fetched_records``, and passes its *live* set, which it mutates. When recovery ends it pauses
  the changelog partitions, the set becomes empty while a fetch is waiting in the consumer thread,
  and aiokafka reads an empty set as "all partitions": the raw partitions were drained to their
  end (position 610) and faust dropped the records, as paused. Fix: aiokafka gets a copy.
- ``Recovery.on_recovery_completed`` resumes the stream partitions, then seeks them to their
  committed offsets, then resumes flow control, which *clears* the stream buffers. Records fetched
  in between were processed and then fetched again after the seek (faust's read-offset check lets
  the last one through twice), or sat in a buffer when it was cleared, and faust's gap check (off
  by one: it takes the committed offset for the last processed one) then committed past them.
  Fix: seek, clear, and only then resume the stream partitions. (The off-by-one itself stays:
  it is also what lets a consumer start at a committed offset that holds a transaction marker,
  as a topic written by an exactly-once stage does.)

**Gaps** (both guarantees; found by the SIGTERM test under exactly-once). faust marks the offsets
its fetcher jumps over, such as transaction markers, as done, but its interval also took in the
record just fetched, which then counted twice and held each commit to one gap
(``gap_excludes_next_message``).

These patches hook faust classes, not our agents or topics, so they hold for any layout: a stage
that reads a topic and writes a table and other topics gets the same guarantees. One limit stays
with faust's design: a transactional id is ``<group>-<partition>``, and the group number is shared
by all topics with the same partition count, so with several workers two single-partition topics
assigned to different workers would share (and fence each other on) one transactional id.
"""

from __future__ import annotations

import asyncio
from typing import Any

from streams.worker.patches.hook import install, unpatched


def refuse_stale_acks(consumer_cls: Any) -> None:
    """Wrap ``consumer_cls.ack`` so that skipped, stale messages never count as processed."""
    original = unpatched(consumer_cls, "ack")

    def ack(self: Any, message: Any) -> bool:
        app = self.app
        generation = getattr(message, "generation_id", None)
        stale = generation is not None and generation != app.consumer_generation_id
        if stale or not app.flow_control.is_active():
            return False
        return bool(original(self, message))

    install(consumer_cls, "ack", ack)


def gap_excludes_next_message(consumer_cls: Any) -> None:
    """``Consumer._add_gap(tp, r + 1, offset)`` marks offsets the fetcher jumped over (transaction
    markers, compacted records) as done, so commits can pass them. faust's interval runs to
    ``offset`` *inclusive*: the record that was just fetched, which its agent then acks too. The
    offset is then twice in the ack list, faust's run of consecutive offsets stops at the repeat,
    and each commit gets past only one gap. On a topic written by exactly-once producers there is
    a marker after every transaction, so the committed offset fell behind the processed one; at a
    graceful stop 33 processed records stayed uncommitted in one run and were read again by the
    next worker (the SIGTERM test under exactly_once). The gap now ends before the fetched
    record, as it did before faust-streaming PR #282 moved gaps into an interval tree
    (``range(from, to)`` became ``addi(from, to + 1)``); robinhood/faust #401 reports commits
    stalling on such gaps."""
    original = unpatched(consumer_cls, "_add_gap")

    async def _add_gap(self: Any, tp: Any, offset_from: int, offset_to: int) -> None:
        await original(self, tp, offset_from, offset_to - 1)

    install(consumer_cls, "_add_gap", _add_gap)


def fetch_only_active_partitions(consumer_cls: Any) -> None:
    """``Consumer._getmany``: ask aiokafka for a *copy* of the active partitions (restart fix 1)."""
    original = unpatched(consumer_cls, "_getmany")

    async def _getmany(self: Any, active_partitions: Any, timeout: float) -> Any:
        if active_partitions is None:  # client-only: every partition, by design
            return await original(self, active_partitions, timeout)
        snapshot = set(active_partitions)
        if not snapshot:
            return {}
        return await original(self, snapshot, timeout)

    install(consumer_cls, "_getmany", _getmany)


def seek_before_resuming_streams(recovery_cls: Any) -> None:
    """``Recovery.on_recovery_completed`` of faust 0.15.3 with its steps reordered (restart fix 2):
    seek the stream partitions to their committed offsets and clear the stream buffers *before*
    the stream partitions are resumed, so that nothing is delivered from before the seek."""

    async def on_recovery_completed(self: Any, generation_id: int = 0) -> None:
        app = self.app
        consumer = app.consumer
        self.log.info("Restore complete!")
        await app.on_rebalance_complete.send()
        self._set_recovery_ended()
        callbacks = [
            asyncio.ensure_future(
                table.on_recovery_completed(
                    self.actives_for_table[table], self.standbys_for_table[table]
                )
            )
            for table in self.tables.values()
        ]
        if callbacks:
            await asyncio.wait(callbacks)
        assignment = consumer.assignment()
        if app.consumer_generation_id != generation_id:
            self.log.warning(
                f"Recovery rebalancing again app id {app.consumer_generation_id} "
                f"param {generation_id}"
            )
            return
        streams = {tp for tp in assignment if not self._is_changelog_tp(tp)}
        if assignment:
            self.log.info("Seek stream partitions to committed offsets.")
            await self._wait(consumer.perform_seek(), timeout=app.conf.broker_request_timeout)
        self.completed.set()
        app.flow_control.resume()  # clears the stream buffers: nothing of these partitions yet
        consumer.resume_flow()
        consumer.resume_partitions(streams)
        await app._fetcher.maybe_start()
        self.tables.on_actives_ready()
        if not app.assignor.assigned_standbys():
            self.tables.on_standbys_ready()
        app.on_rebalance_end()
        self.log.info("Worker ready")

    install(recovery_cls, "on_recovery_completed", on_recovery_completed)
