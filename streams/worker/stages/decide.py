"""Stage 2, on the prepared topic's single partition (one worker at a time): decide, publish.

The dedupe table is co-partitioned with that one partition, so every item meets the whole
state, whichever raw partition it arrived on. The item is finished here: published (keyed by its
story id), counted as a skipped duplicate, or dead-lettered with its original raw bytes.
"""

from __future__ import annotations

from streams.core.pipeline import Prepared
from streams.worker.stages.base import Job, MessageView, StageProcessor
from streams.worker.stages.handoff import read_handoff


class DecideProcessor(StageProcessor):
    async def handle(self, msg: MessageView) -> str:
        """Process one prepared record; returns ``enriched``, ``duplicate`` or ``deadletter``."""
        job = self._start(msg)
        try:
            handoff = read_handoff(msg)
            # From here on the item is the raw message it came from: its log lines and its dead
            # letter, if any, read as stage 1's would.
            origin = handoff.origin
            job = Job(
                origin,
                handoff.received_at,
                job.log.bind(
                    topic=origin.topic,
                    partition=origin.partition,
                    offset=origin.offset,
                    item_id=handoff.item_id,
                    prepared_offset=msg.offset,
                ),
            )
            prepared = Prepared.from_bytes(msg.value or b"")
            result = self.pipeline.decide(
                prepared,
                received_at=handoff.received_at,
                origin=handoff.dedupe_origin,
                enrich_duplicates=self.options.publish_duplicates,
            )
        except Exception as exc:
            return await self._fail(job, exc)
        # Stage 1 observed the stages it ran; the decision is this stage's own.
        return await self._conclude(job, result, {"dedupe": result.stage_seconds["dedupe"]})
