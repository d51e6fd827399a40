"""The prepare pool: real spawned processes running the real core, and the prepare stage's batch
path (input order kept, failures dead-lettered) with a stand-in pool."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Iterator
from dataclasses import replace

import orjson
import pytest

from harness.stages import Message, TwoStages
from streams.codec import decode_raw
from streams.core.deadline import Deadline
from streams.core.pipeline import Pipeline, Prepared
from streams.errors import DeadLetterReason, ValidationError
from streams.models import RawItem
from streams.settings import Settings
from streams.worker.pool import PreparePool

FAST = replace(Settings(), worker=replace(Settings().worker, profile="fast"))


@pytest.fixture(scope="module")
def pool() -> Iterator[PreparePool]:
    # The fast profile: the pool processes load KB and langid only, so the test starts quickly.
    pool = PreparePool(FAST, 2)
    pool.warm_up()
    yield pool
    pool.close()


def same_prepared(a: Prepared, b: Prepared) -> bool:
    return replace(a, stage_seconds={}) == replace(b, stage_seconds={})


@pytest.mark.asyncio
async def test_pool_prepares_as_the_inline_core_does(pool: PreparePool, seed_bytes: bytes) -> None:
    raw = decode_raw(seed_bytes, 1 << 20)
    inline = Pipeline.from_settings(FAST, {})
    got = await pool.prepare(raw)
    assert same_prepared(got, inline.prepare(raw))
    assert set(got.stage_seconds) >= {"normalize", "langid", "entities", "fingerprint"}


@pytest.mark.asyncio
async def test_a_rejection_in_a_pool_process_arrives_with_its_reason(pool: PreparePool) -> None:
    with pytest.raises(ValidationError) as caught:
        await pool.prepare(RawItem(body="<p> </p>"))  # nothing is left after the markup
    assert caught.value.reason is DeadLetterReason.EMPTY_BODY


@pytest.mark.asyncio
async def test_pool_items_run_at_the_same_time(pool: PreparePool, seed_bytes: bytes) -> None:
    raw = decode_raw(seed_bytes, 1 << 20)
    results = await asyncio.gather(*(pool.prepare(raw) for _ in range(6)))
    assert all(same_prepared(r, results[0]) for r in results)


def test_rejections_survive_pickling() -> None:
    exc = pickle.loads(pickle.dumps(ValidationError(DeadLetterReason.TOO_LARGE, "2 MB")))
    assert (type(exc), exc.reason, exc.message, str(exc)) == (
        ValidationError,
        DeadLetterReason.TOO_LARGE,
        "2 MB",
        "2 MB",
    )


class SlowFirstPool:
    """Finishes items in reverse order, so only an order-keeping caller forwards them in order."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.calls = 0

    async def prepare(self, raw: RawItem, deadline: Deadline | None = None) -> Prepared:
        self.calls += 1
        await asyncio.sleep(0.05 / self.calls)
        if raw.body.startswith("FAIL"):
            raise ValidationError(DeadLetterReason.INVALID_FIELD, "refused by the test")
        return self.pipeline.prepare(raw, deadline)


@pytest.mark.asyncio
async def test_a_batch_is_forwarded_in_input_order() -> None:
    pipeline = Pipeline.from_settings(FAST, {})
    fake = SlowFirstPool(pipeline)
    stages = TwoStages(pipeline, pool=fake)
    bodies = ["Oslo dockworkers strike.", "FAIL this one", "Rain in Bergen."]
    values = [orjson.dumps({"id": f"i-{n}", "body": b}) for n, b in enumerate(bodies)]
    msgs = [Message(v, n) for n, v in enumerate([*values, b"\xff\xfe not UTF-8"])]
    outcomes = await stages.prepare.handle_batch(msgs)
    assert outcomes == ["prepared", "deadletter", "prepared", "deadletter"]
    assert fake.calls == 3  # the undecodable message never reached the pool
    forwarded = [Prepared.from_bytes(v).item_id for _k, v, _h in stages.publisher.forwarded]
    assert forwarded == ["i-0", "i-2"]
    reasons = [h["x-deadletter-reason"] for _k, _v, h in stages.publisher.dead]
    assert reasons == [b"invalid_field", b"not_utf8"]


def test_the_pool_needs_a_process() -> None:
    with pytest.raises(ValueError, match="at least one process"):
        PreparePool(Settings(), 0)
