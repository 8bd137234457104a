"""The endpoint's ``ca_bundle`` as trust for the browser profile: the SPKI pins Chromium accepts.

Chromium has no per-profile CA store it reads on every platform (Linux's NSS database needs ``certutil``,
which is not always installed, and macOS and Windows use the system store). What it does accept everywhere
is ``--ignore-certificate-errors-spki-list`` (honoured only with ``--user-data-dir``): a certificate chain
with one of these public keys is accepted. So the keys are earned first: the IdP's own TLS certificate is
verified here, with Python's TLS against the bundle (chain and host name), and only then pinned, together
with the keys of the bundle's certificates (for servers that send their issuing CA in the chain).
"""

from __future__ import annotations

import base64
import hashlib
import socket
import ssl
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import ConfigError, IdPUnreachableError

PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"


def spki_hash(der_certificate: bytes) -> str:
    """base64(SHA-256(SubjectPublicKeyInfo)), the form the flag takes."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = x509.load_der_x509_certificate(der_certificate).public_key()
    spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def bundle_certificates(ca_bundle: str) -> list[bytes]:
    """The DER certificates of a PEM bundle; a bundle without any is a configuration error."""
    try:
        text = Path(ca_bundle).read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise ConfigError(f"cannot read ca_bundle {ca_bundle}: {exc.strerror}") from None
    blocks = [b for b in text.split(PEM_CERTIFICATE)[1:] if "-----END CERTIFICATE-----" in b]
    ders = [
        ssl.PEM_cert_to_DER_cert(
            PEM_CERTIFICATE + b.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
        )
        for b in blocks
    ]
    if not ders:
        raise ConfigError(f"ca_bundle {ca_bundle} holds no PEM certificate")
    return ders


def verified_leaf(url: str, ca_bundle: str, proxy: str | None = None, timeout: float = 10) -> bytes:
    """The TLS certificate ``url``'s server presents, verified against ``ca_bundle`` (chain and host name).

    With ``proxy`` (an http:// proxy URL) the connection goes through its CONNECT tunnel, as the browser's will.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    context = ssl.create_default_context(cafile=ca_bundle)
    try:
        with (
            _connect(host, port, proxy, timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError as exc:
        raise IdPUnreachableError(
            f"the TLS certificate of {host}:{port} is not trusted by ca_bundle {ca_bundle} ({exc.verify_message})"
        ) from None
    except OSError as exc:
        raise IdPUnreachableError(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from None
    assert der is not None
    return der


def _connect(host: str, port: int, proxy: str | None, timeout: float) -> socket.socket:
    if not proxy:
        return socket.create_connection((host, port), timeout=timeout)
    via = urlsplit(proxy if "://" in proxy else "http://" + proxy)
    raw = socket.create_connection((via.hostname or "", via.port or 8080), timeout=timeout)
    auth = ""
    if via.username:
        pair = f"{unquote(via.username)}:{unquote(via.password or '')}".encode()
        auth = f"Proxy-Authorization: Basic {base64.b64encode(pair).decode('ascii')}\r\n"
    raw.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}\r\n".encode("ascii"))
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 16384:
        chunk = raw.recv(4096)
        if not chunk:
            break
        head += chunk
    status = head.split(b" ", 2)[1:2]
    if status != [b"200"]:
        raw.close()
        raise OSError(f"the proxy refused the tunnel to {host}:{port}")
    return raw


def spki_pins(ca_bundle: str, urls: Iterable[str], proxy: str | None = None) -> list[str]:
    """The pins for the browser: each https URL's verified server key, and every key in the bundle."""
    pins = [spki_hash(der) for der in bundle_certificates(ca_bundle)]
    for url in urls:
        if urlsplit(url).scheme == "https":
            pins.append(spki_hash(verified_leaf(url, ca_bundle, proxy)))
    return list(dict.fromkeys(pins))
