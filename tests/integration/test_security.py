"""SASL_SSL on the real broker: SCRAM-SHA-512 over TLS, authorization on, the worker under the
minimal ACLs of docs/runbook.md ("Security").

One broker for the module, started by kafka.sh in its SASL_SSL mode with a CA and certificate
made now (harness.tls). Three principals: ``wirestream`` runs the worker with exactly
:func:`harness.acls.worker_acls`; ``operator`` runs the tools with :func:`harness.acls.tool_acls`;
``admin`` (a super user) only grants. What every run prints is kept and searched for the
passwords at the end."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from harness.acls import ResourceType, tool_acls, worker_acls
from harness.secure_kafka import SecureKafka, start_secure_kafka
from harness.services import free_port
from harness.tls import make_ca
from harness.worker import WIRESTREAM, WorkerProcess
from tests.integration.conftest import Deployment

ROOT = Path(__file__).resolve().parents[2]
WORKER, OPERATOR = "wirestream", "operator"
# The brief's bound for a refusal (wrong password, untrusted certificate): a clear exit, not a
# hang and not a retry loop. Measured: 1-4 s, most of it Python's start.
FAIL_FAST_S = 30.0
GOOD = {
    "id": "sec-1",
    "headline": "Siemens opens a plant in Lyon",
    "body": "Siemens said on "
    "Tuesday it will open a plant in Lyon, France, hiring 400 people by 2027.",
}
BROKEN = b'{"id": "sec-2", "body": "cut off'
# (argv after `wirestream`, needs a file argument): the worker and every tool that talks to Kafka.
COMMANDS = {
    "worker": ["worker"],
    "topics": ["topics"],
    "produce": ["produce", "--no-progress", "{feed}"],
    "tail": ["tail", "--from-beginning", "--max", "1", "--idle-timeout", "5"],
    "deadletter-inspect": ["deadletter", "inspect"],
    "deadletter-replay": ["deadletter", "replay", "--dry-run"],
}


@dataclass
class Cluster:
    kafka: SecureKafka
    deployment: Deployment
    feed: Path
    other_ca: Path  # a CA that did not sign the broker's certificate
    captured: list[str] = field(default_factory=list)  # everything any run printed

    def env(self, user: str, **overrides: str) -> dict[str, str]:
        names = self.deployment
        return {
            **os.environ,
            "WIRESTREAM_TOPICS_RAW": names.topic("raw"),
            "WIRESTREAM_TOPICS_ENRICHED": names.topic("enriched"),
            "WIRESTREAM_TOPICS_DEADLETTER": names.topic("deadletter"),
            "WIRESTREAM_TOPICS_PREPARED": names.topic("prepared"),
            "WIRESTREAM_TOPICS_STORIES": names.topic("stories"),
            "WIRESTREAM_WORKER_APP_ID": names.prefix,
            "WIRESTREAM_WORKER_DATA_DIR": str(names.base / "data"),
            # faust refuses port 0: a worker that got past a check it should fail exits at once.
            "WIRESTREAM_WEB_PORT": "0",
            "WIRESTREAM_WORKER_PROFILE": "fast",
            **self.kafka.client_env(user),
            **overrides,
        }

    def run(self, user: str, command: list[str], **overrides: str) -> Run:
        argv = [str(WIRESTREAM), *(a.replace("{feed}", str(self.feed)) for a in command)]
        started = time.monotonic()
        done = subprocess.run(
            argv,
            cwd=ROOT,
            env=self.env(user, **overrides),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        run = Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
        self.captured.append(done.stdout + done.stderr)
        return run


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def error(self) -> str:
        """The last line on stderr: the one-line message of a failing command."""
        lines = self.stderr.strip().splitlines()
        return lines[-1] if lines else ""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("security")
    # A service that does not start raises here: the tests fail, they are never skipped.
    kafka = start_secure_kafka(base / "broker", users=[WORKER, OPERATOR])
    try:
        deployment = Deployment(kafka.broker, base / "deployment")
        deployment.base.mkdir()
        names = {
            n: deployment.topic(n) for n in ("raw", "enriched", "deadletter", "prepared", "stories")
        }
        kafka.grant(WORKER, worker_acls(deployment.prefix, **names))
        tools = {k: v for k, v in names.items() if k not in ("prepared", "stories")}
        kafka.grant(OPERATOR, tool_acls(**tools))
        feed = base / "feed.jsonl"
        feed.write_bytes(orjson.dumps(GOOD) + b"\n" + BROKEN + b"\n")
        other_ca = make_ca(base / "other-ca", "an-unrelated-ca").ca_file
        try:
            yield Cluster(kafka, deployment, feed, other_ca)
        finally:
            deployment.close()
    finally:
        kafka.stop()


def test_the_worker_enriches_through_sasl_ssl_under_the_minimal_acls(cluster: Cluster) -> None:
    deployment = cluster.deployment
    port = free_port()
    env = cluster.env(WORKER, WIRESTREAM_WEB_PORT=str(port))
    worker = WorkerProcess(
        {k: v for k, v in env.items() if k.startswith("WIRESTREAM_")},
        deployment.base / "worker.log",
        port,
    )
    deployment.workers.append(worker)
    try:
        worker.start()  # it made its topics and its changelog with its own grants

        produced = cluster.run(OPERATOR, COMMANDS["produce"])
        assert produced.code == 0, produced.stderr
        assert f"sent 2 message(s) to {deployment.topic('raw')}" in produced.stderr

        tail = cluster.run(
            OPERATOR, ["tail", "--from-beginning", "--json", "--max", "1", "--idle-timeout", "60"]
        )
        assert tail.code == 0, tail.stderr
        event = orjson.loads(tail.stdout.strip().splitlines()[0])
        assert event["id"] == "sec-1"
        assert {e["name"] for e in event["entities"]} >= {"Lyon", "France"}

        worker.wait_metric("wirestream_deadletters_total", 1, reason="invalid_json")
        inspect = cluster.run(OPERATOR, ["deadletter", "inspect", "--json"])
        assert inspect.code == 0, inspect.stderr
        assert orjson.loads(inspect.stdout)["reasons"]["invalid_json"]["count"] == 1

        replay = cluster.run(OPERATOR, ["deadletter", "replay", "--no-progress"])
        assert replay.code == 0, replay.stderr
        assert "replayed 1 dead letter(s)" in replay.stdout
        # The replayed item fails again, through the worker's own grants, and says so.
        worker.wait_metric("wirestream_deadletters_total", 2, reason="invalid_json")

        cluster.captured.append(worker.metrics_text())
    finally:
        assert worker.stop() == 0, worker.tail_log()
        cluster.captured.append(worker.log_path.read_text(errors="replace"))


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_wrong_password_fails_fast_and_says_so(cluster: Cluster, name: str) -> None:
    wrong = "not-the-password-0f9e"
    run = cluster.run(WORKER, COMMANDS[name], WIRESTREAM_KAFKA_SASL_PASSWORD=wrong)
    assert run.code == 2, run.stderr
    assert run.seconds < FAIL_FAST_S
    assert run.error == (
        f"wirestream: error: Kafka refused the credentials of user 'wirestream' (SCRAM-SHA-512) "
        f"at {cluster.kafka.bootstrap}: check kafka.sasl_username and kafka.sasl_password"
    )
    assert wrong not in run.stdout + run.stderr


@pytest.mark.parametrize("name", list(COMMANDS))
def test_an_untrusted_broker_certificate_fails_fast_and_says_so(
    cluster: Cluster, name: str
) -> None:
    run = cluster.run(WORKER, COMMANDS[name], WIRESTREAM_KAFKA_SSL_CAFILE=str(cluster.other_ca))
    assert run.code == 2, run.stderr
    assert run.seconds < FAIL_FAST_S
    assert run.error.startswith(
        f"wirestream: error: the broker's certificate at {cluster.kafka.bootstrap} is not trusted "
        f"by kafka.ssl_cafile={cluster.other_ca}: "
    ), run.stderr


def test_the_worker_s_principal_is_refused_a_topic_it_was_not_granted(cluster: Cluster) -> None:
    raw = cluster.deployment.topic("raw")
    run = cluster.run(WORKER, COMMANDS["produce"])  # the worker reads raw; it may not write it
    assert run.code == 2, run.stderr
    assert run.error == (
        f"wirestream: error: Kafka denied user 'wirestream' Write on topic {raw!r} at "
        f"{cluster.kafka.bootstrap}: grant it (docs/runbook.md, Security)"
    )
    assert run.seconds < FAIL_FAST_S


def test_an_operator_is_refused_a_topic_nobody_granted(cluster: Cluster) -> None:
    secret = cluster.deployment.topic("payroll")
    _create_as_admin(cluster.kafka, secret)
    produce = cluster.run(OPERATOR, ["produce", "--no-progress", "--topic", secret, "{feed}"])
    assert produce.code == 2, produce.stderr
    assert f"Kafka denied user 'operator' Write on topic {secret!r}" in produce.error
    tail = cluster.run(OPERATOR, COMMANDS["tail"], WIRESTREAM_TOPICS_ENRICHED=secret)
    assert tail.code == 2, tail.stderr
    assert f"Kafka denied user 'operator' Read on topic {secret!r}" in tail.error


@pytest.mark.parametrize(
    ("missing", "refusal"),
    [
        # faust would wait forever, silent, for a group it may not join.
        ("group", "Read on group '{app}'"),
        # faust's agents would crash one by one while the process stays up.
        ("txn", "Write on transactional id '{app}-0-0'"),
        # faust would crash the agent that writes it.
        ("deadletter", "Write on topic '{app}.deadletter'"),
    ],
)
def test_a_worker_missing_a_grant_stops_before_faust(
    cluster: Cluster, missing: str, refusal: str
) -> None:
    """Everything :func:`worker_acls` lists but one grant, for an app of its own: the worker
    creates its topics, then finds the gap and names it."""
    # Not "<prefix>-...": the fixture's prefixed grant on "<prefix>-" transactional ids would
    # cover this app's ids too.
    app = f"no-{missing}-{cluster.deployment.prefix}"
    names = {n: f"{app}.{n}" for n in ("raw", "enriched", "deadletter", "prepared", "stories")}
    dropped = {
        "group": lambda acl: acl.resource is ResourceType.GROUP,
        "txn": lambda acl: acl.resource is ResourceType.TRANSACTIONAL_ID,
        "deadletter": lambda acl: acl.name == names["deadletter"] and str(acl).startswith("Write"),
    }[missing]
    acls = worker_acls(app, **names)
    cluster.kafka.grant(WORKER, [acl for acl in acls if not dropped(acl)])
    topics = {f"WIRESTREAM_TOPICS_{n.upper()}": topic for n, topic in names.items()}
    run = cluster.run(WORKER, COMMANDS["worker"], WIRESTREAM_WORKER_APP_ID=app, **topics)
    assert run.code == 2, run.stderr
    assert run.seconds < FAIL_FAST_S
    assert run.error == (
        f"wirestream: error: Kafka denied user 'wirestream' {refusal.format(app=app)} at "
        f"{cluster.kafka.bootstrap}: grant it (docs/runbook.md, Security)"
    )


def test_no_password_shows_anywhere(cluster: Cluster) -> None:
    """Every log line, /metrics page and error message above, searched for each password in
    the clear and as the base64 a careless log of a SASL exchange would show."""
    text = "\n".join(cluster.captured)
    assert "Kafka refused the credentials" in text  # the failing runs are in there
    assert "wirestream_items_out_total" in text  # and the /metrics page
    for user, password in cluster.kafka.passwords.items():
        for form in (password, base64.b64encode(password.encode()).decode()):
            assert form not in text, f"{user}'s password leaked"


def _create_as_admin(kafka: SecureKafka, topic: str) -> None:
    async def create() -> None:
        admin = AIOKafkaAdminClient(**kafka.admin_options())
        await admin.start()
        try:
            await admin.create_topics([NewTopic(topic, 1, 1)])
        finally:
            await admin.close()

    asyncio.run(create())
