"""A local broker in kafka.sh's SASL_SSL mode, with everything a test needs to talk to it.

:func:`start_secure_kafka` makes a CA and a broker certificate (:mod:`harness.tls`), a random
password for the admin and for each named SCRAM user, and starts the broker with authorization
on. :class:`SecureKafka` then gives the ``WIRESTREAM_*`` settings of any user, the admin's
aiokafka options, and :meth:`SecureKafka.grant` for ACLs. Passwords live in memory and in one
owner-only file (the SCRAM users kafka.sh creates at format time); nothing is committed.
"""

from __future__ import annotations

import os
import secrets
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.acls import Acl, grant
from harness.services import KafkaBroker, free_port, start_kafka
from harness.tls import make_ca

ADMIN = "admin"
MECHANISM = "SCRAM-SHA-512"


@dataclass
class SecureKafka:
    broker: KafkaBroker
    ca_file: Path  # the CA that signed the broker's certificate
    passwords: dict[str, str]  # every SCRAM user, the admin included

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    def client_env(self, user: str, **overrides: str) -> dict[str, str]:
        """The ``WIRESTREAM_KAFKA_*`` settings of ``user`` on this broker."""
        return {
            "WIRESTREAM_KAFKA_BOOTSTRAP": self.bootstrap,
            "WIRESTREAM_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "WIRESTREAM_KAFKA_SASL_MECHANISM": MECHANISM,
            "WIRESTREAM_KAFKA_SASL_USERNAME": user,
            "WIRESTREAM_KAFKA_SASL_PASSWORD": self.passwords[user],
            "WIRESTREAM_KAFKA_SSL_CAFILE": str(self.ca_file),
            **overrides,
        }

    def admin_options(self) -> dict[str, Any]:
        """aiokafka client options of the admin, a super user."""
        return {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": "SASL_SSL",
            "ssl_context": ssl.create_default_context(cafile=str(self.ca_file)),
            "sasl_mechanism": MECHANISM,
            "sasl_plain_username": ADMIN,
            "sasl_plain_password": self.passwords[ADMIN],
        }

    def grant(self, user: str, acls: Iterable[Acl]) -> None:
        grant(self.admin_options(), f"User:{user}", acls)

    def stop(self) -> None:
        self.broker.stop()


def start_secure_kafka(state_dir: Path, users: Iterable[str]) -> SecureKafka:
    """A fresh SASL_SSL broker (``state_dir``: its data, TLS files and users file) with an admin
    and the SCRAM ``users``, each with a new random password."""
    state_dir.mkdir(parents=True, exist_ok=True)
    tls = state_dir / "tls"
    ca = make_ca(tls)
    keystore = ca.issue(tls)
    passwords = {name: secrets.token_urlsafe(18) for name in [ADMIN, *users]}
    users_file = state_dir / "scram-users"
    fd = os.open(users_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.writelines(f"{name}:{pw}\n" for name, pw in passwords.items() if name != ADMIN)
    env = {
        "KAFKA_SECURITY": "sasl_ssl",
        "KAFKA_SSL_KEYSTORE": str(keystore.keystore),
        "KAFKA_SSL_CA": str(keystore.ca_file),
        "KAFKA_ADMIN_USER": ADMIN,
        "KAFKA_ADMIN_PASSWORD": passwords[ADMIN],
        "KAFKA_SCRAM_USERS_FILE": str(users_file),
    }
    broker = start_kafka(state_dir / "kafka", port=free_port(), extra_env=env)
    return SecureKafka(broker=broker, ca_file=keystore.ca_file, passwords=passwords)
