"""Real services for integration tests: Apache Kafka (KRaft) and Prometheus, started by the
project's own scripts. A service that does not start fails the test run; nothing is skipped."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.services import KafkaBroker, free_port, start_kafka
from harness.worker import WorkerProcess
from streams.kafka import ensure_topics
from streams.settings import load_settings

WorkerFactory = Callable[..., WorkerProcess]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    broker = start_kafka(tmp_path_factory.mktemp("kafka"), port=free_port())
    try:
        yield broker
    finally:
        broker.stop()


def worker_env(
    bootstrap: str, prefix: str, data_dir: Path, web_port: int, **extra: str
) -> dict[str, str]:
    """Settings for one isolated worker: its own topics, consumer group and port."""
    env = {
        "WIRESTREAM_KAFKA_BOOTSTRAP": bootstrap,
        "WIRESTREAM_TOPICS_RAW": f"{prefix}.raw",
        "WIRESTREAM_TOPICS_ENRICHED": f"{prefix}.enriched",
        "WIRESTREAM_TOPICS_DEADLETTER": f"{prefix}.deadletter",
        "WIRESTREAM_TOPICS_PREPARED": f"{prefix}.prepared",
        "WIRESTREAM_TOPICS_STORIES": f"{prefix}.stories",
        "WIRESTREAM_WORKER_APP_ID": prefix,
        "WIRESTREAM_WORKER_DATA_DIR": str(data_dir),
        "WIRESTREAM_WEB_PORT": str(web_port),
        # Short timeouts so a killed worker's partitions come back in seconds, not minutes.
        "WIRESTREAM_KAFKA_SESSION_TIMEOUT_S": "6",
        "WIRESTREAM_KAFKA_HEARTBEAT_INTERVAL_S": "1.5",
        "WIRESTREAM_WORKER_COMMIT_INTERVAL_S": "0.5",
        "WIRESTREAM_WORKER_LAG_POLL_INTERVAL_S": "1",
        "WIRESTREAM_LOG_LEVEL": "INFO",
        # Two NER models, not all eleven: each worker start skips loading nine models (seconds
        # of CPU), and these tests start dozens. Every shipped model is loaded by the end-to-end
        # stack (test_worker_end_to_end) and tested per language in tests/unit.
        "WIRESTREAM_ENTITIES_NER_LANGUAGES": "en,ar",
    }
    env.update(extra)
    return env


class Deployment:
    """One isolated set of topics and a consumer group, with workers that can come and go."""

    def __init__(self, kafka: KafkaBroker, base: Path, **extra: str) -> None:
        self.kafka = kafka
        self.prefix = f"t{uuid.uuid4().hex[:10]}"
        self.base = base
        self.extra = extra
        self.workers: list[WorkerProcess] = []

    def topic(self, name: str) -> str:
        return f"{self.prefix}.{name}"

    def create_topics(self) -> None:
        """Create the deployment's topics the way `wirestream topics` does, before any worker."""
        env = worker_env(self.kafka.bootstrap, self.prefix, self.base / "data", 0, **self.extra)
        asyncio.run(ensure_topics(load_settings(env)))

    def worker(self, **extra: str) -> WorkerProcess:
        port = free_port()
        env = worker_env(
            self.kafka.bootstrap, self.prefix, self.base / "data", port, **{**self.extra, **extra}
        )
        process = WorkerProcess(env, self.base / f"worker-{len(self.workers)}.log", port)
        self.workers.append(process)
        return process

    def close(self) -> None:
        for process in self.workers:
            process.kill()


@pytest.fixture
def deployment(kafka: KafkaBroker, tmp_path: Path) -> Iterator[Deployment]:
    deployed = Deployment(kafka, tmp_path)
    try:
        yield deployed
    finally:
        deployed.close()
