"""Run the faust worker (``wirestream worker``): check the broker and the grants, create the
topics, start faust, and stop gracefully on a signal, within ``worker.shutdown_timeout_s``."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from typing import Any, NoReturn

from streams.kafka import check_worker_access, ensure_topics
from streams.logs import get_logger
from streams.settings import Settings, redacted
from streams.worker.app import build_worker

log = get_logger("wirestream.worker")


def run_worker(settings: Settings) -> NoReturn:
    from faust.worker import Worker as FaustWorker

    class BoundedWorker(FaustWorker):
        """mode's Worker turns SIGTERM/SIGINT into a graceful stop (the agent finishes its event,
        pending sends are flushed, offsets committed). A stop that hangs, on a broker that went
        away say, must not keep an orchestrator waiting forever: a watchdog ends the process
        after ``worker.shutdown_timeout_s``."""

        def _schedule_shutdown(self, signum: Any) -> None:
            _arm_watchdog(settings.worker.shutdown_timeout_s, signal.Signals(signum).name)
            super()._schedule_shutdown(signum)

    log.info("worker_starting", settings=redacted(settings))
    # Our own topic creation, so the partition counts are the configured ones even when faust
    # would otherwise declare a topic with its defaults. It reaches the broker first, so wrong
    # credentials or an untrusted certificate stop the worker here with the reason (faust says
    # "Unable to bootstrap", as for a broker that is down), and so do the missing grants that
    # faust would hang on (docs/runbook.md, "Security").
    asyncio.run(_check_broker(settings))
    # asyncio.run() leaves no current loop behind, and faust builds its services on one.
    asyncio.set_event_loop(asyncio.new_event_loop())
    worker = build_worker(settings)
    log.info("metrics_endpoint", url=f"http://{settings.web.bind}:{settings.web.port}/metrics")
    faust_worker = BoundedWorker(
        worker.app,
        quiet=True,
        redirect_stdouts=False,
        # Logging is ours (streams.logs): mode would replace the root handler with its own
        # plain-text format, which a JSON log pipeline cannot read.
        override_logging=False,
    )
    # faust's start-up spinner writes terminal escapes even into a log file.
    faust_worker.spinner = None
    faust_worker.execute_from_commandline()  # exits the process when the worker stops


async def _check_broker(settings: Settings) -> None:
    await ensure_topics(settings)
    await check_worker_access(settings)


def _arm_watchdog(timeout_s: float, reason: str) -> None:
    def expire() -> None:
        log.error("shutdown_timeout", timeout_s=timeout_s, signal=reason)
        os._exit(70)  # EX_SOFTWARE: the graceful stop did not finish in time

    timer = threading.Timer(timeout_s, expire)
    timer.daemon = True
    timer.start()
    log.info("worker_stopping", signal=reason, timeout_s=timeout_s)
