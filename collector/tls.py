"""The deployment's own certificate authority and the collector's server certificate.

``pantau-collector tls init --host collector.example --ip 203.0.113.10`` writes,
under ``<data-dir>/tls/``: ``ca.crt`` (give it to every kit: the kit pins it),
``ca.key`` (keep it offline after issuing), ``server.crt`` and ``server.key``
(the collector's). Keys are ECDSA P-256; files holding keys are mode 0600.
``cryptography`` is imported only here, and only by the collector.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

CA_DAYS = 3650
SERVER_DAYS = 825


class TlsError(Exception):
    """TLS material is missing, unreadable or would be overwritten."""


@dataclass(frozen=True, slots=True)
class TlsPaths:
    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"

    def exists(self) -> bool:
        return self.server_cert.exists() and self.server_key.exists()


def paths_for(data_dir: Path) -> TlsPaths:
    return TlsPaths(data_dir / "tls")


def _write(path: Path, data: bytes, *, private: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def init_tls(data_dir: Path, hosts: list[str], *, force: bool = False) -> TlsPaths:
    """Create a CA and a server certificate for ``hosts`` (names or IP addresses)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    paths = paths_for(data_dir)
    if paths.ca_cert.exists() and not force:
        raise TlsError(
            f"{paths.ca_cert} already exists: kits pin it, so replacing it cuts them off "
            "(pass --force to replace it anyway)"
        )
    if not hosts:
        raise TlsError("give at least one --host or --ip the kits use to reach the collector")
    paths.directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Pantau deployment CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip

    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    def pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    _write(paths.ca_key, pem_key(ca_key), private=True)
    _write(paths.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM), private=False)
    _write(paths.server_key, pem_key(server_key), private=True)
    _write(paths.server_cert, server_cert.public_bytes(serialization.Encoding.PEM), private=False)
    return paths


def server_credentials(paths: TlsPaths) -> tuple[bytes, bytes]:
    """(private key PEM, certificate chain PEM) for grpc.ssl_server_credentials."""
    try:
        return paths.server_key.read_bytes(), paths.server_cert.read_bytes()
    except OSError as exc:
        raise TlsError(
            f"cannot read the collector's TLS files in {paths.directory}: {exc}"
        ) from exc
