"""The Kafka boundary without a broker: the failure table, the bounded retry, the probe on a port
where nothing listens, and secrets kept out of every message."""

from __future__ import annotations

import asyncio
import itertools
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
    UnsupportedSaslMechanismError,
)

from streams import broker, kafka
from streams.broker import Where, bootstrap_addresses, broker_error, broker_security, retrying
from streams.errors import (
    BrokerAuthenticationError,
    BrokerAuthorizationError,
    BrokerTrustError,
    ConfigError,
    TransientError,
    WirestreamError,
)
from streams.settings import KafkaSettings, Secret, load_settings

PASSWORD = "pw-7f3a9c-never-printed"


def _kafka(**overrides: object) -> KafkaSettings:
    values: dict[str, object] = {
        "bootstrap": "127.0.0.1:9094",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_username": "wirestream",
        "sasl_password": Secret(PASSWORD),
        "ssl_cafile": "/etc/kafka/ca.pem",
    }
    values.update(overrides)
    return KafkaSettings(**values)  # type: ignore[arg-type]


def _cert_error() -> ssl.SSLCertVerificationError:
    exc = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify")
    exc.verify_message = "self-signed certificate in certificate chain"
    return exc


CASES: list[tuple[BaseException, Where, type[WirestreamError], list[str]]] = [
    (
        SaslAuthenticationFailed("Authentication failed due to invalid credentials"),
        Where(_kafka(), "127.0.0.1:9094"),
        BrokerAuthenticationError,
        ["credentials", "'wirestream'", "SCRAM-SHA-512", "127.0.0.1:9094"],
    ),
    (
        UnsupportedSaslMechanismError("enabled: ['SCRAM-SHA-512']"),
        Where(_kafka(sasl_mechanism="PLAIN"), "b1:9094"),
        BrokerAuthenticationError,
        ["kafka.sasl_mechanism=PLAIN", "b1:9094"],
    ),
    (
        _cert_error(),
        Where(_kafka(), "127.0.0.1:9094"),
        BrokerTrustError,
        ["not trusted", "kafka.ssl_cafile=/etc/kafka/ca.pem", "self-signed"],
    ),
    (
        ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"),
        Where(_kafka(), "127.0.0.1:9094"),
        BrokerTrustError,
        ["TLS handshake", "SASL_SSL"],
    ),
    (
        TopicAuthorizationFailedError("other.topic"),
        Where(_kafka(), "127.0.0.1:9094", "Write"),
        BrokerAuthorizationError,
        ["denied user 'wirestream' Write on topic 'other.topic'"],
    ),
    (
        TopicAuthorizationFailedError({"b", "a"}),
        Where(_kafka(), "127.0.0.1:9094", "Read"),
        BrokerAuthorizationError,
        ["Read on topic 'a, b'"],
    ),
    (
        GroupAuthorizationFailedError("Unable to get coordinator id for wirestream"),
        Where(_kafka(), "127.0.0.1:9094", name="wirestream"),
        BrokerAuthorizationError,
        ["Read on group 'wirestream'"],
    ),
    (
        TransactionalIdAuthorizationFailed("x"),
        Where(_kafka(), "127.0.0.1:9094", name="wirestream-0-0"),
        BrokerAuthorizationError,
        ["Write on transactional id 'wirestream-0-0'"],
    ),
    (
        KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 9094)]"),
        Where(_kafka(), "127.0.0.1:9094"),
        TransientError,
        ["cannot reach Kafka at 127.0.0.1:9094"],
    ),
    (
        ConnectionRefusedError(111, "Connect call failed"),
        Where(_kafka(), "127.0.0.1:9094"),
        TransientError,
        ["cannot reach Kafka"],
    ),
    (
        ssl.SSLEOFError(8, "EOF occurred in violation of protocol"),
        Where(_kafka(), "127.0.0.1:9094"),
        TransientError,
        ["cannot reach Kafka"],
    ),
]


@pytest.mark.parametrize(("exc", "where", "kind", "words"), CASES, ids=lambda c: type(c).__name__)
def test_each_failure_maps_to_one_error_that_says_what(
    exc: BaseException, where: Where, kind: type[WirestreamError], words: list[str]
) -> None:
    error = broker_error(exc, where)
    assert type(error) is kind
    for word in words:
        assert word in str(error)
    assert "\n" not in str(error)
    assert PASSWORD not in str(error)
    assert PASSWORD not in repr(error)


