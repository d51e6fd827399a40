"""`wirestream deadletter inspect|replay` on the real broker, as an operator would run them.

The story, in file order on one deployment: a worker with a small item limit dead-letters a
too-large item, a malformed one and a shapeless one; inspect summarises them; the limit is fixed
(a new worker with the default limit); replay brings the large item through, and a replay of the
shapeless item fails again without ever being replayed a second time."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import termios
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest

from harness.services import KafkaBroker
from harness.topics import Record, read_all, send, topic_offsets
from harness.worker import WIRESTREAM, WorkerProcess
from streams.commands.deadletter import Criteria, DeadLetter, marker, summarise
from streams.commands.deadletter import select as select_letters
from tests.integration.conftest import Deployment, worker_env

ROOT = Path(__file__).resolve().parents[2]
SMALL_LIMIT = "4096"
LARGE = orjson.dumps({"id": "big-1", "body": "Storm damage closed the port of Lisbon. " * 200})
MALFORMED = b'{"id": "cut-1", "body": "the producer cut this off'
SHAPELESS = b'{"id": "shape-1", "url": "https://example.com/a", "source": "no body, no headline"}'
HEADER = "x-replayed-from"


@dataclass
class Story:
    deployment: Deployment
    workers: list[WorkerProcess] = field(default_factory=list)

    @property
    def bootstrap(self) -> str:
        return self.deployment.kafka.bootstrap

    def cli(self, *args: str, tty: bool = False) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            **worker_env(self.bootstrap, self.deployment.prefix, self.deployment.base, 0),
        }
        argv = [str(WIRESTREAM), "--log-format", "json", "deadletter", *args]
        if tty:
            return _run_on_a_tty(argv, env)
        return subprocess.run(
            argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    def deadletters(self, count: int) -> list[Record]:
        return read_all(
            self.bootstrap,
            self.deployment.topic("deadletter"),
            until=lambda records: len(records) >= count,
            settle=1.0,
        )

    def raw(self) -> list[Record]:
        """Every record now on the raw topic: read up to its end offsets, not for a while."""
        topic = self.deployment.topic("raw")
        offsets = topic_offsets(self.bootstrap, topic)
        count = sum(offsets.end[p] - offsets.start[p] for p in offsets.end)
        records = read_all(self.bootstrap, topic, until=lambda r: len(r) >= count, settle=0)
        assert len(records) == count
        return records


def _run_on_a_tty(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run with stderr on a pseudo-terminal, where the progress bar is drawn."""
    master, slave = pty.openpty()
    # A new pseudo-terminal is 0x0, and tqdm draws nothing in zero columns.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    with subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=slave, text=True
    ) as process:
        os.close(slave)
        terminal = b""
        while True:
            ready, _, _ = select.select([master], [], [], 120)
            if not ready:
                process.kill()
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal: EIO on Linux
                break
            if not chunk:
                break
            terminal += chunk
        stdout = process.stdout.read() if process.stdout else ""
        process.wait(60)
    os.close(master)
    return subprocess.CompletedProcess(argv, process.returncode, stdout, terminal.decode())


