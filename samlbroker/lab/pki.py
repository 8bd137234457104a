"""A throwaway PKI for the lab: a CA, a TLS certificate for localhost, and the IdP token-signing identity.

Everything is generated fresh per lab run and written to a work directory (private keys mode 0600).
Never use these for anything but the lab.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # cryptography is imported lazily: only the lab needs it
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

# signin.aws.amazon.com: the lab also stands in for AWS's sign-in page (reached through the lab's proxy);
# only clients that trust this throwaway CA accept it.
TLS_HOSTNAMES = ("localhost", "signin.aws.amazon.com")
TLS_ADDRESSES = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class LabPKI:
    """The lab's certificates and keys: PEM bytes, and the files they were written to."""

    workdir: Path
    ca_cert_pem: bytes
    server_cert_pem: bytes
    server_key_pem: bytes = field(repr=False)
    signing_cert_pem: bytes
    signing_key_pem: bytes = field(repr=False)

    @property
    def ca_file(self) -> Path:
        return self.workdir / "lab-ca.pem"

    @property
    def server_cert_file(self) -> Path:
        return self.workdir / "lab-tls.pem"

    @property
    def server_key_file(self) -> Path:
        return self.workdir / "lab-tls.key"

    @property
    def signing_cert_file(self) -> Path:
        return self.workdir / "lab-token-signing.pem"

    @property
    def signing_key_file(self) -> Path:
        return self.workdir / "lab-token-signing.key"

    @property
    def server_cert_der(self) -> bytes:
        return ssl.PEM_cert_to_DER_cert(self.server_cert_pem.decode("ascii"))

    def tls_server_end_point(self) -> bytes:
        """RFC 5929 channel-binding data for the TLS certificate (its signature hash is SHA-256)."""
        return b"tls-server-end-point:" + hashlib.sha256(self.server_cert_der).digest()

    def server_context(self) -> ssl.SSLContext:
        """A TLS 1.2+ server context presenting the lab's localhost certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.server_cert_file, self.server_key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only the lab CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def _name(common_name: str) -> x509.Name:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "samlbroker lab (not for production)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, sign: bool = False, cert_sign: bool = False) -> x509.KeyUsage:
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _pem_key(key: PrivateKeyTypes) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _pem_cert(cert: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM)


def _write(path: Path, data: bytes, private: bool = False) -> None:
    """Write ``data``; a private file is created 0600 before any byte is in it."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    if private:
        os.chmod(path, 0o600)


def create_pki(workdir: Path, days: int = 30) -> LabPKI:
    """Generate the CA, the localhost TLS certificate and the token-signing identity into ``workdir``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID

    workdir.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc)
    start, end = now - dt.timedelta(hours=1), now + dt.timedelta(days=days)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("samlbroker lab CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(sign=True, cert_sign=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    tls_key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(h) for h in TLS_HOSTNAMES]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in TLS_ADDRESSES]
    tls_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_name)
        .public_key(tls_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(tls_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    # AD FS token-signing certificates are self-signed RSA; so is this one.
    signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signing_name = _name("ADFS Signing - localhost")
    signing_cert = (
        x509.CertificateBuilder()
        .subject_name(signing_name)
        .issuer_name(signing_name)
        .public_key(signing_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign=True), critical=True)
        .sign(signing_key, hashes.SHA256())
    )

    pki = LabPKI(
        workdir=workdir,
        ca_cert_pem=_pem_cert(ca_cert),
        server_cert_pem=_pem_cert(tls_cert),
        server_key_pem=_pem_key(tls_key),
        signing_cert_pem=_pem_cert(signing_cert),
        signing_key_pem=_pem_key(signing_key),
    )
    _write(pki.ca_file, pki.ca_cert_pem)
    _write(pki.server_cert_file, pki.server_cert_pem + pki.ca_cert_pem)
    _write(pki.server_key_file, pki.server_key_pem, private=True)
    _write(pki.signing_cert_file, pki.signing_cert_pem)
    _write(pki.signing_key_file, pki.signing_key_pem, private=True)
    return pki
