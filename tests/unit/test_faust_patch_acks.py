"""The ack guard that keeps faust from committing past messages it skipped in a rebalance."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from streams.worker.patches import rebalance
from streams.worker.patches.hook import is_patch


@dataclass
class FlowControl:
    active: bool = True

    def is_active(self) -> bool:
        return self.active


@dataclass
class App:
    consumer_generation_id: int = 7
    flow_control: FlowControl = field(default_factory=FlowControl)


@dataclass
class Message:
    offset: int
    generation_id: int | None = 7


class Consumer:
    def __init__(self, app: App) -> None:
        self.app = app
        self.acked: list[int] = []

    def ack(self, message: Message) -> bool:
        self.acked.append(message.offset)
        return True


rebalance.refuse_stale_acks(Consumer)


@pytest.fixture
def consumer() -> Consumer:
    return Consumer(App())


@pytest.mark.parametrize(
    ("generation", "flow_active", "counted"),
    [
        (7, True, True),  # processed in the current generation: a real ack
        (None, True, True),  # messages that carry no generation are left alone
        (6, True, False),  # fetched before the rebalance, skipped by the stream
        (7, False, False),  # skipped while flow control is paused
    ],
)
def test_only_current_generation_acks_count(
    consumer: Consumer, generation: int | None, flow_active: bool, counted: bool
) -> None:
    consumer.app.flow_control.active = flow_active
    assert consumer.ack(Message(41, generation)) is counted
    assert consumer.acked == ([41] if counted else [])


def test_the_patch_is_applied_once(consumer: Consumer) -> None:
    rebalance.refuse_stale_acks(Consumer)  # a second call must not wrap the wrapper
    assert is_patch(Consumer.ack)
    assert not is_patch(Consumer.ack.__wrapped__)  # type: ignore[attr-defined]
    consumer.app.flow_control.active = False
    assert consumer.ack(Message(1)) is False
    consumer.app.flow_control.active = True
    assert consumer.ack(Message(2)) is True
    assert consumer.acked == [2]
