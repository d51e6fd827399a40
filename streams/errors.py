"""The one error tree of wirestream.

::

    WirestreamError                 base of everything raised on purpose
    ├── ItemRejected                the item itself is bad: it goes to the dead-letter topic
    │   ├── DecodeError             bytes that cannot be read (not UTF-8, broken JSON)
    │   └── ValidationError         readable, but breaks the input contract (shape, size, field)
    ├── TransientError              a passing fault outside us (broker, network): retry w/ backoff
    └── ConfigError                 bad settings or data files: refuse to start, say what, where

Each class carries ``retriable``; retry loops read the flag, never a chain of ``isinstance``.
``ItemRejected`` carries a :class:`DeadLetterReason`, which travels in the dead letter's headers.

Anything else that escapes the enrichment core is a bug. The worker's error policy
(``streams.policies``) logs it loudly with its traceback, counts it, and by default dead-letters the
item with reason ``processing_error`` so that nothing is lost and the stream keeps moving; set
``worker.on_internal_error = "crash"`` to stop the worker instead.

Third-party errors (aiokafka, orjson, fastText...) are mapped to this tree at the boundary where
they occur, with ``raise ... from None`` where the original adds nothing for the user.
"""

from __future__ import annotations

from enum import StrEnum


class DeadLetterReason(StrEnum):
    """Why an item went to the dead-letter topic (the ``x-deadletter-reason`` header)."""

    NOT_UTF8 = "not_utf8"
    INVALID_JSON = "invalid_json"
    WRONG_SHAPE = "wrong_shape"
    EMPTY_BODY = "empty_body"
    TOO_LARGE = "too_large"
    INVALID_FIELD = "invalid_field"
    PROCESSING_ERROR = "processing_error"


class WirestreamError(Exception):
    """Base class of every error wirestream raises on purpose."""

    retriable: bool = False


class ItemRejected(WirestreamError):
    """The item breaks the input contract; it is dead-lettered, never retried."""

    def __init__(self, reason: DeadLetterReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __reduce__(self) -> tuple[type[ItemRejected], tuple[DeadLetterReason, str]]:
        # Rejections cross process boundaries (the prepare pool): pickle rebuilds them from
        # both arguments, not from Exception.args, which holds the message alone.
        return type(self), (self.reason, self.message)


class DecodeError(ItemRejected):
    """The bytes cannot be read as text or as the JSON they claim to be."""


class ValidationError(ItemRejected):
    """The item is readable but its shape, size or fields break the contract."""


class TransientError(WirestreamError):
    """A passing failure of something outside us; the caller retries with backoff."""

    retriable = True


class ConfigError(WirestreamError):
    """Settings or data files are wrong; the process refuses to start and says why."""
