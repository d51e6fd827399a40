"""How long one Kafka transaction commit takes: the floor under exactly_once latency.

Under exactly_once the worker's outputs become visible when their transaction commits, and while a
commit is under way the commit gate (streams/worker/patches/transactions.py) holds new events back.
So the wall time of one commit bounds how often the worker can commit without losing capacity, and
with it the latency it can offer under load (docs/benchmarks.md, "What the figures say").

This probe does what the worker does between two commits, with aiokafka as faust uses it: a
transactional producer begins a transaction, sends one record, then
``send_offsets_to_transaction`` and ``commit_transaction``, all timed together; repeated
``--commits`` times against a fresh local broker started by the project's own script (or
``--bootstrap``). Prints wall and CPU time per transaction, median and spread.
``--concurrent-retry-s`` sets aiokafka's wait before it retries adding a partition to a
transaction whose predecessor the broker is still closing (``BACKOFF_OVERRIDE``, 20 ms), and
``--retry-backoff-s`` its other retries' wait (100 ms): measured here, they are most of a
transaction's wall time (docs/benchmarks.md, "What a commit costs").
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.producer import sender

from harness.services import start_kafka

OUT, IN, GROUP = "probe.out", "probe.in", "probe"
# The first transactions wait for the broker to create its transaction log; they are not timed.
WARM_UP = 10


async def measure(
    bootstrap: str, commits: int, linger_s: float, backoff_s: float = 0.1
) -> tuple[list[float], list[float]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(OUT, 1, 1), NewTopic(IN, 1, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        transactional_id="probe-1",
        linger_ms=int(linger_s * 1000),
        retry_backoff_ms=int(backoff_s * 1000),
    )
    await producer.start()
    wall: list[float] = []
    cpu: list[float] = []
    try:
        for n in range(WARM_UP + commits):
            tick, tock = time.perf_counter(), time.process_time()
            await producer.begin_transaction()
            await producer.send(OUT, b"x" * 1000)
            await producer.send_offsets_to_transaction({TopicPartition(IN, 0): n + 1}, GROUP)
            await producer.commit_transaction()
            if n >= WARM_UP:
                wall.append(time.perf_counter() - tick)
                cpu.append(time.process_time() - tock)
    finally:
        await producer.stop()
    return wall, cpu


def report(wall: list[float], cpu: list[float]) -> str:
    def ms(values: list[float], q: float) -> float:
        return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000

    return (
        f"{len(wall)} transactions: wall ms median {statistics.median(wall) * 1000:.1f}, "
        f"p90 {ms(wall, 0.9):.1f}, max {max(wall) * 1000:.1f}; "
        f"CPU ms median {statistics.median(cpu) * 1000:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=200, help="timed transactions (default 200)")
    parser.add_argument(
        "--linger-s", type=float, default=0.005, help="producer linger, as worker.producer_linger_s"
    )
    parser.add_argument(
        "--retry-backoff-s", type=float, default=0.1, help="producer retry backoff (aiokafka: 0.1)"
    )
    parser.add_argument(
        "--concurrent-retry-s",
        type=float,
        default=sender.BACKOFF_OVERRIDE,
        help=f"aiokafka's BACKOFF_OVERRIDE (default: aiokafka's, {sender.BACKOFF_OVERRIDE})",
    )
    parser.add_argument("--bootstrap", help="an existing broker (default: start a fresh one)")
    args = parser.parse_args(argv)
    sender.BACKOFF_OVERRIDE = args.concurrent_retry_s

    def run(bootstrap: str) -> None:
        timed = measure(bootstrap, args.commits, args.linger_s, args.retry_backoff_s)
        print(report(*asyncio.run(timed)))

    if args.bootstrap:
        run(args.bootstrap)
        return 0
    broker = start_kafka(Path(tempfile.mkdtemp(prefix="ws-txn-")))
    try:
        run(broker.bootstrap)
    finally:
        broker.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
