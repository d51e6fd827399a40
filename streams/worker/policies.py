"""Error policies: what the worker does with an item that met a bug.

An item the input contract rejects (:class:`~streams.errors.ItemRejected`) is dead-lettered with
its own reason; no policy is asked. Anything else that escapes the enrichment core is a bug, and
the stage asks its policy, a plain callable, so that a deployment (``worker.on_internal_error``)
and the tests can swap it: map the exception to a dead-letter reason, or re-raise it to stop the
worker. The stage logs the bug loudly with its traceback and counts it in
``wirestream_errors_total`` before it asks.
"""

from __future__ import annotations

from collections.abc import Callable

from streams.errors import DeadLetterReason

ErrorPolicy = Callable[[Exception], DeadLetterReason]


def deadletter_policy(exc: Exception) -> DeadLetterReason:
    """Dead-letter the item as ``processing_error`` and go on: nothing is lost, nothing stalls."""
    return DeadLetterReason.PROCESSING_ERROR


def crash_policy(exc: Exception) -> DeadLetterReason:
    """Stop the worker: the item is not committed, and a restarted worker meets it again."""
    raise exc


def policy_for(name: str) -> ErrorPolicy:
    """The policy a ``worker.on_internal_error`` setting names."""
    return crash_policy if name == "crash" else deadletter_policy
