"""Exactly-once fixes to faust-streaming 0.15.3, applied by :func:`streams.worker.patches.apply`.

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

And, for latency only: the input partitions' transactions commit concurrently, not one after
another (:func:`commit_transactions_at_once`). The transactional producers themselves are patched
in :mod:`streams.worker.patches.producers`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from typing import Any

from streams.logs import get_logger
from streams.worker.patches.hook import install, unpatched

log = get_logger("wirestream.worker")

# The source transaction of a record being sent from faust's ProducerBuffer task, where no event
# is current: captured when the record was buffered, inside the event that wrote it.
_BUFFERED_SOURCE: ContextVar[str | None] = ContextVar("wirestream_buffered_source", default=None)


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
        # For streams.worker.commit_when_idle: set when an event finished since the last commit
        # began, the loop time of the first event to finish since then (its outputs have waited
        # since), and the loop time of the last event to start or finish.
        self.finished = asyncio.Event()
        self.finished_at = 0.0
        self.active_at = 0.0
        # Told how long each commit held new events back (wirestream_commit_hold_seconds).
        self.on_hold: Callable[[float], None] | None = None

    async def enter(self) -> int:
        while not self._open.is_set():
            await self._open.wait()
        self._serial += 1
        self._inflight[self._serial] = asyncio.current_task()
        self.active_at = asyncio.get_running_loop().time()
        return self._serial

    def leave(self, token: int) -> None:
        self._inflight.pop(token, None)
        self._changed.set()
        self.active_at = asyncio.get_running_loop().time()
        if not self.finished.is_set():
            self.finished_at = self.active_at
            self.finished.set()

    def idle(self) -> bool:
        """No event in flight (the caller's own aside)."""
        return not self._busy()

    def _busy(self) -> bool:
        me = asyncio.current_task()
        return any(t is not me and t is not None and not t.done() for t in self._inflight.values())

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._committing:
            self._open.clear()
            closed_at = time.perf_counter()
            try:
                while self._busy():
                    self._changed.clear()
                    # Polled as well, for a task that ends without leaving.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), 0.1)
                self.finished.clear()  # whatever finished so far, this commit covers
                yield
            finally:
                self._open.set()
                if self.on_hold is not None:
                    self.on_hold(time.perf_counter() - closed_at)


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
    original = unpatched(stream_cls, "__aiter__")

    def __aiter__(self: Any) -> Any:  # noqa: N807 - the protocol method being wrapped
        iterator = original(self)
        if not _transactional(self.app):
            return iterator
        gated = _gated(commit_gate(self.app), iterator)
        self._active_agens.add(gated)  # closed by Stream.on_stop like faust's own iterator
        return gated

    install(stream_cls, "__aiter__", __aiter__)


def route_sends_to_source_transaction(manager_cls: Any) -> None:
    """``TransactionManager.send``: a record produced for an input event joins the transaction
    that commits that event's offset (fix 1 above); other sends keep faust's routing."""
    original = unpatched(manager_cls, "send")

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

    install(manager_cls, "send", send)


def _buffered(buffer: Any) -> dict[Any, str | None]:
    pending: dict[Any, str | None] | None = buffer.__dict__.get("_wirestream_pending")
    if pending is None:
        pending = buffer.__dict__["_wirestream_pending"] = {}
    return pending


def track_buffered_sends(buffer_cls: Any) -> None:
    """``ProducerBuffer``: remember which event's transaction each buffered record belongs to, and
    which records are still on their way (fix 2 above)."""
    original_put = unpatched(buffer_cls, "put")
    original_send = unpatched(buffer_cls, "_send_pending")

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

    install(buffer_cls, "put", put)
    install(buffer_cls, "_send_pending", _send_pending)


async def drain_buffered_sends(app: Any) -> bool:
    """Wait until every buffered record is in its transaction and acked. False when some are
    still on their way after ``broker_request_timeout`` (an output topic gone, a broker slow):
    the commit waits for a later round, as committing would commit offsets past items whose
    output is not written. A record that failed raises: its item's output is lost to this
    transaction, which must not commit."""
    pending = list(_buffered(app.producer.buffer))
    if not pending:
        return True
    done, late = await asyncio.wait(pending, timeout=app.conf.broker_request_timeout)
    failed = [f for f in done if not f.cancelled() and f.exception() is not None]
    if failed:
        raise RuntimeError(
            f"exactly-once commit refused: {len(failed)} buffered records failed "
            f"(first: {failed[0].exception()!r}), {len(late)} unsent"
        )
    if late:
        log.warning("commit_deferred", unsent=len(late), reason="buffered records not yet acked")
        return False
    return True


def commit_transactions_whole(consumer_cls: Any) -> None:
    """``Consumer.force_commit`` under exactly-once: no event in flight, buffered records sent,
    then faust's commit (fixes 2 and 3 above)."""
    original = unpatched(consumer_cls, "force_commit")

    async def force_commit(self: Any, *args: Any, **kwargs: Any) -> bool:
        app = self.app
        if not _transactional(app):
            return bool(await original(self, *args, **kwargs))
        async with commit_gate(app).exclusive():
            if not await drain_buffered_sends(app):
                return False
            return bool(await original(self, *args, **kwargs))

    install(consumer_cls, "force_commit", force_commit)


def commit_transactions_at_once(producer_cls: Any) -> None:
    """``Producer.commit_transactions``: the input partitions' transactions commit concurrently.

    faust commits them one after another, each two or three broker round trips (its offsets, the
    end of the transaction, the next one's start), while the commit gate holds every event back.
    They are independent (a producer and a lock each), so they now run side by side: a commit
    takes as long as the slowest transaction, not the sum of them. Latency, not correctness: an
    item that arrives during a commit waits for it."""
    original = unpatched(producer_cls, "commit_transactions")

    async def commit_transactions(
        self: Any, tid_to_offset_map: Any, group_id: str, start_new_transaction: bool = True
    ) -> None:
        if len(tid_to_offset_map) <= 1:
            await original(self, tid_to_offset_map, group_id, start_new_transaction)
            return
        await asyncio.gather(
            *(
                original(self, {tid: offsets}, group_id, start_new_transaction)
                for tid, offsets in tid_to_offset_map.items()
            )
        )

    install(producer_cls, "commit_transactions", commit_transactions)


def fresh_recovery_highwaters(thread_cls: Any) -> None:
    """Under exactly-once, the changelog's last stable offset comes from the broker (ListOffsets
    with read_committed), not from aiokafka's per-fetch cache, which may be stale or ``None``."""
    original = unpatched(thread_cls, "_highwaters")

    async def _highwaters(self: Any, partitions: Any) -> Any:
        if not self.consumer.in_transaction:
            return await original(self, partitions)
        return await self._ensure_consumer().end_offsets(partitions)

    install(thread_cls, "_highwaters", _highwaters)
