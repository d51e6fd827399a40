"""The Kafka boundary: how our clients prove themselves to the broker, what Kafka's failures mean,
and how long to keep trying.

:func:`broker_security` and :func:`client_options` build every client's TLS and SASL options, for
the CLI's aiokafka clients and (through ``streams.worker.app.broker_credentials``) for faust.
Failures are mapped to the error tree by one table, :data:`_FAILURES`: a refusal (credentials,
certificate, ACL) is a :class:`~streams.errors.ConfigError` that stops the process at once; an
absence (nothing listening, a timeout) is a :class:`~streams.errors.TransientError`, which
:func:`retrying` retries with backoff for at most :data:`RETRY_DEADLINE_S`. No message carries a
secret: they name the user, the mechanism, the broker and the CA file, never the password.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiokafka.conn import create_conn
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    IllegalSaslStateError,
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
    UnsupportedSaslMechanismError,
)

from streams.errors import (
    BrokerAuthenticationError,
    BrokerAuthorizationError,
    BrokerTrustError,
    ConfigError,
    TransientError,
    WirestreamError,
)
from streams.logs import get_logger
from streams.settings import KafkaSettings, Secret, Settings

log = get_logger("wirestream.kafka")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BrokerSecurity:
    """How every client of ours (the worker's faust app and the CLI's aiokafka clients) proves
    itself to the broker: built once from the settings by :func:`broker_security`."""

    protocol: str  # PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL
    ssl_context: ssl.SSLContext | None  # the CA of kafka.ssl_cafile (or the system's), for SSL
    sasl_mechanism: str | None  # for SASL
    username: str | None
    password: Secret | None  # revealed only where a client library takes it


def broker_security(kafka: KafkaSettings) -> BrokerSecurity:
    """The settings' security, checked: a SASL protocol needs a user and a password, and
    ``kafka.ssl_cafile`` must be a readable PEM bundle (ConfigError otherwise)."""
    protocol = kafka.security_protocol
    context = None
    if protocol in ("SSL", "SASL_SSL"):
        try:
            context = ssl.create_default_context(cafile=kafka.ssl_cafile)
        except (OSError, ssl.SSLError) as exc:
            reason = exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)
            raise ConfigError(
                f"kafka.ssl_cafile={kafka.ssl_cafile} cannot be read as PEM certificates: {reason}"
            ) from None
    sasl = protocol.startswith("SASL")
    if sasl and not (kafka.sasl_username and kafka.sasl_password):
        raise ConfigError(
            f"kafka.security_protocol={protocol} needs kafka.sasl_username and "
            "kafka.sasl_password (WIRESTREAM_KAFKA_SASL_USERNAME, WIRESTREAM_KAFKA_SASL_PASSWORD)"
        )
    return BrokerSecurity(
        protocol=protocol,
        ssl_context=context,
        sasl_mechanism=kafka.sasl_mechanism if sasl else None,
        username=kafka.sasl_username if sasl else None,
        password=kafka.sasl_password if sasl else None,
    )


def client_options(settings: Settings) -> dict[str, Any]:
    """Connection options shared by every aiokafka client (SASL/SSL included)."""
    security = broker_security(settings.kafka)
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka.bootstrap,
        "security_protocol": security.protocol,
    }
    if security.ssl_context is not None:
        options["ssl_context"] = security.ssl_context
    if security.sasl_mechanism is not None:
        options["sasl_mechanism"] = security.sasl_mechanism
        options["sasl_plain_username"] = security.username
        options["sasl_plain_password"] = security.password.reveal() if security.password else None
    return options


# --- Failures: one table from what aiokafka and ssl raise to the error tree ---------------------

# Reaching the broker (connecting, creating topics) is retried with exponential backoff, jittered,
# from BACKOFF_FIRST_S up to BACKOFF_MAX_S per pause, for RETRY_DEADLINE_S in all: a broker that
# restarts is back within it, and one that is gone is reported instead of waited for forever.
RETRY_DEADLINE_S = 20.0
BACKOFF_FIRST_S = 0.25
BACKOFF_MAX_S = 4.0
# One connection attempt of the probe: TLS and SASL on a healthy broker take milliseconds.
PROBE_TIMEOUT_MS = 5_000


@dataclass(frozen=True, slots=True)
class Where:
    """What we were doing when Kafka failed us, for the message: the broker, and for an
    authorization failure the operation and resource that were refused."""

    kafka: KafkaSettings
    address: str
    operation: str = "Describe"  # an ACL operation: Read, Write, Create, Describe
    name: str | None = None  # the topic, group or transactional id, when the caller knows it

    @property
    def user(self) -> str:
        if self.kafka.security_protocol.startswith("SASL"):
            return f"user {self.kafka.sasl_username!r}"
        return f"this client ({self.kafka.security_protocol}, no SASL user)"

    @property
    def ca(self) -> str:
        cafile = self.kafka.ssl_cafile
        return f"kafka.ssl_cafile={cafile}" if cafile else "the system's CAs (no kafka.ssl_cafile)"


def _denied(resource: str, operation: str | None = None) -> Callable[[Any, Where], WirestreamError]:
    """A builder for "the ACLs deny us": ``operation`` overrides the caller's (a group is
    always joined with Read, a transactional id always written)."""

    def build(exc: Any, where: Where) -> WirestreamError:
        name = where.name or _first_arg(exc)
        what = f"{resource} {name!r}" if name else f"a {resource}"
        if resource == "cluster":
            what = "the cluster"
        return BrokerAuthorizationError(
            f"Kafka denied {where.user} {operation or where.operation} on {what} at "
            f"{where.address}: grant it (docs/runbook.md, Security)"
        )

    return build


def _first_arg(exc: BaseException) -> str | None:
    arg = exc.args[0] if exc.args else None
    if isinstance(arg, set | frozenset | list | tuple):
        return ", ".join(sorted(map(str, arg))) or None
    return str(arg) if arg is not None else None


def _unreachable(exc: Any, where: Where) -> WirestreamError:
    reason = str(exc) or type(exc).__name__
    return TransientError(f"cannot reach Kafka at {where.address}: {reason}")


# First match wins, so subclasses come before their bases (SSLCertVerificationError is an
# SSLError, which is an OSError; the Kafka errors are KafkaErrors).
_Kinds = type[BaseException] | tuple[type[BaseException], ...]
_FAILURES: tuple[tuple[_Kinds, Callable[[Any, Where], WirestreamError]], ...] = (
    (
        SaslAuthenticationFailed,
        lambda exc, w: BrokerAuthenticationError(
            f"Kafka refused the credentials of {w.user} ({w.kafka.sasl_mechanism}) at "
            f"{w.address}: check kafka.sasl_username and kafka.sasl_password"
        ),
    ),
    (
        UnsupportedSaslMechanismError,
        lambda exc, w: BrokerAuthenticationError(
            f"the broker at {w.address} does not offer kafka.sasl_mechanism="
            f"{w.kafka.sasl_mechanism}: {exc}"
        ),
    ),
    (
        IllegalSaslStateError,
        lambda exc, w: BrokerAuthenticationError(
            f"SASL authentication with {w.address} failed ({w.kafka.sasl_mechanism}): {exc}"
        ),
    ),
    (
        ssl.SSLCertVerificationError,
        lambda exc, w: BrokerTrustError(
            f"the broker's certificate at {w.address} is not trusted by {w.ca}: "
            f"{exc.verify_message}"
        ),
    ),
    # The peer closed the connection in the middle of the handshake: a restart, a cut.
    ((ssl.SSLEOFError, ssl.SSLZeroReturnError), _unreachable),
    (
        ssl.SSLError,
        lambda exc, w: BrokerTrustError(
            f"the TLS handshake with {w.address} failed ({getattr(exc, 'reason', None) or exc}): "
            f"is that a TLS listener? (kafka.security_protocol={w.kafka.security_protocol})"
        ),
    ),
    (TopicAuthorizationFailedError, _denied("topic")),
    (GroupAuthorizationFailedError, _denied("group", "Read")),
    (TransactionalIdAuthorizationFailed, _denied("transactional id", "Write")),
    (ClusterAuthorizationFailedError, _denied("cluster")),
    ((KafkaConnectionError, KafkaTimeoutError, OSError, TimeoutError), _unreachable),
)


def broker_error(exc: BaseException, where: Where) -> WirestreamError:
    """The error of ours that ``exc``, raised while talking to Kafka, means."""
    for kinds, build in _FAILURES:
        if isinstance(exc, kinds):
            return build(exc, where)
    if isinstance(exc, KafkaError) and exc.retriable:
        return TransientError(f"Kafka at {where.address}: {type(exc).__name__}: {exc}")
    return ConfigError(f"Kafka at {where.address} answered {type(exc).__name__}: {exc}")


async def retrying(call: Callable[[], Awaitable[T]], what: str) -> T:
    """``call()``, again after each retriable failure (``TransientError.retriable``), with
    exponential backoff for at most :data:`RETRY_DEADLINE_S`; a refusal is raised at once."""
    started = time.monotonic()
    pause = BACKOFF_FIRST_S
    for attempt in range(1, 1_000_000):
        try:
            return await call()
        except WirestreamError as exc:
            if not exc.retriable:
                raise
            elapsed = time.monotonic() - started
            wait = pause * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not cryptography
            if elapsed + wait > RETRY_DEADLINE_S:
                raise TransientError(
                    f"{exc} (gave up {what} after {attempt} attempts in {elapsed:.1f} s)"
                ) from None
            log.warning("kafka_retry", what=what, attempt=attempt, error=str(exc), retry_in_s=wait)
            await asyncio.sleep(wait)
            pause = min(pause * 2, BACKOFF_MAX_S)
    raise AssertionError("unreachable")  # pragma: no cover


def bootstrap_addresses(bootstrap: str) -> list[tuple[str, int]]:
    """``host:port`` pairs of ``kafka.bootstrap`` (``[v6]:port`` too; 9092 when no port)."""
    found = []
    for item in (part.strip() for part in bootstrap.split(",")):
        if not item:
            continue
        host, sep, port = item.rpartition(":")
        if not sep or "]" in port:
            host, port = item, "9092"
        try:
            found.append((host.strip("[]"), int(port)))
        except ValueError:
            raise ConfigError(f"kafka.bootstrap: {item!r} is not host:port") from None
    if not found:
        raise ConfigError("kafka.bootstrap is empty")
    return found


async def probe_broker(settings: Settings) -> None:
    """Connect to a bootstrap broker as every client does (TLS, then SASL) and hang up: the one
    place where "Kafka refused us" is told apart from "Kafka is not there", which aiokafka's
    clients fold into one "Unable to bootstrap". A refusal raises at once; when no broker
    answers, the last absence is raised (retriable)."""
    options = {k: v for k, v in client_options(settings).items() if k != "bootstrap_servers"}
    absent: WirestreamError | None = None
    for host, port in bootstrap_addresses(settings.kafka.bootstrap):
        where = Where(settings.kafka, f"{host}:{port}")
        try:
            conn = await create_conn(host, port, request_timeout_ms=PROBE_TIMEOUT_MS, **options)
        except Exception as exc:  # every failure goes through the table
            error = broker_error(exc, where)
            if not error.retriable:
                raise error from None
            absent = error
            continue
        conn.close()
        return
    assert absent is not None
    raise absent


async def reach_broker(settings: Settings) -> None:
    """:func:`probe_broker`, retried while the broker is absent."""
    await retrying(lambda: probe_broker(settings), "reaching Kafka")
