"""The exactly-once (streams.worker.patches.transactions) and restart and gap patches
(streams.worker.patches.rebalance), on stand-ins for faust's classes.

The crash test (tests/integration/test_crash_recovery.py, exactly_once) proves them on a broker;
these pin down the mechanics: routing to the source transaction, the buffered-record drain, the
commit gate, the fetch snapshot, and where an offset gap ends.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from streams.worker import patches
from streams.worker.patches import producers, rebalance, transactions
from streams.worker.patches.hook import is_patch

pytestmark = pytest.mark.asyncio


@dataclass
class Conf:
    id: str = "ws"
    broker_request_timeout: float = 1.0


@dataclass
class App:
    in_transaction: bool = True
    conf: Conf = field(default_factory=Conf)
    producer: Any = None


class Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str | None]] = []

    async def send(self, topic: str, *args: Any, transactional_id: str | None = None) -> None:
        self.sent.append((topic, transactional_id))


class Manager:
    def __init__(self) -> None:
        self.app = App()
        self.producer = Producer()

    async def send(self, topic: str, *args: Any, transactional_id: str | None = None) -> None:
        self.producer.sent.append((topic, "by-destination"))


transactions.route_sends_to_source_transaction(Manager)


async def test_a_record_for_an_input_joins_that_inputs_transaction() -> None:
    manager = Manager()
    token = transactions._BUFFERED_SOURCE.set("ws-1-3")
    try:
        await manager.send("wire.enriched", b"k", b"v", None, None, None)
    finally:
        transactions._BUFFERED_SOURCE.reset(token)
    await manager.send("leader", b"k", b"v", None, None, None)  # no input: faust's own routing
    assert manager.producer.sent == [("wire.enriched", "ws-1-3"), ("leader", "by-destination")]


class Buffer:
    def __init__(self, app: App) -> None:
        self.app = app
        self.queue: list[Any] = []

    def put(self, fut: Any) -> None:
        self.queue.append(fut)

    async def _send_pending(self, fut: Any) -> None:
        fut.set_result(transactions._BUFFERED_SOURCE.get())


transactions.track_buffered_sends(Buffer)


async def test_a_commit_waits_for_buffered_records_and_refuses_a_failed_one() -> None:
    app = App()
    app.producer = type("P", (), {"buffer": Buffer(app)})()
    buffer = app.producer.buffer
    token = transactions._BUFFERED_SOURCE.set("ws-1-0")  # as if written inside an input's event
    try:
        sent, failed = asyncio.Future[Any](), asyncio.Future[Any]()
        buffer.put(sent)
        buffer.put(failed)
    finally:
        transactions._BUFFERED_SOURCE.reset(token)
    drain = asyncio.ensure_future(transactions.drain_buffered_sends(app))
    await asyncio.sleep(0.01)
    assert not drain.done()  # both still on their way
    await buffer._send_pending(sent)
    assert sent.result() == "ws-1-0"  # sent in the transaction of the event that wrote it
    failed.set_exception(OSError("broker gone"))
    with pytest.raises(RuntimeError, match="commit refused"):
        await drain


async def test_a_commit_waits_for_records_still_unsent_instead_of_crashing() -> None:
    app = App()
    app.conf.broker_request_timeout = 0.05
    app.producer = type("P", (), {"buffer": Buffer(app)})()
    unsent = asyncio.Future[Any]()  # its topic is gone: the send retries and never ends
    app.producer.buffer.put(unsent)
    assert await transactions.drain_buffered_sends(app) is False  # not now; nothing raised
    unsent.set_result("ws-1-0")
    assert await transactions.drain_buffered_sends(app) is True


async def test_the_gate_keeps_commits_and_events_apart() -> None:
    gate = transactions.CommitGate()
    holds: list[float] = []
    gate.on_hold = holds.append
    log: list[str] = []

    async def inner() -> Any:
        for n in (1, 2):
            try:
                yield n
            finally:
                log.append(f"ack {n}")  # faust acks when the agent asks for the next event

    async def agent() -> None:
        async for n in transactions._gated(gate, inner()):
            log.append(f"start {n}")
            await asyncio.sleep(0.05)
            log.append(f"end {n}")

    async def commit() -> None:
        await asyncio.sleep(0.01)  # event 1 is in flight by now
        async with gate.exclusive():
            log.append("commit")
            await asyncio.sleep(0.05)

    await asyncio.gather(agent(), commit())
    assert log == ["start 1", "end 1", "ack 1", "commit", "start 2", "end 2", "ack 2"]
    # One hold, from closing the gate (event 1 still in flight) to reopening it after the commit.
    assert len(holds) == 1
    assert holds[0] >= 0.04


async def test_a_dead_task_or_the_committing_task_does_not_hold_a_commit() -> None:
    gate = transactions.CommitGate()
    dead = asyncio.ensure_future(gate.enter())  # entered, then died without leaving
    await dead
    await gate.enter()  # this task has an event in flight and commits (faust's on_task_error)
    async with asyncio.timeout(1):
        async with gate.exclusive():
            pass


class Thread:
    def __init__(self) -> None:
        self.asked: list[Any] = []

    async def _getmany(self, active_partitions: Any, timeout: float) -> dict[Any, Any]:
        self.asked.append(active_partitions)
        return {}


rebalance.fetch_only_active_partitions(Thread)


async def test_aiokafka_gets_a_copy_of_the_active_partitions_never_an_empty_set() -> None:
    consumer = Thread()
    live = {"raw-0", "changelog-0"}
    await consumer._getmany(live, 1.0)
    live.clear()  # faust pauses partitions by mutating its set, perhaps while a fetch waits
    assert consumer.asked == [{"raw-0", "changelog-0"}]
    assert await consumer._getmany(live, 1.0) == {}  # empty means "all" to aiokafka: not asked
    assert len(consumer.asked) == 1


def _offsets_book(patched: bool) -> Any:
    """faust's own gap and commit-offset code (Consumer._add_gap, _new_offset) on a bare object."""
    from collections import defaultdict

    from faust.transport.consumer import Consumer
    from intervaltree import IntervalTree

    # faust's own method, also when another test has applied the fixes to Consumer already.
    add_gap = getattr(Consumer._add_gap, "__wrapped__", Consumer._add_gap)
    book_cls = type("Book", (), {"_add_gap": add_gap, "_new_offset": Consumer._new_offset})
    if patched:
        rebalance.gap_excludes_next_message(book_cls)
    book = book_cls()
    book._committed_offset = defaultdict(lambda: None)
    book._gap = defaultdict(IntervalTree)
    book._acked = defaultdict(list)
    book._acked_index = defaultdict(set)
    return book


