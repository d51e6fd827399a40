"""The whole core on the seed and the sample feed, with no broker; events follow the schema."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from streams.codec import decode_raw, encode_event
from streams.core import STAGES
from streams.core.pipeline import Pipeline, Prepared
from streams.errors import DeadLetterReason, ItemRejected
from streams.models import DedupeStatus, RawItem
from streams.settings import Settings

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "schemas" / "enriched.v1.json").read_text()
)


@pytest.fixture(scope="module")
def shared_pipeline() -> Pipeline:
    return Pipeline.from_settings(Settings(), {})


@pytest.fixture
def pipeline(shared_pipeline: Pipeline) -> Pipeline:
    return Pipeline(shared_pipeline.detector, shared_pipeline.extractor, {}, 3600.0)


def enrich(pipeline: Pipeline, value: bytes, now: float = 1_790_000_000.0) -> dict[str, Any]:
    result = pipeline.enrich(decode_raw(value, 1 << 20), received_at=now)
    assert result.event is not None
    event: dict[str, Any] = orjson.loads(encode_event(result.event))
    jsonschema.validate(event, SCHEMA)
    return event


def test_seed_end_to_end(pipeline: Pipeline, seed_bytes: bytes) -> None:
    event = enrich(pipeline, seed_bytes)
    assert event["language"]["code"] == "ar"
    assert event["language"]["confidence"] >= 0.9
    assert {m["code"] for m in event["language"]["mixed"]} >= {"ar", "en"}
    assert event["source"]["name"] == "SeaPRwire"
    assert len(event["boilerplate"]) == 3
    assert "SeaPRwire" not in event["text"]
    assert event["text"].startswith(seed_bytes.decode().split("–", 1)[1].strip()[:20])
    assert len(event["sectors"]) == 2
    linked = {e["name"]: e for e in event["entities"] if e["id"]}
    assert {"Russia", "Ukraine", "Moscow"} <= set(linked)
    for entity in event["entities"]:
        assert event["text"][entity["start"] : entity["end"]] == entity["text"]
    assert event["dedupe"]["status"] == "unique"


def test_seed_twice_is_a_duplicate(pipeline: Pipeline, seed_bytes: bytes) -> None:
    first = enrich(pipeline, seed_bytes)
    second = enrich(pipeline, seed_bytes, now=1_790_000_060.0)
    assert second["dedupe"] == {
        "status": "duplicate",
        "story_id": first["dedupe"]["story_id"],
        "duplicate_of": first["id"],
        "similarity": 1.0,
    }


def test_duplicates_can_skip_the_costly_stages(pipeline: Pipeline, seed_bytes: bytes) -> None:
    raw = decode_raw(seed_bytes, 1 << 20)
    pipeline.enrich(raw, received_at=0.0)
    again = pipeline.enrich(raw, received_at=1.0, enrich_duplicates=False)
    assert again.event is None
    assert again.dedupe.status is DedupeStatus.DUPLICATE
    assert set(again.stage_seconds) == {"normalize", "dedupe"}


def test_sample_feed_statuses(pipeline: Pipeline, sample_lines: list[bytes]) -> None:
    statuses: list[tuple[str, str]] = []
    rejected: list[DeadLetterReason] = []
    for line in sample_lines:
        try:
            event = enrich(pipeline, line)
        except ItemRejected as exc:
            rejected.append(exc.reason)
            continue
        statuses.append((event["id"], event["dedupe"]["status"]))
    assert rejected == [DeadLetterReason.INVALID_JSON]
    assert statuses[:4] == [
        ("ws-0001", "unique"),
        ("ws-0001", "duplicate"),
        ("ws-0001", "near_duplicate"),
        ("ws-0001-de", "translation"),
    ]
    assert {status for _id, status in statuses[4:]} == {"unique"}  # every other story is new
    assert len(statuses) == len(sample_lines) - 1


def test_markup_only_body_is_rejected_as_empty(pipeline: Pipeline) -> None:
    with pytest.raises(ItemRejected) as caught:
        pipeline.enrich(RawItem(body="<p> </p><script>x()</script>"), received_at=0.0)
    assert caught.value.reason is DeadLetterReason.EMPTY_BODY


def test_enrich_is_prepare_then_decide(pipeline: Pipeline, sample_lines: list[bytes]) -> None:
    """The two halves, with Prepared crossing a topic as bytes, give the events enrich gives."""
    split = Pipeline(pipeline.detector, pipeline.extractor, {}, 3600.0)
    for n, line in enumerate(sample_lines[:4]):
        raw = decode_raw(line, 1 << 20)
        whole = pipeline.enrich(raw, received_at=float(n), origin=f"0:{n}")
        travelled = Prepared.from_bytes(split.prepare(raw).to_bytes())
        halves = split.decide(travelled, received_at=float(n), origin=f"0:{n}")
        assert halves.dedupe == whole.dedupe
        assert whole.event is not None
        assert halves.event is not None
        assert replace(halves.event, processed_at="") == replace(whole.event, processed_at="")
        assert set(halves.stage_seconds) == set(STAGES)


def test_prepared_round_trips_compactly(pipeline: Pipeline, seed_bytes: bytes) -> None:
    prepared = pipeline.prepare(decode_raw(seed_bytes, 1 << 20))
    data = prepared.to_bytes()
    assert Prepared.from_bytes(data) == prepared
    # Entities carry their watchlists; a record of version 2 (without them, nor mentions and
    # sources) still reads.
    listed = replace(prepared, entities=(replace(prepared.entities[0], watchlists=("p", "q")),))
    assert Prepared.from_bytes(listed.to_bytes()) == listed
    older = orjson.loads(data)
    older[0], older[4] = 2, [row[:10] for row in older[4]]
    without = tuple(replace(e, mentions=(), source="") for e in prepared.entities)
    assert Prepared.from_bytes(orjson.dumps(older)) == replace(prepared, entities=without)
    # Version 4 rows carry every mention as a [start, end] pair, and the source.
    row = orjson.loads(data)[4][0]
    assert row[-2] == [[m.start, m.end] for m in prepared.entities[0].mentions]
    assert row[-1] == prepared.entities[0].source
    assert len(prepared.fingerprint.to_bytes()) <= 666  # 600 + the word MinHash and its count
    # No bigger than the event it becomes, plus the fingerprint's base64 text.
    event = pipeline.decide(prepared, received_at=0.0).event
    assert event is not None
    assert len(data) <= len(encode_event(event)) + len(prepared.fingerprint.to_text())


def test_prepare_is_pure(pipeline: Pipeline, seed_bytes: bytes) -> None:
    store: dict[str, Any] = {}
    stateful = Pipeline(pipeline.detector, pipeline.extractor, store, 3600.0)
    raw = decode_raw(seed_bytes, 1 << 20)
    assert stateful.prepare(raw).fingerprint == stateful.prepare(raw).fingerprint
    assert store == {}
