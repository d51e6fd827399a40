"""The enrichment core end to end, in two halves.

- :meth:`Pipeline.prepare` (stateless, any worker, in parallel): normalize, detect the language,
  link entities, and compute the item's dedupe fingerprint. Its result, :class:`Prepared`, is
  serialisable (``to_bytes``/``from_bytes``) so it can travel through an intermediate topic.
- :meth:`Pipeline.decide` (stateful, one owner per store): the dedupe decision against the store,
  then the enriched event.

:meth:`Pipeline.enrich` is the two in one, for the offline ``wirestream enrich`` and the single
stage worker; only the dedupe store differs (a faust table or a dict).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import orjson

from streams.codec import timestamp_to_rfc3339
from streams.core import native
from streams.core.deadline import Deadline
from streams.core.dedupe.decide import DedupeKeys, Deduper, Store
from streams.core.dedupe.embed import (
    Embedder,
    default_embedder,
    embedding_text,
    shared_embedder,
)
from streams.core.dedupe.fingerprint import Fingerprint, fingerprint
from streams.core.entities.extractor import EntityExtractor, EntityLimits
from streams.core.langid.detector import LanguageDetector
from streams.core.normalize import normalize
from streams.core.text import cut_at_space
from streams.errors import DeadLetterReason, FormatError, ValidationError
from streams.models import (
    DedupeResult,
    DedupeStatus,
    EnrichedEvent,
    Entity,
    Language,
    LanguageShare,
    MentionSpan,
    NormalizedItem,
    RawItem,
    SourceInfo,
)
from streams.ner import NerProposer, load_ner
from streams.settings import Settings

PREPARED_VERSION = 4  # 3: entity rows carry their watchlists; 4: their mentions and source
# The dedupe fingerprint reads at most this many characters of the body (``dedupe.max_chars``):
# two texts that differ only after it are near-duplicates. The exact-duplicate hash reads all.
DEDUPE_MAX_CHARS = "dedupe.max_chars"


@dataclass(frozen=True, slots=True)
class Prepared:
    """An item after the stateless stages: everything the event needs but the dedupe decision."""

    item_id: str | None
    source_name: str | None
    url: str | None
    published_at: str | None
    normalized: NormalizedItem
    language: Language
    entities: tuple[Entity, ...]
    fingerprint: Fingerprint
    extra: dict[str, Any] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    limits: tuple[str, ...] = ()  # the caps that cut the analysis (EnrichedEvent.limits)

    @property
    def event_id(self) -> str:
        return self.item_id or self.normalized.content_hash

    def to_bytes(self) -> bytes:
        """Compact JSON: positional lists, the fingerprint as base64 (about 700 characters)."""
        n, lang = self.normalized, self.language
        return orjson.dumps(
            [
                PREPARED_VERSION,
                [self.item_id, self.source_name, self.url, self.published_at],
                [n.headline, n.text, n.boilerplate, n.sectors, n.source_name, n.content_hash],
                [lang.code, lang.confidence, lang.script, [[m.code, m.share] for m in lang.mixed]],
                [_entity_row(e) for e in self.entities],
                self.fingerprint.to_text(),
                self.extra,
                self.stage_seconds,
                self.limits,
            ]
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Prepared:
        """The record :meth:`to_bytes` wrote; raises FormatError for anything else."""
        try:
            return cls._from_list(orjson.loads(data))
        except FormatError:
            raise
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise FormatError(f"not a prepared record: {exc}") from None

    @classmethod
    def _from_list(cls, fields: list[Any]) -> Prepared:
        # 1 had no limits, 2 no watchlists, 3 no mentions or sources
        if fields[0] not in (1, 2, 3, PREPARED_VERSION):
            raise FormatError(f"unknown prepared record version {fields[0]}")
        _version, ids, norm, lang, entities, fp, extra, seconds, *rest = fields
        limits = tuple(rest[0]) if rest else ()
        item_id, source, url, published_at = ids
        headline, text, boilerplate, sectors, source_name, content_hash = norm
        code, confidence, script, mixed = lang
        return cls(
            item_id=item_id,
            source_name=source,
            url=url,
            published_at=published_at,
            normalized=NormalizedItem(
                headline, text, tuple(boilerplate), tuple(sectors), source_name, content_hash
            ),
            language=Language(
                code, confidence, script, tuple(LanguageShare(c, s) for c, s in mixed)
            ),
            entities=tuple(_entity(row) for row in entities),
            fingerprint=Fingerprint.from_text(fp),
            extra=extra,
            stage_seconds=seconds,
            limits=limits,
        )


_MENTIONS_AT = [f.name for f in fields(Entity)].index("mentions")


def _entity_row(e: Entity) -> list[Any]:
    # Positional, in field order: _entity(row) rebuilds it, whatever fields it gains. Mentions
    # travel as [start, end] pairs: a long article has hundreds.
    row = [getattr(e, f.name) for f in fields(Entity)]
    row[_MENTIONS_AT] = [[m.start, m.end] for m in e.mentions]
    return row


def _entity(row: list[Any]) -> Entity:
    text, etype, eid, name, start, end, count, country, lat, lon, *rest = row
    # The watchlists (version 3 on) come back from JSON as a list; older rows have none. Version
    # 4 adds every mention (objects with start and end) and the source.
    lists = tuple(rest[0]) if rest else ()
    mentions = tuple(MentionSpan(a, b) for a, b in rest[1]) if len(rest) > 1 else ()
    source = rest[2] if len(rest) > 2 else ""
    return Entity(
        text, etype, eid, name, start, end, count, country, lat, lon, lists, mentions, source
    )


@dataclass(frozen=True, slots=True)
class Enriched:
    """What the core made of one item; ``event`` is None for a skipped exact duplicate."""

    dedupe: DedupeResult
    event: EnrichedEvent | None
    stage_seconds: dict[str, float]
    source: str | None = None  # the item's source, also without an event (its story counts it)


class Pipeline:
    def __init__(
        self,
        detector: LanguageDetector,
        extractor: EntityExtractor,
        store: Store,
        window_s: float,
        *,
        max_items: int = 100_000,
        embedder: Embedder | None = None,
        use_embeddings: bool = True,
        dedupe_max_chars: int = 100_000,
    ) -> None:
        self.detector = detector
        self.extractor = extractor
        # The default model is loaded on first use and shared by every Pipeline in the process.
        self.embedder = embedder or default_embedder()
        # Off in the `fast` profile: the embedding is most of prepare's cost, and without it the
        # stage still finds exact and near duplicates, but no translations or same-story items.
        self.use_embeddings = use_embeddings
        self.dedupe_max_chars = dedupe_max_chars
        self.deduper = Deduper(store, window_s, max_items)

    @classmethod
    def from_settings(cls, settings: Settings, store: Store, *, preload: bool = True) -> Pipeline:
        """Load the models and the KB once; the result is reused for every item. ``preload``:
        every language's NER model now, as the worker wants (its first items are not slow, and
        its metrics know every model's state); else each on the first item of its language, as
        a command that may read one item wants (eleven models take seconds to load)."""
        native.use(settings.core.native)  # the native fast paths, or the reference
        kb_path = Path(settings.entities.kb_path) if settings.entities.kb_path else None
        full = settings.worker.profile == "full"
        use_embeddings = full
        # The `fast` profile never embeds: it gets the (unloaded) reference, and no warning about
        # a missing graph.
        embedder = (
            default_embedder(settings.dedupe.embedder)
            if use_embeddings
            else shared_embedder("reference")
        )
        if use_embeddings:
            embedder.load()
        ner = None
        if full and settings.entities.ner:
            languages = settings.entities.ner_languages
            ner = load_ner(languages) if preload else NerProposer(languages)
        return cls(
            LanguageDetector(settings.langid.expected, settings.langid.min_confidence),
            EntityExtractor.load(
                kb_path,
                proposer=ner,
                watchlist_path=settings.entities.watchlist_files() or None,
                limits=EntityLimits(settings.entities.max_chars, settings.entities.max_mentions),
            ),
            store,
            settings.dedupe.window_s,
            max_items=settings.dedupe.max_items,
            embedder=embedder,
            use_embeddings=use_embeddings,
            dedupe_max_chars=settings.dedupe.max_chars,
        )

    def restore(self) -> int:
        """Rebuild the dedupe index from the store (after a worker's recovery or rebalance)."""
        return self.deduper.restore()

    def prepare(self, raw: RawItem, deadline: Deadline | None = None) -> Prepared:
        """The stateless stages: pure, so any worker may run them for any item. Past the
        ``deadline`` (checked between stages) the item is rejected as ``processing_timeout``."""
        seconds: dict[str, float] = {}
        return self._analyse(raw, self._normalize(raw, seconds, deadline), seconds, deadline)

    def decide(
        self,
        prepared: Prepared,
        *,
        received_at: float,
        origin: str | None = None,
        enrich_duplicates: bool = True,
    ) -> Enriched:
        """The dedupe decision against the store, then the event (none for a skipped duplicate)."""
        seconds = dict(prepared.stage_seconds)
        tick = time.perf_counter()
        source = prepared.source_name
        keys = DedupeKeys.build(prepared.normalized.content_hash, source, prepared.item_id)
        dedupe = self.deduper.check(
            keys,
            prepared.fingerprint,
            event_id=prepared.event_id,
            now=received_at,
            origin=origin,
        )
        seconds["dedupe"] = seconds.get("dedupe", 0.0) + time.perf_counter() - tick
        if dedupe.status is DedupeStatus.DUPLICATE and not enrich_duplicates:
            return Enriched(dedupe, None, seconds, source)
        norm = prepared.normalized
        event = EnrichedEvent(
            id=prepared.event_id,
            source=SourceInfo(name=source, item_id=prepared.item_id, url=prepared.url),
            published_at=prepared.published_at,
            received_at=timestamp_to_rfc3339(received_at),
            processed_at=timestamp_to_rfc3339(time.time()),
            headline=norm.headline,
            text=norm.text,
            boilerplate=norm.boilerplate,
            sectors=norm.sectors,
            language=prepared.language,
            entities=prepared.entities,
            dedupe=dedupe,
            limits=prepared.limits,
            extra=prepared.extra,
        )
        return Enriched(dedupe, event, seconds, source)

    def enrich(
        self,
        raw: RawItem,
        *,
        received_at: float,
        origin: str | None = None,
        enrich_duplicates: bool = True,
        deadline: Deadline | None = None,
    ) -> Enriched:
        """prepare + decide; with ``enrich_duplicates=False`` an exact duplicate stops early."""
        seconds: dict[str, float] = {}
        norm = self._normalize(raw, seconds, deadline)
        if not enrich_duplicates:
            # The costly stages are skipped for a re-send, which is what most duplicates are.
            tick = time.perf_counter()
            keys = DedupeKeys.build(norm.content_hash, raw.source or norm.source_name, raw.id)
            early = self.deduper.peek(keys, now=received_at, origin=origin)
            seconds["dedupe"] = time.perf_counter() - tick
            if early is not None and early.status is DedupeStatus.DUPLICATE:
                return Enriched(early, None, seconds, raw.source or norm.source_name)
        prepared = self._analyse(raw, norm, seconds, deadline)
        return self.decide(
            prepared, received_at=received_at, origin=origin, enrich_duplicates=enrich_duplicates
        )

    def _normalize(
        self, raw: RawItem, seconds: dict[str, float], deadline: Deadline | None
    ) -> NormalizedItem:
        tick = time.perf_counter()
        norm = normalize(raw)
        if not norm.text and not norm.headline:
            raise ValidationError(
                DeadLetterReason.EMPTY_BODY, "no text is left after markup and boilerplate"
            )
        seconds["normalize"] = time.perf_counter() - tick
        if deadline is not None:
            deadline.check("normalize")
        return norm

    def _analyse(
        self,
        raw: RawItem,
        norm: NormalizedItem,
        seconds: dict[str, float],
        deadline: Deadline | None,
    ) -> Prepared:
        check = deadline.check if deadline is not None else _no_deadline
        tick = time.perf_counter()
        body = f"{norm.headline}\n{norm.text}" if norm.headline else norm.text
        language = self.detector.detect(body, hint=raw.language_hint)
        tock = time.perf_counter()
        seconds["langid"] = tock - tick
        check("langid")
        # A flash (a headline alone) is read from its headline: entity offsets then index the
        # headline (schemas/enriched.v1.json), and the fingerprint takes it for the body.
        text = norm.text or norm.headline or ""
        # The model of the detected language, or a fallback when detection is unsure (a short
        # line, an all-capitals headline, a table of names: streams.core.entities.language).
        ner = self.extractor.model_language(language, text, raw.language_hint)
        found = self.extractor.analyse(text, language.code, ner_language=ner)
        tick = time.perf_counter()
        seconds["entities"] = tick - tock
        check("entities")
        vector = (
            self.embedder.embed([embedding_text(norm.headline, norm.text)])[0]
            if self.use_embeddings
            else None
        )
        limits = list(found.limits)
        headline = norm.headline and cut_at_space(norm.headline, self.dedupe_max_chars)
        read = cut_at_space(text, self.dedupe_max_chars)
        if len(read) < len(text) or headline != norm.headline:
            limits.append(DEDUPE_MAX_CHARS)
        fp = fingerprint(headline, read, language.code, found.entities, vector)
        seconds["fingerprint"] = time.perf_counter() - tick
        check("fingerprint")
        return Prepared(
            item_id=raw.id,
            source_name=raw.source or norm.source_name,
            url=raw.url,
            published_at=raw.published_at,
            normalized=norm,
            language=language,
            entities=found.entities,
            fingerprint=fp,
            extra=raw.extra,
            stage_seconds=seconds,
            limits=tuple(limits),
        )


def _no_deadline(stage: str) -> None:
    """The check of an item with no deadline (``wirestream similarity``, benchmarks)."""
