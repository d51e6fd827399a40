"""Stage 2, on the prepared topic's single partition (one worker at a time): decide, publish.

The dedupe table is co-partitioned with that one partition, so every item meets the whole
state, whichever raw partition it arrived on. The item is finished here: published (keyed by its
story id), counted as a skipped duplicate, or dead-lettered with its original raw bytes.
"""

from __future__ import annotations

import time

from streams.agents import Job, MessageView, StageProcessor
from streams.agents_handoff import read_handoff
from streams.codec import encode_event
from streams.core.pipeline import Enriched, Prepared
from streams.models import SCHEMA_VERSION, DedupeStatus


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
        return await self._publish(job, result)

    async def _publish(self, job: Job, result: Enriched) -> str:
        # Stage 1 observed the stages it ran; the decision is this stage's own.
        self.metrics.stage_seconds.labels("dedupe").observe(result.stage_seconds["dedupe"])
        status = result.dedupe.status
        if status is not DedupeStatus.UNIQUE:
            self.metrics.duplicates.labels(status.value).inc()
        event = result.event
        if event is None:
            job.log.info("duplicate_skipped", duplicate_of=result.dedupe.duplicate_of)
            return self._finish(job, "duplicate")
        self.metrics.count_language(event.language.code)
        self.metrics.count_entities(e.type for e in event.entities)
        self.metrics.observe_published(status, event.published_at, self.clock())
        tick = time.perf_counter()
        payload = encode_event(event)
        headers = [("schema", SCHEMA_VERSION.encode()), ("dedupe-status", status.value.encode())]
        await self.publisher.publish(result.dedupe.story_id.encode(), payload, headers)
        self.metrics.stage_seconds.labels("publish").observe(time.perf_counter() - tick)
        job.log.debug(
            "item_enriched", event_id=event.id, language=event.language.code, dedupe=status.value
        )
        outcome = "duplicate" if status is DedupeStatus.DUPLICATE else "enriched"
        return self._finish(job, outcome)
