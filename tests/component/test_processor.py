"""The agent's shell (decode -> core -> publish -> count) without a broker: a recording publisher
stands in for Kafka, and the real core and KB do the work."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry

from streams.agents import (
    ItemProcessor,
    ProcessorOptions,
    crash_policy,
    deadletter_policy,
)
from streams.core.pipeline import Pipeline
from streams.metrics import Metrics
from streams.settings import Settings

pytestmark = pytest.mark.asyncio


@dataclass
class Message:
    value: bytes | None
    offset: int
    topic: str = "wire.raw"
    partition: int = 0
    timestamp: float = 1_790_000_000.0
    key: bytes | None = None
    headers: Any = ()


@dataclass
class RecordingPublisher:
    published: list[tuple[bytes, bytes, list[tuple[str, bytes]]]] = field(default_factory=list)
    dead: list[tuple[bytes | None, bytes, dict[str, bytes]]] = field(default_factory=list)

    async def publish(self, key: bytes, value: bytes, headers: Any) -> None:
        self.published.append((key, value, list(headers)))

    async def deadletter(self, key: bytes | None, value: bytes, headers: Any) -> None:
        self.dead.append((key, value, dict(headers)))


@pytest.fixture(scope="module")
def pipeline_factory() -> Any:
    settings = Settings()
    shared = Pipeline.from_settings(settings, {})

    def make() -> Pipeline:
        # Models and KB are loaded once per module; each test gets a fresh dedupe store.
        return Pipeline(shared.detector, shared.extractor, {}, settings.dedupe.window_s)

    return make


def processor(
    pipeline: Pipeline, publisher: RecordingPublisher, *, publish_duplicates: bool = False
) -> ItemProcessor:
    options = ProcessorOptions(max_item_bytes=1 << 20, publish_duplicates=publish_duplicates)
    return ItemProcessor(pipeline, publisher, Metrics(CollectorRegistry()), options)


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return value or 0.0


async def test_sample_feed_outcomes(pipeline_factory: Any, sample_lines: list[bytes]) -> None:
    publisher = RecordingPublisher()
    proc = processor(pipeline_factory(), publisher)
    outcomes = [
        await proc.handle(Message(line, offset)) for offset, line in enumerate(sample_lines)
    ]

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
    m = proc.metrics
    assert sample(m, "wirestream_items_in_total", topic="wire.raw") == len(sample_lines)
    assert sample(m, "wirestream_deadletters_total", reason="invalid_json") == 1
    assert sample(m, "wirestream_duplicates_total", status="duplicate") == 1
    assert sample(m, "wirestream_duplicates_total", status="near_duplicate") == 1
    assert sample(m, "wirestream_items_out_total", outcome="enriched") == len(sample_lines) - 2


async def test_publish_duplicates_setting(pipeline_factory: Any, sample_lines: list[bytes]) -> None:
    publisher = RecordingPublisher()
    proc = processor(pipeline_factory(), publisher, publish_duplicates=True)
    for offset, line in enumerate(sample_lines):
        await proc.handle(Message(line, offset))
    statuses = [orjson.loads(v)["dedupe"]["status"] for _k, v, _h in publisher.published]
    assert statuses.count("duplicate") == 1
    assert len(publisher.published) == len(sample_lines) - 1


async def test_dead_letter_keeps_bytes_key_and_origin(pipeline_factory: Any) -> None:
    publisher = RecordingPublisher()
    proc = processor(pipeline_factory(), publisher)
    value = b"\xc3\x28 broken"
    assert await proc.handle(Message(value, 41, partition=2, key=b"k1")) == "deadletter"
    key, body, headers = publisher.dead[0]
    assert (key, body) == (b"k1", value)
    assert headers["x-deadletter-reason"] == b"not_utf8"
    assert headers["x-source-partition"] == b"2"
    assert headers["x-source-offset"] == b"41"
    assert headers["x-source-timestamp-ms"] == b"1790000000000"


class ExplodingPipeline(Pipeline):
    def enrich(self, *args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("a bug in a stage")


async def test_unexpected_errors_follow_the_policy(pipeline_factory: Any) -> None:
    base = pipeline_factory()
    broken = ExplodingPipeline(base.detector, base.extractor, {}, 60.0)
    publisher = RecordingPublisher()
    proc = processor(broken, publisher)
    proc.policy = deadletter_policy
    assert await proc.handle(Message(b"Ordinary text about Oslo.", 1)) == "deadletter"
    assert publisher.dead[0][2]["x-deadletter-reason"] == b"processing_error"
    assert sample(proc.metrics, "wirestream_errors_total", kind="ZeroDivisionError") == 1

    proc.policy = crash_policy
    with pytest.raises(ZeroDivisionError):
        await proc.handle(Message(b"Ordinary text about Oslo.", 2))