@pytest.fixture(scope="module")
def story(kafka: KafkaBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    deployment = Deployment(kafka, tmp_path_factory.mktemp("deadletter"))
    deployment.create_topics()
    told = Story(deployment)
    told.workers.append(deployment.worker(WIRESTREAM_WORKER_MAX_ITEM_BYTES=SMALL_LIMIT).start())
    try:
        yield told
    finally:
        for worker in told.workers:
            worker.stop()
        deployment.close()


def test_inspect_summarises_dead_letters_by_reason(story: Story) -> None:
    send(story.bootstrap, story.deployment.topic("raw"), [LARGE, MALFORMED, SHAPELESS])
    letters = story.deadletters(3)
    assert len(letters) == 3
    result = story.cli("inspect", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["topic"] == story.deployment.topic("deadletter")
    assert summary["total"] == 3
    reasons = summary["reasons"]
    assert set(reasons) == {"too_large", "invalid_json", "wrong_shape"}
    by_reason = {r.headers["x-deadletter-reason"].decode(): r for r in letters}
    for reason, found in reasons.items():
        record = by_reason[reason]
        assert found["count"] == 1
        assert found["already_replayed"] == 0
        assert found["samples"][0]["error"] == record.headers["x-deadletter-error"].decode()
        assert found["deadletter_offsets"] == [
            {"partition": record.partition, "first": record.offset, "last": record.offset}
        ]
        (source,) = found["sources"]
        assert source["topic"] == story.deployment.topic("raw")
        assert source["partition"] == int(record.headers["x-source-partition"])
        assert source["first_offset"] == int(record.headers["x-source-offset"])
    text = story.cli("inspect")
    assert text.returncode == 0, text.stderr
    assert "3 dead letter(s)" in text.stdout
    for reason in reasons:
        assert reason in text.stdout


def test_a_dry_run_sends_nothing(story: Story) -> None:
    before = len(story.raw())
    result = story.cli("replay", "--reason", "too_large", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "would replay 1 dead letter(s)" in result.stdout
    assert len(story.raw()) == before


def test_after_the_fix_a_replayed_item_is_enriched(story: Story) -> None:
    # The fix: the item limit goes back to its default (1 MiB) on a new worker.
    assert story.workers[0].stop() == 0, story.workers[0].tail_log()
    story.workers.append(story.deployment.worker().start())
    result = story.cli("replay", "--reason", "too_large", tty=True)
    assert result.returncode == 0, result.stderr
    assert "replayed 1 dead letter(s)" in result.stdout
    assert "replay to" in result.stderr, "a progress bar on a terminal"
    enriched = read_all(
        story.bootstrap,
        story.deployment.topic("enriched"),
        until=lambda records: any(orjson.loads(r.value)["id"] == "big-1" for r in records),
    )
    assert any(orjson.loads(r.value)["id"] == "big-1" for r in enriched)
    (replayed,) = [r for r in story.raw() if HEADER in r.headers]
    assert replayed.value == LARGE
    assert replayed.key is None
    original = next(
        r for r in story.deadletters(3) if r.headers["x-deadletter-reason"] == b"too_large"
    )
    expected = f"{story.deployment.topic('deadletter')}:{original.partition}:{original.offset}"
    assert replayed.headers[HEADER].decode() == expected


def test_a_replay_that_fails_again_is_never_replayed_again(story: Story) -> None:
    result = story.cli("replay", "--reason", "wrong_shape")
    assert result.returncode == 0, result.stderr
    letters = story.deadletters(4)
    assert len(letters) == 4
    again = letters[-1]
    assert again.headers["x-deadletter-reason"] == b"wrong_shape"
    assert HEADER in again.headers, "the worker carries the replay marker into the dead letter"
    raw_before = len(story.raw())

    for dry in (True, False):
        args = ["replay", "--reason", "wrong_shape"] + (["--dry-run"] if dry else [])
        refused = story.cli(*args)
        assert refused.returncode == 0, refused.stderr
        assert "0 dead letter(s)" in refused.stdout
        assert "refusing 1 dead letter(s) that failed again" in refused.stderr
        assert "refusing 1 dead letter(s) that were replayed before" in refused.stderr
    assert len(story.raw()) == raw_before
    summary = json.loads(story.cli("inspect", "--json").stdout)
    assert summary["reasons"]["wrong_shape"]["already_replayed"] == 1


def test_an_offset_range_selects_dead_letters(story: Story) -> None:
    letters = story.deadletters(4)
    malformed = next(r for r in letters if r.headers["x-deadletter-reason"] == b"invalid_json")
    offset = str(malformed.offset)
    result = story.cli("replay", "--from-offset", offset, "--to-offset", offset, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "would replay 1 dead letter(s)" in result.stdout
    assert "(invalid_json=1)" in result.stdout
    backwards = story.cli("replay", "--from-offset", "5", "--to-offset", "2")
    assert backwards.returncode == 2


# --- the selection rules, without a broker ------------------------------------------------------


def letter(offset: int, reason: str, replayed_from: str | None = None) -> DeadLetter:
    return DeadLetter(
        partition=0,
        offset=offset,
        key=None,
        value=b"{}",
        headers={},
        reason=reason,
        error=f"error {offset}",
        source=("wire.raw", offset % 2, 100 + offset),
        replayed_from=replayed_from,
    )


def test_selection_refuses_failed_replays_and_their_originals() -> None:
    first, second = letter(0, "wrong_shape"), letter(1, "invalid_json")
    failed = letter(2, "wrong_shape", replayed_from=marker("dl", first))
    picked = select_letters("dl", [first, second, failed])
    assert picked.chosen == [second]
    assert picked.failed_again == [failed]
    assert picked.replayed_before == [first]
    by_reason = select_letters("dl", [first, second, failed], Criteria(frozenset({"invalid_json"})))
    assert by_reason.chosen == [second]
    assert by_reason.failed_again == by_reason.replayed_before == []
    in_range = select_letters("dl", [first, second, failed], Criteria(first=1, last=1))
    assert in_range.chosen == [second]


def test_summary_groups_sources_and_keeps_distinct_samples() -> None:
    letters = [letter(n, "invalid_json") for n in range(6)]
    summary = summarise(letters, samples=2)["invalid_json"]
    assert summary.count == 6
    assert [s["offset"] for s in summary.samples] == [0, 1]
    assert summary.sources == {("wire.raw", 0): [3, 100, 104], ("wire.raw", 1): [3, 101, 105]}
    assert summary.offsets == {0: [0, 5]}
