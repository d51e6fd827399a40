"""Baseline: a bare faust agent that forwards each message unchanged.

The same faust App settings as ``streams.worker.app.build_worker`` (session timeout, heartbeat,
commit interval and commit-every, at-least-once, in-memory store, 4 partitions, earliest offsets,
our stale-ack fix) and the same ``WIRESTREAM_*`` environment, so the only difference from the worker
is the work itself: no decode, no enrichment, no dedupe table, no metrics per item. What this
reaches is the most a faust worker of ours can reach on this machine.

Serves ``/readyz`` (partitions assigned, no rebalance under way) on ``web.port`` and, like the
benchmark's worker launcher, runs the event-loop lag probe when ``BENCH_LOOP_LAG_FILE`` is set.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Any

from bench.e2e_worker import LAG_FILE_ENV, install_probe
from streams.kafka import ensure_topics
from streams.settings import Settings, load_settings
from streams.worker.app import faust_app


def build_app(settings: Settings) -> Any:
    app = faust_app(settings)
    topics = settings.topics
    raw = app.topic(topics.raw, key_serializer="raw", value_serializer="raw")
    out = app.topic(topics.enriched, key_serializer="raw", value_serializer="raw")

    @app.agent(raw, name="passthrough")
    async def passthrough(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            headers = message.headers or ()
            pairs = list(headers.items() if isinstance(headers, Mapping) else headers)
            await out.send(key=message.key, value=message.value, headers=pairs or None)

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        ready = bool(app.consumer.assignment()) and not app.rebalancing
        return web.json({"ready": ready}, status=200 if ready else 503)

    install_probe(app, os.environ.get(LAG_FILE_ENV))
    return app


def main() -> None:
    from faust.worker import Worker

    settings = load_settings(dict(os.environ))
    asyncio.run(ensure_topics(settings))
    asyncio.set_event_loop(asyncio.new_event_loop())
    worker = Worker(build_app(settings), loglevel="WARNING", quiet=True, redirect_stdouts=False)
    worker.spinner = None
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
