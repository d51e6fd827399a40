"""The one-stage worker (``worker.topology = "single"``): decode, the whole core, publish.

For a raw topic of one partition: the dedupe table is co-partitioned with the raw topic itself,
so every item meets the whole state without the prepared topic in between, whichever worker owns
partition 0 (the others stand by). Against the split topology each item saves a produce, a
consume and a transaction, and is visible after one commit rather than two; an exact re-send
stops before the costly stages (``Pipeline.enrich``), which stage 1 of the split topology cannot
do, as the store is stage 2's. The price: one process, and its prepare pool, works the whole feed
(docs/architecture.md, "The single topology").
"""

from __future__ import annotations

from streams.codec import decode_raw
from streams.core.pipeline import Enriched
from streams.models import RawItem
from streams.worker.stages.base import Job, MessageView, StageProcessor, replay_origin


class EnrichProcessor(StageProcessor):
    async def handle(self, msg: MessageView) -> str:
        """Process one raw message; returns ``enriched``, ``duplicate`` or ``deadletter``."""
        job = self._start(msg)
        try:
            raw = decode_raw(msg.value, self.options.max_item_bytes)
            job.log = job.log.bind(item_id=raw.id)
            result = await self._enrich(job, raw, replay_origin(msg))
        except Exception as exc:
            return await self._fail(job, exc)
        return await self._conclude(job, result, result.stage_seconds)

    async def _enrich(self, job: Job, raw: RawItem, origin: str) -> Enriched:
        publish_duplicates = self.options.publish_duplicates
        deadline = job.deadline or self._deadline()
        if self.pool is None and job.size < self.options.offload_min_bytes:
            return self.pipeline.enrich(
                raw,
                received_at=job.received_at,
                origin=origin,
                enrich_duplicates=publish_duplicates,
                deadline=deadline,
            )
        # The stateless half off the loop (a pool process, or a thread for a large item); the
        # decision, which writes the table, always on the loop. A large re-send is prepared in
        # full: the exact-duplicate shortcut needs the store, and its outcome is the same.
        if self.pool is not None:
            prepared = await self._prepare_in_pool(self.pool, raw, deadline)
        else:
            prepared = await self._run_core(
                job.size, deadline, lambda: self.pipeline.prepare(raw, deadline)
            )
        return self.pipeline.decide(
            prepared,
            received_at=job.received_at,
            origin=origin,
            enrich_duplicates=publish_duplicates,
        )
