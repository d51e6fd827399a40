"""What the dedupe store remembers of an item (:class:`Seen`), and its bytes in the store.

A record is one ``bytes`` value, packed rather than JSON, because the store holds up to
``dedupe.max_items`` of them in memory: 100,000 items at about 715 bytes each with the dict entry
(the store as a list of scalars with a base64 fingerprint took about 1,250). Layout, little-endian:

- version byte ``0x03``;
- ``seen_at`` (float64), ``similarity`` (float32, NaN for none), status (uint8: an index into
  :data:`STATUSES` in the low four bits, two flags above it);
- the story id: 8 bytes when it is 16 hex digits (flag ``0x10``; story ids are content-hash
  prefixes), else a string;
- four strings, each its UTF-8 length + 1 as a varint (0 for none) then the UTF-8: event id,
  origin, duplicate of, id key (without its trailing event id when it ends with it: flag
  ``0x20``);
- the rest: the raw fingerprint (:meth:`Fingerprint.to_bytes`), empty for none.

Earlier versions stored a JSON list, of 9 fields with the fingerprint in base64, or of 6 fields
(exact keys only); :meth:`Seen.from_record` still reads both, as a list or as its JSON bytes (what
a changelog written by those versions holds), so an upgrade keeps its dedupe state.
"""

from __future__ import annotations

import math
import re
import struct
from base64 import b64decode
from dataclasses import dataclass
from typing import Any

import orjson

from streams.core.dedupe.fingerprint import Fingerprint
from streams.errors import FormatError
from streams.models import DedupeResult, DedupeStatus

VERSION = 3  # version 2 (uint16 lengths) was never released and is not read
STATUSES = tuple(DedupeStatus)
_HEAD = struct.Struct("<BdfB")
_LEGACY_FIELDS = 6  # [story_id, event_id, content_hash, seen_at, origin, duplicate_of]
_STATUS_BITS = 0x0F
_STORY_HEX = 0x10  # the story id is 16 hex digits (it always is here), stored as 8 bytes
_ID_ENDS_WITH_EVENT = 0x20  # the id key is "i:<source>:<event id>"; only "i:<source>:" is stored
_HEX16 = re.compile("[0-9a-f]{16}")


@dataclass(frozen=True, slots=True)
class Seen:
    """What the store remembers of an item, and the result it got."""

    story_id: str
    event_id: str
    seen_at: float
    origin: str | None
    status: DedupeStatus
    duplicate_of: str | None
    similarity: float | None
    id_key: str | None
    fingerprint: bytes | None  # Fingerprint.to_bytes(); None in records of the exact-only version

    def to_record(self) -> bytes:
        similarity = math.nan if self.similarity is None else self.similarity
        flags, story, id_key = 0, self.story_id, self.id_key
        if _HEX16.fullmatch(story):
            flags |= _STORY_HEX
        if id_key is not None and id_key.endswith(":" + self.event_id):
            flags |= _ID_ENDS_WITH_EVENT
            id_key = id_key[: len(id_key) - len(self.event_id)]
        status = STATUSES.index(self.status) | flags
        parts = [_HEAD.pack(VERSION, self.seen_at, similarity, status)]
        if flags & _STORY_HEX:
            parts.append(bytes.fromhex(story))
        else:
            parts.append(_text(story))
        parts += [_text(t) for t in (self.event_id, self.origin, self.duplicate_of, id_key)]
        parts.append(self.fingerprint or b"")
        return b"".join(parts)

    @classmethod
    def from_record(cls, record: Any) -> Seen:
        """What :meth:`to_record` wrote, or a record of an earlier version; raises FormatError
        for anything else (the store then treats the record as absent)."""
        try:
            return cls._from_any(record)
        except FormatError:
            raise
        except (TypeError, ValueError, IndexError, UnicodeDecodeError, struct.error) as exc:
            raise FormatError(f"not a dedupe record: {exc}") from None

    @classmethod
    def _from_any(cls, record: Any) -> Seen:
        if isinstance(record, bytes | bytearray) and record[:1] == bytes([VERSION]):
            return cls._unpack(bytes(record))
        if isinstance(record, bytes | bytearray | str):  # a JSON list from an earlier version
            record = orjson.loads(record)
        if not isinstance(record, list):
            raise FormatError(f"not a dedupe record: {type(record).__name__}")
        return cls._from_list(record)

    @classmethod
    def _unpack(cls, data: bytes) -> Seen:
        _version, seen_at, similarity, status = _HEAD.unpack_from(data)
        at = _HEAD.size
        story_id: str | None
        if status & _STORY_HEX:
            story_id, at = data[at : at + 8].hex(), at + 8
        else:
            story_id, at = _read_text(data, at)
        event_id, at = _read_text(data, at)
        origin, at = _read_text(data, at)
        duplicate_of, at = _read_text(data, at)
        id_key, at = _read_text(data, at)
        if story_id is None or event_id is None:
            raise FormatError("dedupe record without story or event id")
        if id_key is not None and status & _ID_ENDS_WITH_EVENT:
            id_key += event_id
        return cls(
            story_id, event_id, seen_at, origin, STATUSES[status & _STATUS_BITS], duplicate_of,
            None if math.isnan(similarity) else round(similarity, 4), id_key, data[at:] or None,
        )  # fmt: skip

    @classmethod
    def _from_list(cls, record: list[Any]) -> Seen:
        if len(record) == _LEGACY_FIELDS:  # written before story clustering: exact keys only
            story_id, event_id, _hash, seen_at, origin, duplicate_of = record
            status = DedupeStatus.NEAR_DUPLICATE if duplicate_of else DedupeStatus.UNIQUE
            similarity = None if duplicate_of else 0.0
            return cls(
                str(story_id), str(event_id), float(seen_at), origin, status, duplicate_of,
                similarity, None, None,
            )  # fmt: skip
        story_id, event_id, seen_at, origin, status, duplicate_of, similarity, id_key, fp = record
        return cls(
            str(story_id), str(event_id), float(seen_at), origin, DedupeStatus(status),
            duplicate_of, similarity, id_key, b64decode(fp) if fp else None,
        )  # fmt: skip

    def first_result(self) -> DedupeResult:
        """The result this item got when it was first seen (for replays)."""
        return DedupeResult(self.status, self.story_id, self.duplicate_of, self.similarity)

    def decoded(self) -> Fingerprint | None:
        """The fingerprint, or None when there is none or it is damaged (then the item can still
        match exactly, by its key, but not as a near-duplicate or story)."""
        if not self.fingerprint:
            return None
        try:
            return Fingerprint.from_bytes(self.fingerprint)
        except FormatError:
            return None


def _text(text: str | None) -> bytes:
    # Length + 1 as a varint, 0 for none: one byte for the usual short field, and no upper bound
    # (the input contract does not limit an item id's length).
    if text is None:
        return b"\x00"
    data = text.encode()
    return _varint(len(data) + 1) + data


def _read_text(data: bytes, at: int) -> tuple[str | None, int]:
    length, at = _read_varint(data, at)
    if length == 0:
        return None, at
    end = at + length - 1
    if end > len(data):
        raise FormatError("dedupe record truncated")
    return data[at:end].decode(), end


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]  # IndexError on a truncated record, which the store reads as damaged
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7
        if shift > 35:
            raise FormatError("dedupe record: bad length")
