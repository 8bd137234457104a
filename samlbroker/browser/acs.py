"""The SAML post to AWS (any partition's sign-in URL, or the endpoint's ``acs_url``): recognised, read, answered.

The browser's POST is answered here with a page saying the login is done, so the assertion never reaches AWS.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

from ..errors import SAMLResponseError

# signin.aws.amazon.com, its regional names (us-east-2.signin.aws.amazon.com), GovCloud and China.
AWS_SIGNIN_HOSTS = re.compile(
    r"^(?:[a-z0-9-]+\.)?signin\.(?:aws\.amazon\.com|amazonaws-us-gov\.com|amazonaws\.cn)$"
)
AWS_URL_PATTERNS = (
    "https://signin.aws.amazon.com*",
    "https://*.signin.aws.amazon.com*",
    "https://signin.amazonaws-us-gov.com*",
    "https://*.signin.amazonaws-us-gov.com*",
    "https://signin.amazonaws.cn*",
    "https://*.signin.amazonaws.cn*",
)
SAML_PROTOCOL = b"urn:oasis:names:tc:SAML:2.0:protocol"


class AcsMatcher:
    """Which requests carry the SAMLResponse: a POST to ``/saml`` of an AWS sign-in host, or to ``acs_url``."""

    def __init__(self, acs_url: str | None = None) -> None:
        self.acs = _normal(acs_url) if acs_url else None

    def url_patterns(self) -> Sequence[str]:
        """The Fetch.enable patterns that pause these requests (and a few harmless neighbours)."""
        if self.acs is None:
            return AWS_URL_PATTERNS
        return (*AWS_URL_PATTERNS, self.acs[0] + "://" + self.acs[1] + "*")

    def matches(self, method: str, url: str) -> bool:
        if method.upper() != "POST":
            return False
        target = _normal(url)
        if self.acs is not None and target == self.acs:
            return True
        scheme, host, path = target
        return (
            scheme == "https"
            and AWS_SIGNIN_HOSTS.match(host.removesuffix(":443")) is not None
            and (path.rstrip("/") == "/saml")
        )


def _normal(url: str) -> tuple[str, str, str]:
    """(scheme, host[:port] without the default port, path) in the case URLs compare in."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    default = {"https": 443, "http": 80}.get(parts.scheme.lower())
    if parts.port and parts.port != default:
        host = f"{host}:{parts.port}"
    return parts.scheme.lower(), host, parts.path or "/"


def saml_response_of(body: bytes) -> str:
    """The SAMLResponse field of a posted form, checked to be a SAML 2.0 protocol message."""
    fields = parse_qs(body.decode("ascii", "replace"), keep_blank_values=True)
    values = [v for k, vs in fields.items() if k.lower() == "samlresponse" for v in vs]
    if not values or not values[0].strip():
        raise SAMLResponseError("the IdP posted to the AWS sign-in URL without a SAMLResponse")
    try:
        decoded = base64.b64decode(values[0], validate=False)
    except (binascii.Error, ValueError):
        raise SAMLResponseError("the SAMLResponse posted by the IdP is not base64") from None
    if SAML_PROTOCOL not in decoded[:4096] or b"Response" not in decoded[:4096]:
        raise SAMLResponseError("the value posted as SAMLResponse is not a SAML 2.0 Response")
    return values[0]


def done_page(ok: bool, message: str) -> bytes:
    """What the browser shows instead of AWS: the login is done (or why not); the terminal takes over."""
    title = "samlbroker: login done" if ok else "samlbroker: login failed"
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
        + html.escape(title)
        + "</title></head><body style='font-family:sans-serif;margin:3em'><h1 id='samlbroker-result'>"
        + html.escape(title)
        + "</h1><p>"
        + html.escape(message)
        + "</p></body></html>"
    ).encode()