def test_refusals_are_not_retried_and_absences_are() -> None:
    assert not BrokerAuthenticationError.retriable
    assert not BrokerTrustError.retriable
    assert not BrokerAuthorizationError.retriable
    assert issubclass(BrokerAuthenticationError, ConfigError)
    assert TransientError.retriable


def _counting(
    failures: list[WirestreamError], result: str = "done"
) -> tuple[Callable[[], Awaitable[str]], list[float]]:
    calls: list[float] = []

    async def call() -> str:
        calls.append(time.monotonic())
        if failures:
            raise failures.pop(0)
        return result

    return call, calls


def test_a_transient_failure_is_retried_with_growing_pauses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(broker, "BACKOFF_FIRST_S", 0.02)
    call, calls = _counting([TransientError("down"), TransientError("down"), TransientError("x")])
    assert asyncio.run(retrying(call, "testing")) == "done"
    assert len(calls) == 4
    pauses = [b - a for a, b in itertools.pairwise(calls)]
    assert pauses[0] >= 0.015
    assert pauses[2] > pauses[0]  # doubled twice, jitter is at most 20 %


def test_retrying_gives_up_at_its_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(broker, "BACKOFF_FIRST_S", 0.02)
    monkeypatch.setattr(broker, "BACKOFF_MAX_S", 0.05)
    monkeypatch.setattr(broker, "RETRY_DEADLINE_S", 0.4)
    call, calls = _counting([TransientError("cannot reach Kafka")] * 1000)
    started = time.monotonic()
    with pytest.raises(TransientError, match=r"gave up testing after \d+ attempts"):
        asyncio.run(retrying(call, "testing"))
    assert time.monotonic() - started < 0.4 + 0.2
    assert 3 < len(calls) < 40


def test_a_refusal_is_raised_at_once() -> None:
    call, calls = _counting([BrokerAuthenticationError("refused")])
    with pytest.raises(BrokerAuthenticationError):
        asyncio.run(retrying(call, "testing"))
    assert len(calls) == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_probe_reports_an_absent_broker_as_transient() -> None:
    settings = load_settings({"WIRESTREAM_KAFKA_BOOTSTRAP": f"127.0.0.1:{_closed_port()}"})
    with pytest.raises(TransientError, match=r"cannot reach Kafka at 127\.0\.0\.1:"):
        asyncio.run(broker.probe_broker(settings))


def test_a_missing_ca_file_is_a_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(ConfigError, match=f"kafka.ssl_cafile={missing}"):
        broker_security(_kafka(ssl_cafile=str(missing)))


def test_a_ca_file_that_is_not_pem_is_a_config_error(tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n")
    with pytest.raises(ConfigError, match="cannot be read as PEM"):
        broker_security(_kafka(ssl_cafile=str(bogus)))


def test_sasl_without_a_password_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"needs kafka\.sasl_username and kafka\.sasl_password"):
        broker_security(_kafka(sasl_password=None, ssl_cafile=None))


@pytest.mark.parametrize(
    ("bootstrap", "expected"),
    [
        ("b1:9092,b2:9093", [("b1", 9092), ("b2", 9093)]),
        (" b1:9092 , ", [("b1", 9092)]),
        ("b1", [("b1", 9092)]),
        ("[::1]:9094", [("::1", 9094)]),
    ],
)
def test_bootstrap_addresses(bootstrap: str, expected: list[tuple[str, int]]) -> None:
    assert bootstrap_addresses(bootstrap) == expected


@pytest.mark.parametrize("bootstrap", ["", " , ", "b1:port"])
def test_bad_bootstrap_is_a_config_error(bootstrap: str) -> None:
    with pytest.raises(ConfigError, match=r"kafka\.bootstrap"):
        bootstrap_addresses(bootstrap)


def test_a_client_that_cannot_start_says_why() -> None:
    """aiokafka's start says "Unable to bootstrap" whatever the cause; the probe names it."""
    settings = load_settings({"WIRESTREAM_KAFKA_BOOTSTRAP": f"127.0.0.1:{_closed_port()}"})

    async def start_both() -> list[str]:
        found = []
        for client in (
            kafka.producer(settings),
            kafka.consumer(settings, ["t"], from_beginning=True),
        ):
            with pytest.raises(TransientError) as caught:
                async with client:
                    pass
            found.append(str(caught.value))
        return found

    for message in asyncio.run(start_both()):
        assert message.startswith("cannot reach Kafka at 127.0.0.1:")
        assert "Unable to bootstrap" not in message
