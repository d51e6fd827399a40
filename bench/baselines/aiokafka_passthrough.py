"""Baseline: a bare aiokafka consume -> produce passthrough, the floor for any Python worker.

Reads the raw topic in a consumer group, forwards every message unchanged (key, value, headers)
to the output topic, waits for the broker's acks and only then commits: the same at-least-once
contract as the worker, with none of its work. Batching is what a hand-written worker would do:
``getmany`` up to 500 records, send them all, gather the acks, commit.

Settings come from the same ``WIRESTREAM_*`` environment as the worker (bootstrap, topics, group =
``worker.app_id``, session timeout and heartbeat), so it runs against the same topics and broker.
Readiness: once partitions are assigned it creates the file named by ``--ready-file``.
SIGTERM stops it after the batch in hand.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from collections.abc import Callable
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from streams.kafka import client_options
from streams.settings import load_settings

MAX_BATCH = 500
Headers = list[tuple[str, bytes]]


Transform = Callable[[list[ConsumerRecord[bytes, bytes]]], list[tuple[bytes | None, Headers]]]


def forward(messages: list[ConsumerRecord[bytes, bytes]]) -> list[tuple[bytes | None, Headers]]:
    """Each message's value and headers, unchanged."""
    return [(message.value, list(message.headers or ())) for message in messages]


async def run(ready_file: Path, transform: Transform = forward) -> None:
    """The loop: ``getmany`` a batch, publish what ``transform`` makes of it (a value and headers
    per message, under the message's key), wait for every ack, commit. The peer baseline
    (bench/baselines/python_peer.py) runs the same loop with its enrichment as ``transform``."""
    settings = load_settings(dict(os.environ))
    options = client_options(settings)
    consumer = AIOKafkaConsumer(
        settings.topics.raw,
        group_id=settings.worker.app_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=int(settings.kafka.session_timeout_s * 1000),
        heartbeat_interval_ms=int(settings.kafka.heartbeat_interval_s * 1000),
        max_poll_records=MAX_BATCH,
        **options,
    )
    # The worker's producer settings: every ack from all replicas, a short linger to batch.
    producer = AIOKafkaProducer(acks="all", linger_ms=5, **options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await producer.start()
    await consumer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=MAX_BATCH)
            if consumer.assignment() and not ready_file.exists():
                ready_file.touch()
            messages = [m for part in batches.values() for m in part]
            if not messages:
                continue
            pending = [
                await producer.send(
                    settings.topics.enriched, value=value, key=message.key, headers=headers
                )
                for message, (value, headers) in zip(messages, transform(messages), strict=True)
            ]
            await asyncio.gather(*pending)
            await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


def main(transform: Transform = forward, description: str = __doc__) -> None:
    """The command line of a baseline: ``--ready-file``, then the loop with ``transform``."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--ready-file", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(run(args.ready_file, transform))


if __name__ == "__main__":
    main()
