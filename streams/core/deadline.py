"""An item's deadline (``worker.item_deadline_s``): the point past which its processing stops.

Every stage's work is bounded by the size of the item and the caps of
:data:`streams.core.LIMITS`; the deadline is the backstop for what no cap foresaw. The pipeline
checks it between stages (each stage's worst case at the caps is about a second on the
benchmark's 2-core machine: ``make bench-hostile``), and an item past it is rejected as
``processing_timeout``: dead-lettered with its original bytes, never retried, and the worker
goes on with the next item.

The clock is ``time.monotonic``, which on Linux is the same for every process of the host, so a
deadline set in the worker holds in the prepare pool's processes as it is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from streams.errors import DeadLetterReason, ItemRejected


class ProcessingTimeout(ItemRejected):
    """The item overran ``worker.item_deadline_s``: dead-lettered as ``processing_timeout``."""

    def __init__(self, message: str) -> None:
        super().__init__(DeadLetterReason.PROCESSING_TIMEOUT, message)

    def __reduce__(self) -> tuple[type[ProcessingTimeout], tuple[str]]:  # type: ignore[override]
        return type(self), (self.message,)


@dataclass(frozen=True, slots=True)
class Deadline:
    at: float  # time.monotonic() value
    seconds: float  # the budget it was set with, for the message

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds, seconds)

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def check(self, stage: str) -> None:
        """Raise :class:`ProcessingTimeout` if the deadline has passed (``stage``: where)."""
        late = time.monotonic() - self.at
        if late > 0:
            raise ProcessingTimeout(
                f"processing overran worker.item_deadline_s ({self.seconds:g} s) by {late:.2f} s, "
                f"at the {stage} stage"
            )
