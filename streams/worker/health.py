"""Is the worker healthy, and can it work: the broker probe, the event-loop probe, readiness.

- :class:`BrokerProbe` asks the cluster for its metadata every ``kafka.probe_interval_s``, on a
  client of its own (the same security as every other client: ``streams.kafka.client_options``).
  faust and aiokafka reconnect on their own after an outage, but say so only in their logs; the
  probe makes the outage visible: ``wirestream_broker_connected``, a count of disconnections,
  one log line when the cluster goes and one when it comes back, and ``/readyz`` not ready
  meanwhile.
- :class:`LoopProbe` wakes every 0.25 s and records how late it woke
  (``wirestream_event_loop_lag_seconds``): a loop held by work is a loop that sends no
  heartbeat, commits nothing and answers no scrape.
- :func:`is_ready`: the broker reachable, partitions assigned, no rebalance under way, table
  state recovered.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiokafka.client import AIOKafkaClient

from streams.broker import client_options
from streams.logs import get_logger
from streams.metrics import Metrics
from streams.settings import Settings

log = get_logger("wirestream.health")

LOOP_PROBE_INTERVAL_S = 0.25


class BrokerProbe:
    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self._settings = settings
        self._metrics = metrics
        self._interval = settings.kafka.probe_interval_s
        self._timeout = settings.kafka.probe_timeout_s
        self.connected = False
        self._seen_once = False
        self._last_error: str | None = None
        self._client: AIOKafkaClient | None = None

    async def run(self) -> None:
        """Probe until cancelled (a faust app task)."""
        try:
            while True:
                self._record(await self._probe())
                await asyncio.sleep(self._interval)
        finally:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    await self._client.close()

    async def _probe(self) -> bool:
        try:
            if self._client is None:
                options = client_options(self._settings)
                self._client = AIOKafkaClient(
                    **options, request_timeout_ms=int(self._timeout * 1000)
                )
                await asyncio.wait_for(self._client.bootstrap(), self._timeout)
                return True
            await asyncio.wait_for(self._client.fetch_all_metadata(), self._timeout)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure to get an answer is "not connected"
            self._last_error = f"{type(exc).__name__}: {exc}"[:300]
            if self._client is not None and not self._seen_once:
                with contextlib.suppress(Exception):
                    await self._client.close()
                self._client = None  # bootstrap again: it never reached the cluster
            return False
        return True

    def _record(self, connected: bool) -> None:
        was = self.connected
        self.connected = connected
        self._metrics.broker_connected.set(1 if connected else 0)
        if connected and not was:
            if self._seen_once:
                log.warning("broker_reconnected", bootstrap=self._settings.kafka.bootstrap)
            self._seen_once = True
        elif was and not connected:
            self._metrics.broker_disconnections.inc()
            log.error(
                "broker_disconnected",
                bootstrap=self._settings.kafka.bootstrap,
                error=self._last_error,
            )


class LoopProbe:
    def __init__(self, metrics: Metrics, interval: float = LOOP_PROBE_INTERVAL_S) -> None:
        self._metrics = metrics
        self._interval = interval

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            await asyncio.sleep(self._interval)
            self._metrics.loop_lag_seconds.observe(max(0.0, loop.time() - asked - self._interval))


def is_ready(app: Any, broker: BrokerProbe | None = None) -> bool:
    """The broker reachable, partitions assigned, no rebalance under way, and table state
    recovered from changelogs."""
    return (
        (broker is None or broker.connected)
        and not app.unassigned
        and bool(app.consumer.assignment())
        and not app.rebalancing
        and not app.in_recovery
        and app.tables.recovery.completed.is_set()
    )
