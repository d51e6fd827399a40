"""Targeted fixes to faust-streaming 0.15.3, applied once by ``streams.app`` (:func:`apply`).

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
which the dedupe stage recognises by its origin (see ``streams.core.dedupe``).

**Exactly-once** (``processing_guarantee="exactly_once"`` only; at-least-once is untouched).
faust keeps one transactional producer per assigned input partition, named
``<app id>-<group>-<partition>``, and commits an input partition's offsets inside that producer's
transaction (``TransactionManager.commit``). Everything an input record causes must therefore be
written in *that* transaction, and the transaction must hold nothing else. faust 0.15.3 breaks
this three ways, each seen in our SIGKILL test (``tests/integration/test_crash_recovery.py``):

1. Outputs are routed by their *destination*. ``TransactionManager.send`` picks the transactional
   id from the partition the record goes to, looked up in the *consumer's* metadata, which only
   knows subscribed topics. For ``wire.enriched`` that lookup is ``None``, so every enriched event
   and dead letter went through the plain, non-transactional producer: no transaction markers on
   the topic at all, and 28-150 events published twice after a SIGKILL, read_committed or not
   (upstream: faust-streaming #177, #517). Even for a known topic the destination's partition
   number names an unrelated input partition's transaction. Fix: a record sent while an input
   event is being processed goes into the transaction of that event's partition.
2. Table changelog records are sent with ``send_soon``, through faust's ``ProducerBuffer``, and the
   exactly-once commit does not wait for that buffer (the at-least-once path calls
   ``producer.flush()`` first; ``Consumer._commit_offsets``). An input offset was committed while
   its dedupe record still sat in the buffer; the record then went into the *next* transaction,
   which the SIGKILL aborted. Evidence: raw ``0:140`` committed (group offset 142 after the kill)
   while its changelog record (changelog ``0:142``) was aborted; after the restart its re-send came
   out ``unique`` as well (robinhood/faust #340 reports the same lost table updates). Fix: the
   commit first waits until every buffered record has been handed to its transaction and acked,
   each routed to the transaction of the event that wrote it.
3. The commit runs beside the agents (a timer, the fetcher's ``commit_every``), so a transaction
   could be committed while an event was half done: its outputs inside, its offset not yet acked,
   so a crash would replay it and publish it again. Fix: a gate. A transactional commit waits for
   the events in flight to finish (and be acked: faust acks an event synchronously when the agent
   asks for the next one), and no event starts until the commit is done.

Also, table recovery read the changelog's last stable offset from aiokafka's *cache*
(``last_stable_offset``, filled by whatever fetch happened to run after the assignment: stale, the
value from before the old producers were fenced, and ``None`` for a partition not fetched yet,
which recovery takes for an empty partition and skips). Fix: ask the broker (``end_offsets`` with
the consumer's ``read_committed`` isolation returns the last stable offset).

**Restart** (both guarantees; found once fix 1 made every output transactional, so that a
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

These patches hook faust classes, not our agents or topics, so they hold for any layout: a stage
that reads a topic and writes a table and other topics gets the same guarantees. One limit stays
with faust's design: a transactional id is ``<group>-<partition>``, and the group number is shared
by all topics with the same partition count, so with several workers two single-partition topics
assigned to different workers would share (and fence each other on) one transactional id.
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any

# The source transaction of a record being sent from faust's ProducerBuffer task, where no event
# is current: captured when the record was buffered, inside the event that wrote it.
_BUFFERED_SOURCE: ContextVar[str | None] = ContextVar("wirestream_buffered_source", default=None)


def refuse_stale_acks(consumer_cls: Any) -> None:
    """Wrap ``consumer_cls.ack`` so that skipped, stale messages never count as processed."""
    original = consumer_cls.ack
    if getattr(original, "refuses_stale_acks", False):
        return  # already wrapped: wrapping twice would be harmless, but noisy in tracebacks

    def ack(self: Any, message: Any) -> bool:
        app = self.app
        generation = getattr(message, "generation_id", None)
        stale = generation is not None and generation != app.consumer_generation_id
        if stale or not app.flow_control.is_active():
            return False
        return bool(original(self, message))

    ack.__doc__ = original.__doc__
    ack.refuses_stale_acks = True  # type: ignore[attr-defined]
    consumer_cls.ack = ack


def _transactional(app: Any) -> bool:
    return bool(getattr(app, "in_transaction", False))


def source_transactional_id(app: Any) -> str | None:
    """The transactional id that commits the offset of the input being processed, named as
    ``TransactionManager.commit`` names it; ``None`` outside an event."""
    buffered = _BUFFERED_SOURCE.get()
    if buffered is not None:
        return buffered
    from faust.streams import current_event

    event = current_event()
    if event is None:
        return None
    message = event.message
    try:
        group = app.assignor.group_for_topic(message.topic)
    except KeyError:
        return None
    return f"{app.conf.id}-{group}-{message.partition}"


class CommitGate:
    """Events in flight versus a transactional commit (fix 3 above).

    An event is *in flight* from the moment its stream hands it to the agent until the agent asks
    for the next one (when faust acks it). ``exclusive()`` closes the gate to new events and waits
    until no other task has an event in flight. A task that died with an event in flight, or the
    committing task itself (faust commits from an agent's task after the agent raised), does not
    hold a commit up.
    """

    def __init__(self) -> None:
        self._inflight: dict[int, asyncio.Task[Any] | None] = {}
        self._serial = 0
        self._open = asyncio.Event()
        self._open.set()
        self._changed = asyncio.Event()
        self._committing = asyncio.Lock()

    async def enter(self) -> int:
        while not self._open.is_set():
            await self._open.wait()
        self._serial += 1
        self._inflight[self._serial] = asyncio.current_task()
        return self._serial

    def leave(self, token: int) -> None:
        self._inflight.pop(token, None)
        self._changed.set()

    def _busy(self) -> bool:
        me = asyncio.current_task()
        return any(t is not me and t is not None and not t.done() for t in self._inflight.values())

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._committing:
            self._open.clear()
            try:
                while self._busy():
                    self._changed.clear()
                    # Polled as well, for a task that ends without leaving.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), 0.1)
                yield
            finally:
                self._open.set()


def commit_gate(app: Any) -> CommitGate:
    gate: CommitGate | None = app.__dict__.get("_wirestream_commit_gate")
    if gate is None:
        gate = app.__dict__["_wirestream_commit_gate"] = CommitGate()
    return gate


async def _gated(gate: CommitGate, iterator: Any) -> AsyncIterator[Any]:
    token: int | None = None
    try:
        while True:
            if token is not None:
                gate.leave(token)
                token = None
            # Resuming faust's iterator acks the previous event before its first await, so a
            # commit woken by leave() above runs only after that ack.
            try:
                value = await iterator.__anext__()
            except StopAsyncIteration:
                return
            token = await gate.enter()
            yield value
    finally:
        if token is not None:
            gate.leave(token)


def gate_stream_iteration(stream_cls: Any) -> None:
    """Under exactly-once, every stream iteration passes through the app's :class:`CommitGate`."""
    original = stream_cls.__aiter__
    if getattr(original, "gated", False):
        return

    def __aiter__(self: Any) -> Any:  # noqa: N807 - the protocol method being wrapped
        iterator = original(self)
        if not _transactional(self.app):
            return iterator
        gated = _gated(commit_gate(self.app), iterator)
        self._active_agens.add(gated)  # closed by Stream.on_stop like faust's own iterator
        return gated

    __aiter__.gated = True  # type: ignore[attr-defined]
    stream_cls.__aiter__ = __aiter__


def route_sends_to_source_transaction(manager_cls: Any) -> None:
    """``TransactionManager.send``: a record produced for an input event joins the transaction
    that commits that event's offset (fix 1 above); other sends keep faust's routing."""
    original = manager_cls.send
    if getattr(original, "routes_to_source", False):
        return

    async def send(  # noqa: PLR0917 - faust's signature
        self: Any,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        timestamp: float | None,
        headers: Any,
        *,
        transactional_id: str | None = None,
    ) -> Any:
        source = source_transactional_id(self.app)
        if source is None:
            return await original(
                self, topic, key, value, partition, timestamp, headers,
                transactional_id=transactional_id,
            )  # fmt: skip
        # partition None: the producer's partitioner (the same murmur2 faust uses) picks it.
        return await self.producer.send(
            topic, key, value, partition, timestamp, headers, transactional_id=source
        )

    send.routes_to_source = True  # type: ignore[attr-defined]
    manager_cls.send = send


def _buffered(buffer: Any) -> dict[Any, str | None]:
    pending: dict[Any, str | None] | None = buffer.__dict__.get("_wirestream_pending")
    if pending is None:
        pending = buffer.__dict__["_wirestream_pending"] = {}
    return pending


def track_buffered_sends(buffer_cls: Any) -> None:
    """``ProducerBuffer``: remember which event's transaction each buffered record belongs to, and
    which records are still on their way (fix 2 above)."""
    original_put = buffer_cls.put
    original_send = buffer_cls._send_pending
    if getattr(original_put, "tracks_sources", False):
        return

    def put(self: Any, fut: Any) -> None:
        app = self.app
        if app is not None and _transactional(app):
            pending = _buffered(self)
            pending[fut] = source_transactional_id(app)
            fut.add_done_callback(lambda done: pending.pop(done, None))
        original_put(self, fut)

    async def _send_pending(self: Any, fut: Any) -> None:
        token = _BUFFERED_SOURCE.set(_buffered(self).get(fut))
        try:
            await original_send(self, fut)
        except BaseException as exc:
            if not fut.done():  # wake a commit waiting for it; it must not commit past this
                fut.set_exception(exc)
            raise
        finally:
            _BUFFERED_SOURCE.reset(token)

    put.tracks_sources = True  # type: ignore[attr-defined]
    buffer_cls.put = put
    buffer_cls._send_pending = _send_pending


async def drain_buffered_sends(app: Any) -> None:
    """Wait until every buffered record is in its transaction and acked; raise if one failed,
    since committing would then commit an offset without its table change."""
    pending = list(_buffered(app.producer.buffer))
    if not pending:
        return
    done, late = await asyncio.wait(pending, timeout=app.conf.broker_request_timeout)
    failed = [f for f in done if not f.cancelled() and f.exception() is not None]
    if late or failed:
        raise RuntimeError(
            f"exactly-once commit refused: {len(late)} buffered records unsent, "
            f"{len(failed)} failed (first: {failed[0].exception()!r})"
            if failed
            else f"exactly-once commit refused: {len(late)} buffered records unsent"
        )


def commit_transactions_whole(consumer_cls: Any) -> None:
    """``Consumer.force_commit`` under exactly-once: no event in flight, buffered records sent,
    then faust's commit (fixes 2 and 3 above)."""
    original = consumer_cls.force_commit
    if getattr(original, "commits_whole", False):
        return

    async def force_commit(self: Any, *args: Any, **kwargs: Any) -> bool:
        app = self.app
        if not _transactional(app):
            return bool(await original(self, *args, **kwargs))
        async with commit_gate(app).exclusive():
            await drain_buffered_sends(app)
            return bool(await original(self, *args, **kwargs))

    force_commit.commits_whole = True  # type: ignore[attr-defined]
    consumer_cls.force_commit = force_commit


def gap_excludes_next_message(consumer_cls: Any) -> None:
    """``Consumer._add_gap(tp, r + 1, offset)`` marks offsets the fetcher jumped over (transaction
    markers, compacted records) as done, so commits can pass them. faust's interval runs to
    ``offset`` *inclusive*: the record that was just fetched, which its agent then acks too. The
    offset is then twice in the ack list, faust's run of consecutive offsets stops at the repeat,
    and each commit gets past only one gap. On a topic written by exactly-once producers there is
    a marker after every transaction, so the committed offset fell behind the processed one; at a
    graceful stop up to 49 processed records stayed uncommitted and were read again by the next
    worker (the SIGTERM test under exactly_once). The gap now ends before the fetched record, as
    it did before faust-streaming PR #282 moved gaps into an interval tree (``range(from, to)``
    became ``addi(from, to + 1)``); robinhood/faust #401 reports commits stalling on such gaps."""
    original = consumer_cls._add_gap
    if getattr(original, "excludes_next", False):
        return

    async def _add_gap(self: Any, tp: Any, offset_from: int, offset_to: int) -> None:
        await original(self, tp, offset_from, offset_to - 1)

    _add_gap.excludes_next = True  # type: ignore[attr-defined]
    consumer_cls._add_gap = _add_gap


def fresh_recovery_highwaters(thread_cls: Any) -> None:
    """Under exactly-once, the changelog's last stable offset comes from the broker (ListOffsets
    with read_committed), not from aiokafka's per-fetch cache, which may be stale or ``None``."""
    original = thread_cls._highwaters
    if getattr(original, "asks_broker", False):
        return

    async def _highwaters(self: Any, partitions: Any) -> Any:
        if not self.consumer.in_transaction:
            return await original(self, partitions)
        return await self._ensure_consumer().end_offsets(partitions)

    _highwaters.asks_broker = True  # type: ignore[attr-defined]
    thread_cls._highwaters = _highwaters


def fetch_only_active_partitions(consumer_cls: Any) -> None:
    """``Consumer._getmany``: ask aiokafka for a *copy* of the active partitions (restart fix 1)."""
    original = consumer_cls._getmany
    if getattr(original, "snapshots", False):
        return

    async def _getmany(self: Any, active_partitions: Any, timeout: float) -> Any:
        if active_partitions is None:  # client-only: every partition, by design
            return await original(self, active_partitions, timeout)
        snapshot = set(active_partitions)
        if not snapshot:
            return {}
        return await original(self, snapshot, timeout)

    _getmany.snapshots = True  # type: ignore[attr-defined]
    consumer_cls._getmany = _getmany


def seek_before_resuming_streams(recovery_cls: Any) -> None:
    """``Recovery.on_recovery_completed`` of faust 0.15.3 with its steps reordered (restart fix 2):
    seek the stream partitions to their committed offsets and clear the stream buffers *before*
    the stream partitions are resumed, so that nothing is delivered from before the seek."""
    original = recovery_cls.on_recovery_completed
    if getattr(original, "seeks_first", False):
        return

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

    on_recovery_completed.seeks_first = True  # type: ignore[attr-defined]
    recovery_cls.on_recovery_completed = on_recovery_completed


def apply() -> None:
    import faust
    from faust.streams import Stream
    from faust.tables.recovery import Recovery
    from faust.transport.consumer import Consumer, ThreadDelegateConsumer, TransactionManager
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
    from faust.transport.producer import ProducerBuffer

    refuse_stale_acks(Consumer)
    gap_excludes_next_message(Consumer)
    route_sends_to_source_transaction(TransactionManager)
    track_buffered_sends(ProducerBuffer)
    commit_transactions_whole(Consumer)
    gate_stream_iteration(Stream)
    fresh_recovery_highwaters(AIOKafkaConsumerThread)
    fetch_only_active_partitions(ThreadDelegateConsumer)
    if faust.__version__ == "0.15.3":  # a copy of that version's method, reordered
        seek_before_resuming_streams(Recovery)
    else:
        warnings.warn(
            f"streams.faust_fixes: faust {faust.__version__} is not 0.15.3; the reordered "
            "Recovery.on_recovery_completed was not applied (re-check it against this version)",
            RuntimeWarning,
            stacklevel=2,
        )
