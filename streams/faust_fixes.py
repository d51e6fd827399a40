"""A targeted fix to faust-streaming 0.15.3's offset tracking, applied once by ``streams.app``.

The bug: during a rebalance, faust's stream *skips* messages that were fetched in an earlier
consumer generation, or that arrive while flow control is paused, and it **acks** them as it skips
them (``faust/streams.py``, ``_py_aiter``: ``value = skipped_value`` then ``event.ack()``). An ack
is what lets the consumer commit past an offset. When the partition comes back to the same worker,
those skipped offsets can end up committed although the agent never processed them, so the items
are lost. Our SIGKILL test caught it: 6 of 2,400 items missing, two per partition, at the offsets
fetched just before the restarted worker's second rebalance (upstream: faust-streaming issues
#221, #312 and #606 describe the same family of gap and generation bugs).

The fix: an ack for a message from an older generation, or made while flow control is paused, is
refused. The message is not lost: its partition is re-fetched from the committed offset once the
rebalance ends, and processed then. At worst an item is processed twice, which the dedupe stage
recognises by its origin (see ``streams.core.dedupe``). Delivery stays at-least-once.
"""

from __future__ import annotations

from typing import Any


def refuse_stale_acks(consumer_cls: Any) -> None:
    """Wrap ``consumer_cls.ack`` so that skipped, stale messages never count as processed."""
    original = consumer_cls.ack
    if getattr(original, "refuses_stale_acks", False):
        return  # already wrapped: wrapping twice would be harmless, but noisy in tracebacks

    def ack(self: Any, message: Any) -> bool:
        app = self.app
        generation = getattr(message, "generation_id", None)
        stale = generation is not None and generation != app.consumer_generation_id
        if stale or not app.flow_control.is_active():
            return False
        return bool(original(self, message))

    ack.__doc__ = original.__doc__
    ack.refuses_stale_acks = True  # type: ignore[attr-defined]
    consumer_cls.ack = ack


def apply() -> None:
    from faust.transport.consumer import Consumer

    refuse_stale_acks(Consumer)
