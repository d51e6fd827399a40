from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.codec import decode_raw, encode_event
from streams.errors import DeadLetterReason, ItemRejected
from streams.models import (
    DedupeResult,
    DedupeStatus,
    EnrichedEvent,
    Entity,
    Language,
    LanguageShare,
    SourceInfo,
)

LIMIT = 1024 * 1024


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"\xff\xfe\x00binary", DeadLetterReason.NOT_UTF8),
        (b"caf\xe9 au lait", DeadLetterReason.NOT_UTF8),
        (b'{"id": "x", "body": "cut off', DeadLetterReason.INVALID_JSON),
        (b"[1, 2, 3]", DeadLetterReason.WRONG_SHAPE),
        (b'{"id": "x"}', DeadLetterReason.WRONG_SHAPE),
        (b'{"body": 42}', DeadLetterReason.WRONG_SHAPE),
        (b'{"body": ["a"]}', DeadLetterReason.WRONG_SHAPE),
        (b"", DeadLetterReason.EMPTY_BODY),
        (b"   \n ", DeadLetterReason.EMPTY_BODY),
        (b'{"body": "   "}', DeadLetterReason.EMPTY_BODY),
        (b'{"body": "", "headline": "  "}', DeadLetterReason.EMPTY_BODY),
        (b'{"headline": "   "}', DeadLetterReason.WRONG_SHAPE),
        (b'{"headline": 7}', DeadLetterReason.INVALID_FIELD),
        (b'{"body": "x", "published_at": "yesterday"}', DeadLetterReason.INVALID_FIELD),
        (b'{"body": "x", "published_at": "2026-11-20T07:30:00"}', DeadLetterReason.INVALID_FIELD),
        (b'{"body": "x", "sectors": [1, 2]}', DeadLetterReason.INVALID_FIELD),
        (b'{"body": "x", "url": 5}', DeadLetterReason.INVALID_FIELD),
        (b'{"body": "x", "id": true}', DeadLetterReason.INVALID_FIELD),
    ],
)
def test_rejections_carry_their_reason(value: bytes, reason: DeadLetterReason) -> None:
    with pytest.raises(ItemRejected) as caught:
        decode_raw(value, LIMIT)
    assert caught.value.reason is reason
    assert caught.value.message


@pytest.mark.parametrize(
    "value",
    [
        b'{"headline": "FLASH: Putin and Witkoff meet in Moscow"}',
        b'{"title": "FLASH: Putin and Witkoff meet in Moscow", "body": ""}',
        b'{"headline": "FLASH: Putin and Witkoff meet in Moscow", "text": "  "}',
    ],
)
def test_a_headline_alone_is_a_flash(value: bytes) -> None:
    item = decode_raw(value, LIMIT)
    assert item.headline == "FLASH: Putin and Witkoff meet in Moscow"
    assert item.body.strip() == ""


def test_size_limit_is_checked_before_anything_else() -> None:
    with pytest.raises(ItemRejected) as caught:
        decode_raw(b"a" * 101, max_bytes=100)
    assert caught.value.reason is DeadLetterReason.TOO_LARGE
    assert decode_raw(b"a" * 100, max_bytes=100).body == "a" * 100


def test_json_object_fields() -> None:
    value = orjson.dumps(
        {
            "id": 17,
            "text": "<p>Body</p>",
            "title": "Head",
            "source": "Wire",
            "url": "https://x.test/1",
            "published_at": "2026-11-20T09:30:00+02:00",
            "language": "en",
            "sectors": "Energy, Markets, Energy",
            "priority": "urgent",
        }
    )
    item = decode_raw(value, LIMIT)
    assert item.id == "17"
    assert item.body == "<p>Body</p>"
    assert item.headline == "Head"
    assert item.published_at == "2026-11-20T07:30:00.000Z"
    assert item.language_hint == "en"
    assert item.sectors == ("Energy", "Markets")
    assert item.extra == {"priority": "urgent"}


@pytest.mark.parametrize(
    "value",
    [b"(SeaPRwire) \xe2\x80\x93 plain text", b"[UPDATE] Markets rally", "Привет, мир".encode()],
)
def test_plain_utf8_text_is_the_body(value: bytes) -> None:
    item = decode_raw(value, LIMIT)
    assert item.body == value.decode()
    assert item.id is None


def test_seed_decodes_as_plain_text(seed_bytes: bytes) -> None:
    item = decode_raw(seed_bytes, LIMIT)
    assert item.body.strip().startswith("(SeaPRwire)")


@given(st.binary(max_size=300))
def test_decode_never_raises_anything_but_rejections(value: bytes) -> None:
    try:
        item = decode_raw(value, LIMIT)
    except ItemRejected as exc:
        reason = exc.reason
        item = None
    else:
        reason = None
    assert isinstance(reason, DeadLetterReason) or (item is not None and item.body.strip())


@given(
    st.dictionaries(
        st.sampled_from(["id", "body", "text", "headline", "url", "sectors", "published_at", "x"]),
        st.one_of(
            st.none(),
            st.text(max_size=20),
            st.integers(-(2**63), 2**63 - 1),
            st.lists(st.text(max_size=5)),
        ),
    )
)
def test_any_json_object_is_an_item_or_a_rejection(obj: dict[str, object]) -> None:
    try:
        item = decode_raw(orjson.dumps(obj), LIMIT)
    except ItemRejected:
        return
    assert item.body.strip() or item.headline  # an article, or a flash


def test_sample_feed_has_exactly_one_malformed_line(sample_lines: list[bytes]) -> None:
    rejected = []
    for line in sample_lines:
        try:
            decode_raw(line, LIMIT)
        except ItemRejected as exc:
            rejected.append(exc.reason)
    assert rejected == [DeadLetterReason.INVALID_JSON]


def test_encode_event_is_json_with_schema_first() -> None:
    event = EnrichedEvent(
        id="x",
        source=SourceInfo("Wire", None, None),
        published_at=None,
        received_at="2026-11-20T07:30:00.000Z",
        processed_at="2026-11-20T07:30:00.010Z",
        headline=None,
        text="t",
        boilerplate=(),
        sectors=(),
        language=Language("en", 0.9, "Latn", (LanguageShare("en", 1.0),)),
        entities=(Entity("Paris", "LOC", "geonames:2988507", "Paris", 0, 5, 2, "FR", 48.85, 2.35),),
        dedupe=DedupeResult(DedupeStatus.UNIQUE, "s1"),
    )
    payload = encode_event(event)
    assert payload.startswith(b'{"schema":"wirestream.enriched.v1","id":"x"')
    decoded = orjson.loads(payload)
    assert decoded["dedupe"] == {
        "status": "unique",
        "story_id": "s1",
        "duplicate_of": None,
        "similarity": 0.0,
    }
    assert decoded["entities"][0]["count"] == 2
