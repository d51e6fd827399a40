"""Bytes to models and back: the input contract's parser and the output's encoder.

Input (documented in README.md and ``schemas/raw-item.v1.json``): a JSON object, or plain UTF-8
text taken as the body. Everything wrong with an item raises :class:`~streams.errors.ItemRejected`
with its :class:`~streams.errors.DeadLetterReason`; nothing else escapes ``decode_raw``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from streams.errors import DeadLetterReason, DecodeError, ValidationError
from streams.models import EnrichedEvent, RawItem

_STRING_FIELDS = ("source", "url")
_KNOWN_FIELDS = frozenset(
    {
        "id",
        "body",
        "text",
        "source",
        "headline",
        "title",
        "url",
        "published_at",
        "language",
        "sectors",
    }
)


def decode_raw(value: bytes | None, max_bytes: int) -> RawItem:
    """Parse one raw-topic value into a :class:`RawItem`, or raise ``ItemRejected``."""
    if not value:
        raise ValidationError(DeadLetterReason.EMPTY_BODY, "the message value is empty")
    if len(value) > max_bytes:
        raise ValidationError(
            DeadLetterReason.TOO_LARGE, f"the value is {len(value)} bytes; the limit is {max_bytes}"
        )
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(
            DeadLetterReason.NOT_UTF8, f"not UTF-8: {exc.reason} at byte {exc.start}"
        ) from None
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped.strip():
        raise ValidationError(DeadLetterReason.EMPTY_BODY, "the message value is blank")
    if stripped.startswith("{"):
        return _from_object(_parse_json(stripped))
    if stripped.startswith("["):
        # A wire headline may well open with "[UPDATE]": only a real JSON array is an error.
        try:
            parsed = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            return RawItem(body=text)
        raise ValidationError(
            DeadLetterReason.WRONG_SHAPE, f"expected a JSON object, got {type(parsed).__name__}"
        )
    return RawItem(body=text)


def _parse_json(text: str) -> dict[str, Any]:
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(DeadLetterReason.INVALID_JSON, f"invalid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise ValidationError(
            DeadLetterReason.WRONG_SHAPE, f"expected a JSON object, got {type(parsed).__name__}"
        )
    return parsed


def _from_object(obj: dict[str, Any]) -> RawItem:
    body = obj.get("body", obj.get("text"))
    if body is not None and not isinstance(body, str):
        raise ValidationError(
            DeadLetterReason.WRONG_SHAPE, f"'body' must be a string, got {type(body).__name__}"
        )
    headline = _optional_str(obj, "headline") or _optional_str(obj, "title")
    # A flash is a headline alone: news agencies send the most urgent items so.
    if not (body and body.strip()) and headline is None:
        if body is None:
            raise ValidationError(
                DeadLetterReason.WRONG_SHAPE,
                "a JSON item needs a 'body' (or 'text') string, or a 'headline' (a flash)",
            )
        raise ValidationError(
            DeadLetterReason.EMPTY_BODY, "'body' is empty and there is no headline"
        )
    item_id = obj.get("id")
    if (item_id is not None and not isinstance(item_id, str | int)) or isinstance(item_id, bool):
        raise _invalid("id", "a string or an integer", item_id)
    for name in _STRING_FIELDS:
        _optional_str(obj, name)
    return RawItem(
        body=body or "",
        id=None if item_id is None else str(item_id),
        source=_optional_str(obj, "source"),
        headline=headline,
        url=_optional_str(obj, "url"),
        published_at=_rfc3339(obj.get("published_at")),
        language_hint=_optional_str(obj, "language"),
        sectors=_sectors(obj.get("sectors")),
        extra={k: v for k, v in obj.items() if k not in _KNOWN_FIELDS},
    )


def _invalid(name: str, expected: str, got: object) -> ValidationError:
    return ValidationError(
        DeadLetterReason.INVALID_FIELD, f"'{name}' must be {expected}, got {got!r:.80}"
    )


def _optional_str(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(name, "a string", value)
    return value.strip() or None


def _rfc3339(value: object) -> str | None:
    """Validate an RFC 3339 timestamp and return it in UTC with a ``Z``."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid("published_at", "an RFC 3339 timestamp", value)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _invalid("published_at", "an RFC 3339 timestamp", value) from None
    if parsed.tzinfo is None:
        raise _invalid("published_at", "an RFC 3339 timestamp with a UTC offset", value)
    return format_time(parsed)


def _sectors(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _invalid("sectors", "a list of strings", value)
    return tuple(dict.fromkeys(v.strip() for v in value if v.strip()))


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with millisecond precision, the one time format of the output."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def timestamp_to_rfc3339(epoch_s: float) -> str:
    return format_time(datetime.fromtimestamp(epoch_s, tz=UTC))


def encode_event(event: EnrichedEvent) -> bytes:
    """The enriched event as compact JSON (orjson serialises the frozen dataclasses natively)."""
    return orjson.dumps(event)


def decode_event(value: bytes) -> dict[str, Any]:
    """An enriched event back as a dict, for readers such as ``wirestream tail``."""
    parsed = orjson.loads(value)
    if not isinstance(parsed, dict):
        raise TypeError("an enriched event is a JSON object")
    return parsed
