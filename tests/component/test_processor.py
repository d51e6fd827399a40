"""The agents' shell (decode -> prepare -> forward; decide -> publish -> count) without a broker:
a recording publisher stands in for Kafka, what stage 1 forwards is fed to stage 2, and the real
core and KB do the work."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from harness.stages import PREPARED_TOPIC, Message, TwoStages
from streams.core.pipeline import Pipeline
from streams.worker.policies import crash_policy
from streams.worker.stages import handoff as agents_handoff

pytestmark = pytest.mark.asyncio

OSLO = orjson.dumps({"id": "o-1", "body": "Dockworkers in Oslo started a strike on Monday."})


async def test_sample_feed_outcomes(pipeline_factory: Any, sample_lines: list[bytes]) -> None:
    stages = TwoStages(pipeline_factory())
    outcomes = [
        await stages.handle(Message(line, offset)) for offset, line in enumerate(sample_lines)
    ]
    publisher = stages.publisher

    assert outcomes.count("deadletter") == 1
    assert outcomes.count("duplicate") == 1
    assert len(publisher.published) == len(sample_lines) - 2
    events = [orjson.loads(value) for _key, value, _headers in publisher.published]
    statuses = [e["dedupe"]["status"] for e in events if e["id"] == "ws-0001"]
    assert statuses == ["unique", "near_duplicate"]
    first, correction = (e for e in events if e["id"] == "ws-0001")
    assert correction["dedupe"]["story_id"] == first["dedupe"]["story_id"]
    for key, value, headers in publisher.published:
        event = orjson.loads(value)
        assert key == event["dedupe"]["story_id"].encode()
        assert ("schema", b"wirestream.enriched.v1") in headers
    languages = {e["id"]: e["language"]["code"] for e in events}
    assert languages["ws-0002"] == "ar"
    assert languages["ws-0007"] == "ja"
    # Each stage counts its own input topic; each item is finished (and counted out) once.
    prepared = len(sample_lines) - 1
    assert stages.sample("wirestream_items_in_total", topic="wire.raw") == len(sample_lines)
    assert stages.sample("wirestream_items_in_total", topic=PREPARED_TOPIC) == prepared
    assert stages.sample("wirestream_deadletters_total", reason="invalid_json") == 1
    assert stages.sample("wirestream_duplicates_total", status="duplicate") == 1
    assert stages.sample("wirestream_duplicates_total", status="near_duplicate") == 1
    assert stages.sample("wirestream_items_out_total", outcome="enriched") == len(sample_lines) - 2
    assert stages.sample("wirestream_item_processing_seconds_count") == len(sample_lines)
    # Stage 1 times the stages it ran, stage 2 the decision: each once per item.
    for stage in ("normalize", "langid", "entities", "fingerprint", "dedupe"):
        count = stages.sample("wirestream_stage_duration_seconds_count", stage=stage)
        assert count == prepared, stage


async def test_publish_duplicates_setting(pipeline_factory: Any, sample_lines: list[bytes]) -> None:
    stages = TwoStages(pipeline_factory(), publish_duplicates=True)
    for offset, line in enumerate(sample_lines):
        await stages.handle(Message(line, offset))
    published = stages.publisher.published
    statuses = [orjson.loads(v)["dedupe"]["status"] for _k, v, _h in published]
    assert statuses.count("duplicate") == 1
    assert len(published) == len(sample_lines) - 1


async def test_the_handoff_record_carries_the_raw_message(pipeline_factory: Any) -> None:
    stages = TwoStages(pipeline_factory())
    replayed = [("x-replayed-from", b"wire.deadletter:0:7")]
    msg = Message(OSLO, 12, partition=3, key=b"o-1", headers=replayed)
    assert await stages.prepare.handle(msg) == "prepared"
    key, value, headers = stages.publisher.forwarded[0]
    prepared = orjson.loads(value)
    assert key == prepared[2][5].encode()  # keyed by the content hash
    found = dict(headers)
    assert found["x-source-topic"] == b"wire.raw"
    assert (found["x-source-partition"], found["x-source-offset"]) == (b"3", b"12")
    assert found["x-source-timestamp-ms"] == b"1790000000000"
    assert (found["x-source-key"], found["x-source-value"]) == (b"o-1", OSLO)
    assert found["x-item-id"] == b"o-1"
    assert float(found["x-received-at"]) > 0
    assert found["x-replayed-from"] == b"wire.deadletter:0:7"
    assert not stages.publisher.published, "stage 1 publishes nothing itself"
    assert stages.sample("wirestream_items_out_total", outcome="enriched") == 0

    assert await stages.decide.handle(stages.prepared_message(0)) == "enriched"
    event = orjson.loads(stages.publisher.published[0][1])
    assert event["id"] == "o-1"
    assert event["received_at"].startswith("20")


async def test_dead_letter_keeps_bytes_key_and_origin(pipeline_factory: Any) -> None:
    stages = TwoStages(pipeline_factory())
    value = b"\xc3\x28 broken"
    assert await stages.handle(Message(value, 41, partition=2, key=b"k1")) == "deadletter"
    key, body, headers = stages.publisher.dead[0]
    assert (key, body) == (b"k1", value)
    assert headers["x-deadletter-reason"] == b"not_utf8"
    assert headers["x-source-partition"] == b"2"
    assert headers["x-source-offset"] == b"41"
    assert headers["x-source-timestamp-ms"] == b"1790000000000"
    assert not stages.publisher.forwarded


async def test_a_prepared_value_stage_2_cannot_read_dead_letters_the_raw_original(
    pipeline_factory: Any,
) -> None:
    stages = TwoStages(pipeline_factory())
    replayed = [("x-replayed-from", b"wire.deadletter:0:7")]
    assert await stages.prepare.handle(Message(OSLO, 5, partition=1, key=b"o-1", headers=replayed))
    key, _value, headers = stages.publisher.forwarded[0]
    # A version this worker does not know, as in a rolling upgrade.
    stages.publisher.forwarded[0] = (key, b"[99]", headers)
    assert await stages.decide.handle(stages.prepared_message(0)) == "deadletter"
    dead_key, body, dead = stages.publisher.dead[0]
    assert (dead_key, body) == (b"o-1", OSLO), "the original key and bytes, replayable"
    assert dead["x-deadletter-reason"] == b"processing_error"
    assert dead["x-deadletter-error"] == b"FormatError: unknown prepared record version 99"
    assert dead["x-source-topic"] == b"wire.raw"
    assert (dead["x-source-partition"], dead["x-source-offset"]) == (b"1", b"5")
    assert dead["x-replayed-from"] == b"wire.deadletter:0:7"
    assert stages.sample("wirestream_errors_total", kind="FormatError") == 1
    assert stages.sample("wirestream_items_out_total", outcome="deadletter") == 1


async def test_a_record_that_stage_1_did_not_write_is_dead_lettered_as_it_is(
    pipeline_factory: Any,
) -> None:
    stages = TwoStages(pipeline_factory())
    stray = Message(b'{"not": "prepared"}', 9, topic=PREPARED_TOPIC, key=b"s")
    assert await stages.decide.handle(stray) == "deadletter"
    key, body, dead = stages.publisher.dead[0]
    assert (key, body) == (b"s", b'{"not": "prepared"}')
    assert dead["x-source-topic"] == PREPARED_TOPIC.encode()
    assert dead["x-deadletter-reason"] == b"processing_error"
    assert stages.sample("wirestream_errors_total", kind="HandoffError") == 1


async def test_an_item_too_large_for_the_prepared_topic_is_rejected_in_stage_1(
    pipeline_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(agents_handoff, "MAX_RECORD_BYTES", 1500)
    stages = TwoStages(pipeline_factory())
    assert await stages.handle(Message(OSLO, 1, key=b"o-1")) == "deadletter"
    _key, body, dead = stages.publisher.dead[0]
    assert body == OSLO
    assert dead["x-deadletter-reason"] == b"too_large"
    assert b"prepared topic" in dead["x-deadletter-error"]
    assert not stages.publisher.forwarded


async def test_a_replayed_raw_message_is_published_again_not_dropped(
    pipeline_factory: Any,
) -> None:
    """A crash of stage 1 after forwarding, before its commit, forwards the item twice."""
    stages = TwoStages(pipeline_factory())
    msg = Message(OSLO, 30, partition=2, key=b"o-1")
    assert await stages.handle(msg) == "enriched"
    assert await stages.handle(msg) == "enriched"
    copy = Message(OSLO, 31, partition=3, key=b"o-1-copy")
    assert await stages.handle(copy) == "duplicate"
    first, again = (orjson.loads(v) for _k, v, _h in stages.publisher.published)
    assert first["dedupe"] == again["dedupe"]


class ExplodingPipeline(Pipeline):
    def prepare(self, *args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("a bug in a stateless stage")

    def decide(self, *args: Any, **kwargs: Any) -> Any:
        raise KeyError("a bug in the decision")


async def test_unexpected_errors_follow_the_policy(pipeline_factory: Any) -> None:
    broken = TwoStages(pipeline_factory(ExplodingPipeline))
    assert await broken.handle(Message(b"Ordinary text about Oslo.", 1)) == "deadletter"
    assert broken.publisher.dead[0][2]["x-deadletter-reason"] == b"processing_error"
    assert broken.sample("wirestream_errors_total", kind="ZeroDivisionError") == 1

    broken.prepare.policy = crash_policy
    with pytest.raises(ZeroDivisionError):
        await broken.handle(Message(b"Ordinary text about Oslo.", 2))

    # Stage 2 follows the same policy, with the raw original in its dead letter.
    working = TwoStages(pipeline_factory(), publisher=broken.publisher)
    assert await working.prepare.handle(Message(OSLO, 3, key=b"o-1")) == "prepared"
    assert await broken.decide.handle(working.prepared_message(-1)) == "deadletter"
    assert broken.publisher.dead[-1][:2] == (b"o-1", OSLO)
    assert broken.sample("wirestream_errors_total", kind="KeyError") == 1
    broken.decide.policy = crash_policy
    with pytest.raises(KeyError):
        await broken.decide.handle(working.prepared_message(-1))
