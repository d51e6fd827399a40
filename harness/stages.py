"""The worker's processors without a broker: a recording publisher stands in for Kafka. In the
split topology what stage 1 forwards is handed to stage 2 as the prepared topic would hand it;
the single topology's one processor takes the raw message alone. The deciding processor keeps
its stories in a dict; what it sends to the stories topic is recorded in ``stories``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry

from streams.core.pipeline import Pipeline
from streams.core.stories import StoryBook
from streams.metrics import Metrics
from streams.worker.policies import deadletter_policy
from streams.worker.stages.base import Preparer, ProcessorOptions
from streams.worker.stages.decide import DecideProcessor
from streams.worker.stages.prepare import PREPARED, PrepareProcessor
from streams.worker.stages.single import EnrichProcessor

PREPARED_TOPIC = "wire.prepared"


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
    forwarded: list[tuple[bytes, bytes, list[tuple[str, bytes]]]] = field(default_factory=list)
    stories: list[tuple[bytes, bytes | None, dict[str, bytes]]] = field(default_factory=list)
    dead: list[tuple[bytes | None, bytes, dict[str, bytes]]] = field(default_factory=list)

    async def publish(self, key: bytes, value: bytes, headers: Any) -> None:
        self.published.append((key, value, list(headers)))

    async def story(self, key: bytes, value: bytes | None, headers: Any) -> None:
        self.stories.append((key, value, dict(headers)))

    async def forward(self, key: bytes, value: bytes, headers: Any) -> None:
        self.forwarded.append((key, value, list(headers)))

    async def deadletter(self, key: bytes | None, value: bytes, headers: Any) -> None:
        self.dead.append((key, value, dict(headers)))


class Stages:
    """A topology's processors on one recording publisher and one registry."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        publish_duplicates: bool = False,
        publisher: RecordingPublisher | None = None,
        pool: Preparer | None = None,
        item_deadline_s: float = 5.0,
        offload_min_bytes: int = 16_384,
        stories: StoryBook | None = None,
    ) -> None:
        self.publisher = publisher or RecordingPublisher()
        self.pool = pool
        self.stories = stories if stories is not None else StoryBook({}, 7 * 86400.0, 100_000)
        self.metrics = Metrics(CollectorRegistry())
        options = ProcessorOptions(
            max_item_bytes=1 << 20,
            publish_duplicates=publish_duplicates,
            item_deadline_s=item_deadline_s,
            offload_min_bytes=offload_min_bytes,
        )
        self.args = (pipeline, self.publisher, self.metrics, options)

    async def handle(self, msg: Message) -> str:
        raise NotImplementedError

    def sample(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, labels) or 0.0


class OneStage(Stages):
    """The single topology: one processor from the raw message to the event."""

    def __init__(self, pipeline: Pipeline, **options: Any) -> None:
        super().__init__(pipeline, **options)
        self.enrich = EnrichProcessor(
            *self.args, policy=deadletter_policy, pool=self.pool, stories=self.stories
        )

    async def handle(self, msg: Message) -> str:
        return await self.enrich.handle(msg)


class TwoStages(Stages):
    """The split topology: stage 1 and stage 2 chained through ``forwarded``."""

    def __init__(self, pipeline: Pipeline, **options: Any) -> None:
        super().__init__(pipeline, **options)
        self.prepare = PrepareProcessor(*self.args, policy=deadletter_policy, pool=self.pool)
        self.decide = DecideProcessor(*self.args, policy=deadletter_policy, stories=self.stories)

    async def handle(self, msg: Message) -> str:
        """The raw message through both stages; returns the final outcome."""
        outcome = await self.prepare.handle(msg)
        if outcome != PREPARED:
            return outcome
        return await self.decide.handle(self.prepared_message(-1))

    def prepared_message(self, index: int) -> Message:
        """The ``index``-th forwarded record as stage 2 receives it from the prepared topic."""
        key, value, headers = self.publisher.forwarded[index]
        offset = index % len(self.publisher.forwarded)
        return Message(value, offset, topic=PREPARED_TOPIC, key=key, headers=headers)
