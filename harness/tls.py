"""TLS material for a local SASL_SSL broker, made at test time and never committed.

:func:`make_ca` creates a certificate authority; :meth:`CertificateAuthority.issue` signs a
broker certificate for 127.0.0.1 and ``localhost``. The files are what both sides read:
``ca.pem`` for the clients (``kafka.ssl_cafile``) and the broker's truststore, and a PEM keystore
(unencrypted PKCS#8 key, then the certificate chain) for ``ssl.keystore.type=PEM``. Keys are
EC P-256: quick to make, and both Java's and Python's TLS stacks take them.

A second, unrelated :func:`make_ca` is how the tests build "a certificate the client does not
trust".
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_FOR = datetime.timedelta(days=2)  # long enough for a test run, useless if it ever leaks
# Certificates start a little in the past so that a clock a few seconds off still accepts them.
BACKDATE = datetime.timedelta(minutes=5)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (a private key)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


@dataclass(frozen=True)
class BrokerKeystore:
    """A broker's PEM keystore (key and chain) and the CA certificate that signed it."""

    keystore: Path  # unencrypted PKCS#8 key, then the broker certificate, then the CA's
    ca_file: Path


@dataclass(frozen=True)
class CertificateAuthority:
    name: str
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    ca_file: Path  # the CA certificate, PEM: a client's kafka.ssl_cafile

    def issue(
        self, directory: Path, common_name: str = "wirestream-local-broker"
    ) -> BrokerKeystore:
        """A server (and client, for the controller listener) certificate for 127.0.0.1 and
        localhost, signed by this CA, written as a PEM keystore into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + VALID_FOR)
            .add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                        x509.DNSName("localhost"),
                    ]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        keystore = directory / f"{common_name}-keystore.pem"
        _write_private(
            keystore,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            + certificate.public_bytes(serialization.Encoding.PEM)
            + self.certificate.public_bytes(serialization.Encoding.PEM),
        )
        return BrokerKeystore(keystore=keystore, ca_file=self.ca_file)


def make_ca(directory: Path, name: str = "wirestream-test-ca") -> CertificateAuthority:
    """A new self-signed CA; its certificate is written to ``directory/<name>.pem``."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    subject = _name(name)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + VALID_FOR)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    ca_file = directory / f"{name}.pem"
    ca_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return CertificateAuthority(name=name, key=key, certificate=certificate, ca_file=ca_file)
