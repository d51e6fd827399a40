"""The record stage 1 forwards to the prepared topic, and how stage 2 reads it back.

- value: ``Prepared.to_bytes()`` (streams/core/pipeline.py).
- key: the item's content hash: stable (the same content always has the same key) and never
  empty. The topic has one partition, so the key decides no placement today.
- headers, which tell stage 2 everything it needs besides the item:

  ========================================  =====================================================
  ``x-source-topic``, ``-partition``,        the raw message, under the dead-letter headers' names
  ``-offset``, ``-timestamp-ms``
  ``x-source-key``                           the raw message's key (absent when it had none)
  ``x-source-value``                         the raw message's bytes, so that a failure in stage 2
                                             dead-letters the original, as stage 1 does
  ``x-received-at``                          when stage 1 took the item (Unix seconds, as text):
                                             the event's ``received_at``
  ``x-item-id``                              the producer's id, for stage 2's log lines
  ``x-replayed-from``                        the replay marker, when the raw message had one
  ========================================  =====================================================

The raw bytes travel as a header, apart from the value, so that a value stage 2 cannot decode
(a bug, or a ``Prepared`` version it does not know during a rolling upgrade) still dead-letters
the original item, which ``wirestream deadletter replay`` can send through again. The cost: the
record holds the item twice (raw, and normalized in the value); :func:`handoff_record` rejects an
item whose record would exceed what the producer sends (``too_large``) rather than fail the send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streams.core.pipeline import Prepared
from streams.errors import DeadLetterReason, FormatError, ValidationError
from streams.kafka import MAX_RECORD_BYTES
from streams.worker.stages.base import (
    REPLAYED_FROM_HEADER,
    MessageView,
    header_pairs,
    replay_origin,
    source_headers,
)

# Batch and record framing that the producer adds to key, value and headers.
RECORD_OVERHEAD_BYTES = 1024

Record = tuple[bytes, bytes, list[tuple[str, bytes]]]


class HandoffError(FormatError):
    """A record on the prepared topic lacks the headers stage 1 writes."""


@dataclass(frozen=True, slots=True)
class Origin:
    """The raw message a prepared record stands for. A :class:`MessageView`, so that stage 2's
    dead letters and log lines name the raw item exactly as stage 1's do."""

    topic: str
    partition: int
    offset: int
    timestamp: float
    key: bytes | None
    value: bytes | None
    headers: Any


@dataclass(frozen=True, slots=True)
class Handoff:
    origin: Origin
    received_at: float
    item_id: str | None

    @property
    def dedupe_origin(self) -> str:
        """The raw ``partition:offset`` the dedupe store keeps to recognise a replay."""
        return replay_origin(self.origin)


def handoff_record(
    msg: MessageView, prepared: Prepared, received_at: float, item_id: str | None
) -> Record:
    """Key, value and headers of the prepared record for the raw message ``msg``."""
    value = prepared.to_bytes()
    key = prepared.normalized.content_hash.encode()
    headers = [
        *source_headers(msg),
        *([("x-source-key", msg.key)] if msg.key is not None else []),
        ("x-source-value", msg.value or b""),
        ("x-received-at", repr(received_at).encode()),
        *([("x-item-id", item_id.encode())] if item_id is not None else []),
    ]
    size = len(key) + len(value) + sum(len(k) + len(v) for k, v in headers)
    limit = MAX_RECORD_BYTES - RECORD_OVERHEAD_BYTES
    if size > limit:
        raise ValidationError(
            DeadLetterReason.TOO_LARGE,
            f"the item and its analysis take {size} bytes on the prepared topic; "
            f"the limit is {limit}",
        )
    return key, value, headers


def read_handoff(msg: MessageView) -> Handoff:
    """The raw origin of a prepared record; :class:`HandoffError` if stage 1 did not write it."""
    headers = dict(header_pairs(msg.headers))
    try:
        origin = Origin(
            topic=headers["x-source-topic"].decode(),
            partition=int(headers["x-source-partition"]),
            offset=int(headers["x-source-offset"]),
            timestamp=int(headers["x-source-timestamp-ms"]) / 1000,
            key=headers.get("x-source-key"),
            value=headers["x-source-value"],
            headers=[(k, v) for k, v in headers.items() if k == REPLAYED_FROM_HEADER],
        )
        received_at = float(headers["x-received-at"])
    except (KeyError, ValueError) as exc:
        raise HandoffError(f"not a record of the prepare stage: {exc!r}") from None
    item_id = headers.get("x-item-id")
    return Handoff(origin, received_at, item_id.decode() if item_id is not None else None)