@pytest.mark.parametrize(("patched", "committable"), [(True, 9), (False, 8)])
async def test_a_commit_passes_a_transaction_marker_in_one_go(
    patched: bool, committable: int
) -> None:
    # Records 0-5, a commit marker at 6, records 7-8: the fetcher sees 5 then 7 and, as faust does,
    # calls _add_gap(tp, 5 + 1, 7). All records processed, one commit must reach offset 9.
    book = _offsets_book(patched)
    await book._add_gap("raw-0", 6, 7)
    book._acked["raw-0"].extend([0, 1, 2, 3, 4, 5, 7, 8])
    # Unpatched, 7 is in the gap and acked too: the run of consecutive offsets breaks at the
    # repeat, and record 8, processed, stays uncommitted until a later commit.
    assert book._new_offset("raw-0") == committable


class TransactionalProducer:
    """faust's Producer.commit_transactions, one round trip per transactional id."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.committed: list[tuple[str, dict[str, int], bool]] = []

    async def commit_transactions(
        self, tid_to_offset_map: Any, group_id: str, start_new_transaction: bool = True
    ) -> None:
        for tid, offsets in tid_to_offset_map.items():
            self.running += 1
            self.most = max(self.most, self.running)
            await asyncio.sleep(0.01)
            self.running -= 1
            self.committed.append((tid, dict(offsets), start_new_transaction))


transactions.commit_transactions_at_once(TransactionalProducer)


@pytest.mark.parametrize("transactions", [1, 5])
async def test_transactions_commit_side_by_side_and_each_with_its_offsets(
    transactions: int,
) -> None:
    producer = TransactionalProducer()
    offsets = {f"ws-1-{p}": {f"raw-{p}": 10 + p} for p in range(transactions)}
    await producer.commit_transactions(offsets, "ws", start_new_transaction=False)
    assert sorted(producer.committed) == sorted((t, o, False) for t, o in offsets.items())
    assert producer.most == transactions


class SettingsProducer:
    """faust's Producer as far as its aiokafka settings go."""

    def __init__(self, in_transaction: bool) -> None:
        self.app = App(in_transaction=in_transaction)

    def _settings_extra(self) -> dict[str, Any]:
        return {"acks": "all"} if self.app.in_transaction else {}


@pytest.mark.parametrize(("in_transaction", "backoff"), [(True, 10), (False, None)])
async def test_transactional_producers_retry_sooner(
    in_transaction: bool, backoff: int | None
) -> None:
    sender = type("SenderModule", (), {"BACKOFF_OVERRIDE": 0.02})
    producers.wait_less_for_concurrent_transactions(sender)
    producers.retry_transactions_sooner(SettingsProducer)
    producers.retry_transactions_sooner(SettingsProducer)  # once is enough
    assert not is_patch(SettingsProducer._settings_extra.__wrapped__)  # type: ignore[attr-defined]
    assert sender.BACKOFF_OVERRIDE == producers.CONCURRENT_TRANSACTIONS_RETRY_S
    settings = SettingsProducer(in_transaction)._settings_extra()
    assert settings.get("retry_backoff_ms") == backoff
    assert settings.get("acks") == ("all" if in_transaction else None)


async def test_aiokafka_still_reads_the_concurrent_transactions_wait_at_call_time() -> None:
    # The patch sets a module constant; it works only while aiokafka looks it up when it answers
    # CONCURRENT_TRANSACTIONS, as 0.12 does. A newer aiokafka that copies it must fail here.
    from aiokafka.producer import sender

    names = sender.AddPartitionsToTxnHandler.handle_response.__code__.co_names
    assert "BACKOFF_OVERRIDE" in names
    patches.apply()
    assert sender.BACKOFF_OVERRIDE == producers.CONCURRENT_TRANSACTIONS_RETRY_S
