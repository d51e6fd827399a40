"""Value types shared by every stage: small, frozen, typed.

The enrichment core (``streams.core``) takes and returns these and nothing else, so a stage can be
run on a file with no broker. ``streams.codec`` turns them into bytes and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

SCHEMA_VERSION = "wirestream.enriched.v1"


class DedupeStatus(StrEnum):
    """What the dedupe stage decided about an item (part of the output contract)."""

    UNIQUE = "unique"
    DUPLICATE = "duplicate"
    NEAR_DUPLICATE = "near_duplicate"
    TRANSLATION = "translation"
    SAME_STORY = "same_story"  # another article about the same story, in the same language


@dataclass(frozen=True, slots=True)
class RawItem:
    """One decoded wire item, as the producer sent it (the input contract). ``body`` is empty
    for a flash, an item sent as a headline alone."""

    body: str
    id: str | None = None
    source: str | None = None
    headline: str | None = None
    url: str | None = None
    published_at: str | None = None  # RFC 3339, validated by the codec
    language_hint: str | None = None
    sectors: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NormalizedItem:
    """The normalize stage's output: clean text plus what was taken out of it."""

    headline: str | None
    text: str
    boilerplate: tuple[str, ...]
    sectors: tuple[str, ...]
    source_name: str | None
    content_hash: str  # hex digest of the normalized headline + text; the exact-dedupe key


@dataclass(frozen=True, slots=True)
class LanguageShare:
    code: str
    share: float


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # ISO 639-1 (639-3 where no 639-1 exists), "und" when unknown
    confidence: float
    script: str  # ISO 15924, e.g. "Arab", "Latn", "Zyyy" when unknown
    mixed: tuple[LanguageShare, ...] = ()


@dataclass(frozen=True, slots=True)
class MentionSpan:
    """Where one mention of an entity is: ``text[start:end]`` of the clean text."""

    start: int
    end: int


_SET_START = vars(MentionSpan)["start"].__set__  # the slot's member descriptor
_SET_END = vars(MentionSpan)["end"].__set__
_new = object.__new__


def mention_span(start: int, end: int) -> MentionSpan:
    """``MentionSpan(start, end)`` at a third of the cost: a frozen dataclass's ``__init__``
    goes through ``object.__setattr__`` per field, and the entities stage makes one per mention.
    The slots' own descriptors set the fields once; the instance is as frozen as any other."""
    span: MentionSpan = _new(MentionSpan)
    _SET_START(span, start)
    _SET_END(span, end)
    return span


@dataclass(frozen=True, slots=True)
class Entity:
    """One entity found in the clean text; ``start``/``end`` index its first mention,
    ``mentions`` every mention (the first included), in text order."""

    text: str
    type: str  # PERSON | ORG | LOC | GPE | MISC
    id: str | None  # namespaced, e.g. "wikidata:Q159" or "geonames:524901"
    name: str  # canonical English name (the surface text when unlinked)
    start: int
    end: int
    count: int = 1
    country: str | None = None  # ISO 3166-1 alpha-2, places only
    lat: float | None = None
    lon: float | None = None
    # The deployment's watchlists this entity is on, by name (entities.watchlists), sorted.
    watchlists: tuple[str, ...] = ()
    mentions: tuple[MentionSpan, ...] = ()
    # What found it: "kb", "watchlist", "model", "rules", or several joined by "+" in that order
    # ("kb+model": a KB entry the NER model also read as a name of that type).
    source: str = ""


_ENTITY_FIELDS = (
    "text", "type", "id", "name", "start", "end", "count", "country", "lat", "lon",
    "watchlists", "mentions", "source",
)  # fmt: skip
if tuple(f.name for f in fields(Entity)) != _ENTITY_FIELDS:  # pragma: no cover - a code slip
    raise TypeError("Entity's fields changed: update streams.models.new_entity")
(
    _E_TEXT, _E_TYPE, _E_ID, _E_NAME, _E_START, _E_END, _E_COUNT, _E_COUNTRY, _E_LAT, _E_LON,
    _E_LISTS, _E_MENTIONS, _E_SOURCE,
) = (vars(Entity)[name].__set__ for name in _ENTITY_FIELDS)  # fmt: skip


def new_entity(  # noqa: PLR0917 - the fields in order, as Entity takes them
    text: str,
    etype: str,
    eid: str | None,
    name: str,
    start: int,
    end: int,
    count: int,
    country: str | None,
    lat: float | None,
    lon: float | None,
    mentions: tuple[MentionSpan, ...],
    source: str,
) -> Entity:
    """``Entity(...)`` (no watchlists) at less than half the cost, for the entities stage, which
    makes one per entity of every item: the slots' descriptors set the fields once instead of
    ``object.__setattr__`` per field. The instance is as frozen as any other."""
    e: Entity = _new(Entity)
    _E_TEXT(e, text)
    _E_TYPE(e, etype)
    _E_ID(e, eid)
    _E_NAME(e, name)
    _E_START(e, start)
    _E_END(e, end)
    _E_COUNT(e, count)
    _E_COUNTRY(e, country)
    _E_LAT(e, lat)
    _E_LON(e, lon)
    _E_LISTS(e, ())
    _E_MENTIONS(e, mentions)
    _E_SOURCE(e, source)
    return e


@dataclass(frozen=True, slots=True)
class DedupeResult:
    status: DedupeStatus
    story_id: str
    duplicate_of: str | None = None
    # 1.0 for identical content, 0.0 for a new story; None when the match was by id alone and the
    # earlier content is not remembered (a producer's correction under the same id).
    similarity: float | None = 0.0


@dataclass(frozen=True, slots=True)
class SourceInfo:
    name: str | None
    item_id: str | None
    url: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class EnrichedEvent:
    """The output contract, schema ``wirestream.enriched.v1`` (see schemas/enriched.v1.json).

    Field order is the order of the JSON object; ``schema`` comes first so that a reader can
    dispatch on it before reading the rest.
    """

    schema: str = SCHEMA_VERSION
    id: str
    source: SourceInfo
    published_at: str | None
    received_at: str
    processed_at: str
    headline: str | None
    text: str
    boilerplate: tuple[str, ...]
    sectors: tuple[str, ...]
    language: Language
    entities: tuple[Entity, ...]
    dedupe: DedupeResult
    # The settings whose caps cut this item's analysis ("entities.max_chars", ...): bounded work
    # per item, never a silent cut (docs/architecture.md, "Bounded work per item").
    limits: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
