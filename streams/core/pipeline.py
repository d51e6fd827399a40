"""The enrichment core end to end: normalize -> dedupe -> langid -> entities -> event.

Pure and synchronous: the streaming worker and the offline ``wirestream enrich`` command both call
:meth:`Pipeline.enrich`; only the dedupe store differs (a faust table or a dict).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from streams.codec import timestamp_to_rfc3339
from streams.core.dedupe import DedupeKeys, ExactDeduper, Store
from streams.core.entities import EntityExtractor
from streams.core.langid import LanguageDetector
from streams.core.normalize import normalize
from streams.errors import DeadLetterReason, ValidationError
from streams.models import (
    DedupeResult,
    DedupeStatus,
    EnrichedEvent,
    RawItem,
    SourceInfo,
)
from streams.settings import Settings

STAGES = ("normalize", "dedupe", "langid", "entities")


@dataclass(frozen=True, slots=True)
class Enriched:
    """What the core made of one item; ``event`` is None for a skipped exact duplicate."""

    dedupe: DedupeResult
    event: EnrichedEvent | None
    stage_seconds: dict[str, float]


class Pipeline:
    def __init__(
        self, detector: LanguageDetector, extractor: EntityExtractor, store: Store, window_s: float
    ) -> None:
        self.detector = detector
        self.extractor = extractor
        self.deduper = ExactDeduper(store, window_s)

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> Pipeline:
        """Load the models and the KB once; the result is reused for every item."""
        kb_path = Path(settings.entities.kb_path) if settings.entities.kb_path else None
        return cls(
            LanguageDetector(settings.langid.expected, settings.langid.min_confidence),
            EntityExtractor.load(kb_path),
            store,
            settings.dedupe.window_s,
        )

    def enrich(
        self,
        raw: RawItem,
        *,
        received_at: float,
        origin: str | None = None,
        enrich_duplicates: bool = True,
    ) -> Enriched:
        """Run every stage on ``raw``; with ``enrich_duplicates=False`` stop after dedupe."""
        seconds: dict[str, float] = {}
        tick = time.perf_counter()
        norm = normalize(raw)
        if not norm.text:
            raise ValidationError(
                DeadLetterReason.EMPTY_BODY, "no text is left after markup and boilerplate"
            )
        tock = time.perf_counter()
        seconds["normalize"] = tock - tick

        event_id = raw.id or norm.content_hash
        source_name = raw.source or norm.source_name
        keys = DedupeKeys.build(norm.content_hash, source_name, raw.id)
        dedupe = self.deduper.check(keys, event_id=event_id, now=received_at, origin=origin)
        tick = time.perf_counter()
        seconds["dedupe"] = tick - tock
        if dedupe.status is DedupeStatus.DUPLICATE and not enrich_duplicates:
            return Enriched(dedupe, None, seconds)

        body = f"{norm.headline}\n{norm.text}" if norm.headline else norm.text
        language = self.detector.detect(body, hint=raw.language_hint)
        tock = time.perf_counter()
        seconds["langid"] = tock - tick
        entities = self.extractor.extract(norm.text, language.code)
        tick = time.perf_counter()
        seconds["entities"] = tick - tock

        event = EnrichedEvent(
            id=event_id,
            source=SourceInfo(name=source_name, item_id=raw.id, url=raw.url),
            published_at=raw.published_at,
            received_at=timestamp_to_rfc3339(received_at),
            processed_at=timestamp_to_rfc3339(time.time()),
            headline=norm.headline,
            text=norm.text,
            boilerplate=norm.boilerplate,
            sectors=norm.sectors,
            language=language,
            entities=entities,
            dedupe=dedupe,
            extra=raw.extra,
        )
        return Enriched(dedupe, event, seconds)
