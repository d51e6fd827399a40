"""Stage 1, on the raw topic's partitions (any worker): decode, prepare, forward.

Everything here is stateless, so it scales with the workers: each owns some raw partitions. An
item the input contract rejects is dead-lettered here, as before; a good one goes on to the
prepared topic (:mod:`streams.worker.stages.handoff`) and is finished, and counted, by stage 2.

With a :class:`~streams.worker.pool.PreparePool` the agent hands over batches
(:meth:`PrepareProcessor.handle_batch`): their items are prepared in the pool's processes at the
same time, and forwarded in input order, so stage 2 sees them in the order they were read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from streams.codec import decode_raw
from streams.core.pipeline import Prepared
from streams.models import RawItem
from streams.worker.stages.base import (
    Job,
    MessageView,
    StageProcessor,
)
from streams.worker.stages.handoff import handoff_record

PREPARED = "prepared"  # what handle() returns for an item handed on to stage 2


class PrepareProcessor(StageProcessor):
    async def handle(self, msg: MessageView) -> str:
        """Process one raw message; returns ``prepared`` or ``deadletter``."""
        return (await self.handle_batch([msg]))[0]

    async def handle_batch(self, msgs: Sequence[MessageView]) -> list[str]:
        """Process raw messages, prepared concurrently when there is a pool, forwarded in order."""
        jobs: list[tuple[Job, RawItem | Exception]] = []
        for msg in msgs:
            job = self._start(msg)
            try:
                raw = decode_raw(msg.value, self.options.max_item_bytes)
            except Exception as exc:
                jobs.append((job, exc))
                continue
            job.log = job.log.bind(item_id=raw.id)
            jobs.append((job, raw))
        prepared = await self._prepare_all(jobs)
        return [
            await self._forward(job, result)
            for (job, _), result in zip(jobs, prepared, strict=True)
        ]

    async def _prepare_all(
        self, jobs: Sequence[tuple[Job, RawItem | Exception]]
    ) -> list[Prepared | BaseException]:
        # The exact-duplicate shortcut of Pipeline.enrich (a store lookup before the costly
        # stages) is not taken: the store belongs to stage 2 (docs/architecture.md).
        pool = self.pool
        if pool is None:
            return [await self._prepare_here(job, item) for job, item in jobs]
        return await asyncio.gather(
            *(
                self._prepare_in_pool(pool, item, job.deadline or self._deadline())
                if isinstance(item, RawItem)
                else _failed(item)
                for job, item in jobs
            ),
            return_exceptions=True,
        )

    async def _prepare_here(self, job: Job, item: RawItem | Exception) -> Prepared | Exception:
        if isinstance(item, Exception):
            return item
        deadline = job.deadline or self._deadline()
        try:
            return await self._run_core(
                job.size, deadline, lambda: self.pipeline.prepare(item, deadline)
            )
        except Exception as exc:
            return exc

    async def _forward(self, job: Job, result: Prepared | BaseException) -> str:
        if isinstance(result, Exception):
            return await self._fail(job, result)
        if isinstance(result, BaseException):
            raise result  # cancellation (shutdown) and the like are not the item's fault
        try:
            key, value, headers = handoff_record(
                job.origin, result, job.received_at, result.item_id
            )
        except Exception as exc:
            return await self._fail(job, exc)
        self.metrics.observe_stages(result.stage_seconds)
        await self.publisher.forward(key, value, headers)
        job.log.debug("item_prepared", bytes=len(value))
        return PREPARED


async def _failed(exc: Exception) -> Prepared:
    raise exc
