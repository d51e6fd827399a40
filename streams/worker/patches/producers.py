"""Fixes to faust's and aiokafka's transactional producers, applied by
:func:`streams.worker.patches.apply`: they retry sooner (latency), survive a broken connection
while looking up their coordinator, and start clean after every rebalance (both found by
``tests/integration/test_faults.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from streams.worker.patches.hook import install, unpatched

# aiokafka's waits before it retries, under transactions: after CONCURRENT_TRANSACTIONS on the
# first AddPartitionsToTxn of a transaction (aiokafka: 20 ms, KAFKA-5477), and any other retry
# (retry_backoff_ms, 100 ms). The broker closes a transaction in a few milliseconds here.
CONCURRENT_TRANSACTIONS_RETRY_S = 0.002
TRANSACTIONAL_RETRY_BACKOFF_MS = 10


def wait_less_for_concurrent_transactions(sender_module: Any) -> None:
    """aiokafka's wait after ``CONCURRENT_TRANSACTIONS``: 2 ms, not 20 (see
    :func:`retry_transactions_sooner`)."""
    sender_module.BACKOFF_OVERRIDE = CONCURRENT_TRANSACTIONS_RETRY_S


def retry_transactions_sooner(producer_cls: Any) -> None:
    """A transaction's first send waits 2 ms, not 20, before asking again to add its partition
    while the broker still closes the previous transaction; transactional producers retry after
    10 ms, not 100.

    Right after a commit the broker is still writing the previous transaction's markers and
    answers ``CONCURRENT_TRANSACTIONS``; aiokafka's fixed 20 ms wait made every transaction last
    about 30 ms, and its 100 ms backoff made the tail. Measured with ``python -m
    bench.transaction_commit`` on the project's broker: median 29-30 -> 10 ms, p90 39-121 -> 21
    ms. The commit gate holds events back for a commit's duration, so cheaper commits are what
    lets the worker commit more often (``worker.commit_when_waited_s``) without losing capacity.
    Each retry is one small request; at-least-once producers are left as they are."""
    original = unpatched(producer_cls, "_settings_extra")

    def _settings_extra(self: Any) -> Any:
        settings = dict(original(self))
        if self.app.in_transaction:
            settings["retry_backoff_ms"] = TRANSACTIONAL_RETRY_BACKOFF_MS
        return settings

    install(producer_cls, "_settings_extra", _settings_extra)


# How long a transactional producer waits before it asks again for its coordinator after the
# connection to the cluster broke: long enough not to spin while a broker is down.
COORDINATOR_RETRY_S = 0.5


def retry_coordinator_lookups(sender_cls: Any) -> None:
    """``Sender._find_coordinator`` (aiokafka) retries a lookup that failed because the
    connection broke, as it already retries one that found no coordinator.

    aiokafka retries ``CoordinatorNotAvailable``, ``NodeNotReady`` and ``RequestTimedOut`` there,
    but turns any other error, the retriable ``KafkaConnectionError`` included, into a plain
    ``KafkaError``, which the sender routine treats as unexpected: it fails every pending batch
    and dies. Seen in ``tests/integration/test_faults.py``: the broker stopped while a
    transaction was open, faust's consumer crashed on "Unexpected error during batch delivery"
    and the worker never published again after the broker came back. The retry reads the error's
    ``retriable`` flag; errors that are not retriable still fail as before."""
    original = unpatched(sender_cls, "_find_coordinator")

    async def _find_coordinator(self: Any, coordinator_type: Any, coordinator_key: Any) -> Any:
        while True:
            try:
                return await original(self, coordinator_type, coordinator_key)
            except Exception as exc:
                cause = exc.__cause__
                if not getattr(cause, "retriable", False):
                    raise
            await asyncio.sleep(COORDINATOR_RETRY_S)

    install(sender_cls, "_find_coordinator", _find_coordinator)


# How long a rebalance waits for an old transactional producer to stop before it leaves it.
PRODUCER_STOP_TIMEOUT_S = 10.0


def fresh_producers_after_rebalance(producer_cls: Any) -> None:
    """``Producer.maybe_begin_transaction``, called for every assigned partition at each
    rebalance: the partition's transactional producer is replaced by a new one.

    faust reuses the producer of a partition the worker keeps and asks it to begin a
    transaction, which fails (and is only logged) when the producer is still inside the one it
    had: after a network partition long enough for the group to drop the worker, the commit in
    flight, the open transaction and the next rebalance left a producer in a state from which a
    partition never published again (``tests/integration/test_faults.py``, in about half the
    runs). Whatever such a transaction holds belongs to offsets that were not committed, which
    the consumer reads again after the rebalance; so it must not commit. A new producer with the
    same transactional id does what Kafka offers for exactly this: its initialisation bumps the
    epoch and the broker aborts the old transaction (zombie fencing)."""
    original = unpatched(producer_cls, "maybe_begin_transaction")

    async def maybe_begin_transaction(self: Any, transactional_id: str) -> None:
        old = self._transaction_producers.pop(transactional_id, None)
        if old is not None:
            self._trn_locks.pop(transactional_id, None)  # a stuck commit may hold the old one
            with contextlib.suppress(Exception):
                await asyncio.wait_for(old.stop(), PRODUCER_STOP_TIMEOUT_S)
        await original(self, transactional_id)

    install(producer_cls, "maybe_begin_transaction", maybe_begin_transaction)
