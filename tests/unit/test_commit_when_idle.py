"""streams.worker.commit_when_idle on stand-ins for the faust app: the real commit gate, a consumer
that commits through it as faust's does. On a broker it is on in every integration test (the
default); the SIGKILL test under exactly_once (tests/integration/test_crash_recovery.py) is what
shows that its commits keep outputs and offsets together.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from streams.worker.commit_when_idle import commit_idle_loop, wire_commit_when_idle
from streams.worker.patches.transactions import commit_gate

pytestmark = pytest.mark.asyncio
QUIET = 0.02


@dataclass
class Consumer:
    app: Any
    commits: list[float] = field(default_factory=list)

    async def commit(self) -> bool:
        async with commit_gate(self.app).exclusive():
            self.commits.append(asyncio.get_running_loop().time())
        return True


class App:
    in_transaction = True
    rebalancing = False

    def __init__(self) -> None:
        self.consumer = Consumer(self)
        self.tasks: list[Any] = []

    def task(self, fn: Any) -> Any:
        self.tasks.append(fn)
        return fn


@contextlib.asynccontextmanager
async def idle_committer(app: App) -> AsyncIterator[None]:
    task = asyncio.create_task(commit_idle_loop(app, QUIET))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def handle(app: App, seconds: float) -> None:
    """One event through the gate, as the stream iteration takes it."""
    gate = commit_gate(app)
    token = await gate.enter()
    await asyncio.sleep(seconds)
    gate.leave(token)


async def first_commit(app: App, timeout: float = 2.0) -> float:
    async with asyncio.timeout(timeout):
        while not app.consumer.commits:
            await asyncio.sleep(QUIET / 4)
    return app.consumer.commits[0]


async def test_a_finished_event_is_committed_once_the_worker_is_quiet() -> None:
    app = App()
    async with idle_committer(app):
        await handle(app, 0.0)
        done = asyncio.get_running_loop().time()
        committed = await first_commit(app)
        await asyncio.sleep(QUIET * 3)
    # After the quiet period, well before faust's timer would (0.25 s by default).
    assert QUIET <= committed - done < 0.25
    assert len(app.consumer.commits) == 1  # one commit, no spinning on a clean gate


async def test_nothing_is_committed_without_a_finished_event_or_while_busy() -> None:
    app = App()
    async with idle_committer(app):
        await asyncio.sleep(QUIET * 3)
        assert app.consumer.commits == []
        # Events back to back, each shorter than the quiet period: a backlog, no commit.
        for _ in range(10):
            await handle(app, QUIET / 4)
        assert app.consumer.commits == []
        await first_commit(app)


async def test_a_rebalance_leaves_committing_to_faust() -> None:
    app = App()
    app.rebalancing = True
    async with idle_committer(app):
        await handle(app, 0.0)
        await asyncio.sleep(QUIET * 4)
    assert app.consumer.commits == []


@pytest.mark.parametrize(
    ("quiet_s", "waited_s", "transactional", "wired"),
    [
        (0.005, 0.0, True, True),
        (0.0, 0.03, True, True),
        (0.0, 0.0, True, False),
        (0.005, 0.03, False, False),
    ],
)
async def test_only_exactly_once_with_a_quiet_period_or_a_wait_gets_the_task(
    quiet_s: float, waited_s: float, transactional: bool, wired: bool
) -> None:
    app = App()
    guarantee = "exactly_once" if transactional else "at_least_once"
    wire_commit_when_idle(app, quiet_s, waited_s, guarantee)
    assert bool(app.tasks) is wired


async def test_a_busy_worker_commits_between_events_once_an_output_has_waited() -> None:
    # Medium load: short gaps between events, never quiet for QUIET, so only the wait commits.
    waited_s = QUIET * 2
    app = App()
    task = asyncio.create_task(commit_idle_loop(app, QUIET, waited_s))
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        while loop.time() - started < waited_s * 8:
            await handle(app, QUIET / 4)
            await asyncio.sleep(QUIET / 8)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    commits = app.consumer.commits
    assert 3 <= len(commits) <= 8, commits
    assert all(b - a >= waited_s for a, b in itertools.pairwise(commits))


async def test_a_backlog_is_not_committed_by_the_wait() -> None:
    # Events back to back (a backlog): never a moment with no event in flight.
    app = App()
    task = asyncio.create_task(commit_idle_loop(app, QUIET, QUIET))
    try:
        for _ in range(16):
            await handle(app, QUIET / 2)
        assert app.consumer.commits == []
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
