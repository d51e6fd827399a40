"""The one error tree of wirestream.

::

    WirestreamError                 base of everything raised on purpose
    ├── ItemRejected                the item itself is bad: it goes to the dead-letter topic
    │   ├── DecodeError             bytes that cannot be read (not UTF-8, broken JSON)
    │   ├── ValidationError         readable, but breaks the input contract (shape, size, field)
    │   └── ProcessingTimeout       overran worker.item_deadline_s (streams.core.deadline)
    ├── TransientError              a passing fault outside us (broker, network): retry w/ backoff
    ├── ConfigError                 bad settings or deployment: refuse to start, say what, where
    │   ├── BrokerAuthenticationError   Kafka refused our credentials (user, SASL mechanism)
    │   ├── BrokerTrustError        the broker's TLS certificate is not trusted (kafka.ssl_cafile)
    │   ├── BrokerAuthorizationError    an ACL denies us an operation on a topic, group, id
    │   └── DataFileError           a data file we need is missing, damaged or of another version
    │       ├── GazetteerMissingError   the compiled KB is not there (streams.kb.gazetteer)
    │       ├── GazetteerFormatError    the KB file cannot be read (streams.kb.gazetteer)
    │       ├── RecordError             a line of an entity file breaks a rule (streams.kb.curated)
    │       ├── ModelFileError          a language-ID model file is missing or altered
    │       └── ModelFormatError        an NER model file cannot be read (streams.ner.store)
    └── FormatError                 bytes we wrote that this version cannot read: a prepared
        │                           record, a dedupe record, a fingerprint
        └── HandoffError            a prepared-topic record without stage 1's headers

Each class carries ``retriable``; retry loops read the flag, never a chain of ``isinstance``.
``ItemRejected`` carries a :class:`DeadLetterReason`, which travels in the dead letter's headers.

Anything else that escapes the enrichment core is a bug. The worker's error policy
(:mod:`streams.worker.policies`) logs it loudly with its traceback, counts it, and by default
dead-letters the item with reason ``processing_error`` so that nothing is lost and the stream keeps
moving; set ``worker.on_internal_error = "crash"`` to stop the worker instead.

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
    PROCESSING_TIMEOUT = "processing_timeout"


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
    """Settings or the deployment are wrong; the process refuses to start and says why."""


class BrokerAuthenticationError(ConfigError):
    """Kafka refused to authenticate us: a wrong user or password, or a SASL mechanism the
    listener does not offer. Retrying cannot help; the message names user, mechanism, broker."""


class BrokerTrustError(ConfigError):
    """We refused the broker: its TLS certificate does not verify against ``kafka.ssl_cafile``
    (or the system's trust store), or the TLS handshake failed (a listener that is not TLS)."""


class BrokerAuthorizationError(ConfigError):
    """The broker's ACLs deny our principal an operation it needs; the message names the
    operation and the resource (topic, group, transactional id) to grant."""


class DataFileError(ConfigError):
    """A data file the process needs (KB, model, entity list) is missing, damaged, or was built
    by another version: a deployment fault, raised at start or load, never per item."""


class FormatError(WirestreamError):
    """Bytes that wirestream wrote (a prepared record, a dedupe record, a fingerprint) and this
    version cannot read: damaged, or written by another version. Raised where they are read;
    the reader decides (stage 2 dead-letters the item, the store treats the record as absent)."""
