"""Stage 1, on the raw topic's partitions (any worker): decode, prepare, forward.

Everything here is stateless, so it scales with the workers: each owns some raw partitions. An
item the input contract rejects is dead-lettered here, as before; a good one goes on to the
prepared topic (:mod:`streams.agents_handoff`) and is finished, and counted, by stage 2.
"""

from __future__ import annotations

from streams.agents import MessageView, StageProcessor
from streams.agents_handoff import handoff_record
from streams.codec import decode_raw

PREPARED = "prepared"  # what handle() returns for an item handed on to stage 2


class PrepareProcessor(StageProcessor):
    async def handle(self, msg: MessageView) -> str:
        """Process one raw message; returns ``prepared`` or ``deadletter``."""
        job = self._start(msg)
        try:
            raw = decode_raw(msg.value, self.options.max_item_bytes)
            job.log = job.log.bind(item_id=raw.id)
            # The exact-duplicate shortcut of Pipeline.enrich (a store lookup before the costly
            # stages) is not taken: the store belongs to stage 2 (docs/architecture.md).
            prepared = self.pipeline.prepare(raw)
            key, value, headers = handoff_record(msg, prepared, job.received_at, raw.id)
        except Exception as exc:
            return await self._fail(job, exc)
        self.metrics.observe_stages(prepared.stage_seconds)
        await self.publisher.forward(key, value, headers)
        job.log.debug("item_prepared", bytes=len(value))
        return PREPARED
