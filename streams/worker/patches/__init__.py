"""The fixes wirestream applies to faust-streaming, behind one :func:`apply` and one version gate.

faust-streaming 0.15.3 loses or repeats items around rebalances, restarts and Kafka transactions;
each fix, with the evidence that found it, is documented where it is written:

- :mod:`.rebalance`: stale acks, offset gaps, the fetcher's partition set, the recovery order;
- :mod:`.transactions`: exactly-once routing, buffered table writes, the commit gate, commits
  that run concurrently, recovery's last stable offsets;
- :mod:`.producers`: transactional producers that retry sooner, survive a broken connection while
  they look up their coordinator, and start clean after a rebalance.

Each fix replaces one faust (or aiokafka) attribute, listed in :data:`PATCHES` with the
parameters of the faust function it was written against. :func:`apply` refuses to run on any
faust version but :data:`FAUST_VERSION` (pinned exactly in ``pyproject.toml``): an upgrade means
re-reading every target listed, and ``tests/unit/test_faust_patches.py`` checks each one against
the installed faust.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streams.errors import ConfigError
from streams.worker.patches import producers, rebalance, transactions

FAUST_VERSION = "0.15.3"


@dataclass(frozen=True, slots=True)
class Patch:
    """One replaced attribute: ``module:Owner.name``, the parameters faust's version of it takes
    (None for a plain value), and the function that installs the fix on the owner."""

    target: str
    parameters: tuple[str, ...] | None
    install: Callable[[Any], None]

    def owner(self) -> Any:
        module, _, path = self.target.partition(":")
        owner: Any = importlib.import_module(module)
        for part in path.split(".")[:-1]:
            owner = getattr(owner, part)
        return owner

    @property
    def name(self) -> str:
        return self.target.partition(":")[2].rsplit(".", 1)[-1]


PATCHES: tuple[Patch, ...] = (
    Patch(
        "faust.transport.consumer:Consumer.ack", ("self", "message"), rebalance.refuse_stale_acks
    ),
    Patch(
        "faust.transport.consumer:Consumer._add_gap",
        ("self", "tp", "offset_from", "offset_to"),
        rebalance.gap_excludes_next_message,
    ),
    Patch(
        "faust.transport.consumer:ThreadDelegateConsumer._getmany",
        ("self", "active_partitions", "timeout"),
        rebalance.fetch_only_active_partitions,
    ),
    Patch(
        "faust.tables.recovery:Recovery.on_recovery_completed",
        ("self", "generation_id"),
        rebalance.seek_before_resuming_streams,
    ),
    Patch(
        "faust.transport.consumer:TransactionManager.send",
        ("self", "topic", "key", "value", "partition", "timestamp", "headers", "transactional_id"),
        transactions.route_sends_to_source_transaction,
    ),
    Patch(
        "faust.transport.producer:ProducerBuffer.put",
        ("self", "fut"),
        transactions.track_buffered_sends,
    ),
    Patch(
        "faust.transport.producer:ProducerBuffer._send_pending",
        ("self", "fut"),
        transactions.track_buffered_sends,
    ),
    Patch(
        "faust.transport.consumer:Consumer.force_commit",
        ("self", "topics", "start_new_transaction"),
        transactions.commit_transactions_whole,
    ),
    Patch("faust.streams:Stream.__aiter__", ("self",), transactions.gate_stream_iteration),
    Patch(
        "faust.transport.drivers.aiokafka:AIOKafkaConsumerThread._highwaters",
        ("self", "partitions"),
        transactions.fresh_recovery_highwaters,
    ),
    Patch(
        "faust.transport.drivers.aiokafka:Producer.commit_transactions",
        ("self", "tid_to_offset_map", "group_id", "start_new_transaction"),
        transactions.commit_transactions_at_once,
    ),
    Patch(
        "faust.transport.drivers.aiokafka:Producer._settings_extra",
        ("self",),
        producers.retry_transactions_sooner,
    ),
    Patch(
        "faust.transport.drivers.aiokafka:Producer.maybe_begin_transaction",
        ("self", "transactional_id"),
        producers.fresh_producers_after_rebalance,
    ),
    Patch(
        "aiokafka.producer.sender:Sender._find_coordinator",
        ("self", "coordinator_type", "coordinator_key"),
        producers.retry_coordinator_lookups,
    ),
    Patch(
        "aiokafka.producer.sender:BACKOFF_OVERRIDE",
        None,
        producers.wait_less_for_concurrent_transactions,
    ),
)


def apply() -> None:
    """Install every fix (again is harmless: a fix always wraps faust's own function)."""
    import faust

    if faust.__version__ != FAUST_VERSION:
        targets = "\n".join(f"  {patch.target}" for patch in PATCHES)
        raise ConfigError(
            f"faust-streaming {faust.__version__} is installed, but wirestream's fixes to faust "
            f"were written for {FAUST_VERSION} (streams/worker/patches). Install "
            f"faust-streaming=={FAUST_VERSION}, or re-check each patched target against the new "
            f"version and raise FAUST_VERSION:\n{targets}"
        )
    for patch in PATCHES:
        patch.install(patch.owner())


__all__ = ["FAUST_VERSION", "PATCHES", "Patch", "apply"]
