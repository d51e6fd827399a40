"""``wirestream worker``: create the topics, then run the faust worker until a signal."""

from __future__ import annotations

import asyncio
from typing import NoReturn

from streams.app import build_worker
from streams.kafka_io import ensure_topics
from streams.logs import get_logger
from streams.settings import Settings, redacted

log = get_logger("wirestream.worker")


def run_worker(settings: Settings) -> NoReturn:
    from faust.worker import Worker as FaustWorker

    log.info("worker_starting", settings=redacted(settings))
    # Our own topic creation, so the partition counts are the configured ones even when faust
    # would otherwise declare a topic with its defaults.
    asyncio.run(ensure_topics(settings))
    # asyncio.run() leaves no current loop behind, and faust builds its services on one.
    asyncio.set_event_loop(asyncio.new_event_loop())
    worker = build_worker(settings)
    log.info(
        "metrics_endpoint",
        url=f"http://{settings.web.bind}:{settings.web.port}/metrics",
    )
    # mode's Worker owns the event loop and turns SIGTERM/SIGINT into a graceful stop: agents
    # finish their current event, attached sends are flushed and offsets committed.
    faust_worker = FaustWorker(
        worker.app,
        loglevel=settings.log.level if settings.log.level != "INFO" else "WARNING",
        quiet=True,
        redirect_stdouts=False,
    )
    # faust's start-up spinner writes terminal escapes even into a log file.
    faust_worker.spinner = None
    faust_worker.execute_from_commandline()  # exits the process when the worker stops
