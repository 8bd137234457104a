"""A requests auth handler for SPNEGO (Negotiate) and Kerberos on pyspnego, kept on one connection."""

from __future__ import annotations

import base64
import hashlib
import logging
from typing import Any

import requests
from requests.auth import AuthBase
from requests.cookies import extract_cookies_to_jar, get_cookie_header

log = logging.getLogger("samlbroker.auth")

MAX_LEGS = 6


class SpnegoAuth(AuthBase):
    """Answers a 401 ``WWW-Authenticate: Negotiate`` with pyspnego's client context, leg by leg.

    Every leg is sent on the connection that received the challenge (NTLM inside SPNEGO
    authenticates the connection). ``mechanism`` is what was negotiated (``ntlm``/``kerberos``).
    """

    def __init__(
        self,
        username: str | None,
        password: str | None,
        protocol: str = "negotiate",
        service: str = "HTTP",
        hostname: str | None = None,
        mutual: bool = True,
        delegate: bool = False,
    ) -> None:
        self.username = username
        self._password = password
        self.protocol = protocol
        self.service = service
        self.hostname = hostname
        self.mutual = mutual
        self.delegate = delegate
        self.mechanism: str | None = None

    def __repr__(self) -> str:
        return f"SpnegoAuth(username={self.username!r}, protocol={self.protocol!r})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Connection"] = "Keep-Alive"
        request.register_hook("response", self._on_response)
        return request

    def _on_response(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code != 401 or "Authorization" in response.request.headers:
            return response
        if _token_for(response, "Negotiate") is None:
            return response
        return self._handshake(response, kwargs)

    def _new_context(self, response: requests.Response) -> Any:
        from urllib.parse import urlsplit

        import spnego

        flags = spnego.ContextReq.default
        if not self.mutual:
            flags &= ~spnego.ContextReq.mutual_auth
        if self.delegate:
            flags |= spnego.ContextReq.delegate
        hostname = self.hostname or urlsplit(response.url).hostname or "unspecified"
        return spnego.client(
            self.username,
            self._password,
            hostname=hostname,
            service=self.service,
            protocol=self.protocol,
            channel_bindings=_channel_bindings(response),
            context_req=flags,
        )

    def _handshake(self, first: requests.Response, send_kwargs: dict[str, Any]) -> requests.Response:
        context = self._new_context(first)
        response = first
        history = [first]
        in_token: bytes | None = None
        for _ in range(MAX_LEGS):
            out_token = context.step(in_token)
            response.content  # noqa: B018 - read the body so the connection can carry the next leg
            response.raw.release_conn()
            request = response.request.copy()
            extract_cookies_to_jar(request._cookies, response.request, response.raw)  # type: ignore[attr-defined]
            cookie = get_cookie_header(request._cookies, request)  # type: ignore[attr-defined]
            if cookie:
                request.headers["Cookie"] = cookie
            request.headers["Authorization"] = "Negotiate " + base64.b64encode(out_token or b"").decode()
            response = response.connection.send(request, **send_kwargs)  # type: ignore[attr-defined]
            in_token = _token_for(response, "Negotiate")
            if response.status_code != 401 or not in_token:
                break
            history.append(response)
        if response.status_code != 401:
            if in_token and not context.complete:
                context.step(in_token)  # the acceptor's last token: checks mutual authentication
            if self.mutual and not context.complete:
                from ..errors import AuthenticationFailedError

                raise AuthenticationFailedError(
                    "the IdP did not prove its identity (mutual authentication failed)"
                )
        self.mechanism = getattr(context, "negotiated_protocol", None) or self.protocol
        log.info("negotiated mechanism: %s", self.mechanism)
        response.history = history + response.history
        return response


def _token_for(response: requests.Response, scheme: str) -> bytes | None:
    """The token in ``WWW-Authenticate: <scheme> <token>`` (b"" for a bare offer), or None if not offered."""
    header = response.headers.get("WWW-Authenticate", "")
    for offer in header.split(","):
        parts = offer.strip().split(" ", 1)
        if parts[0].lower() == scheme.lower():
            return base64.b64decode(parts[1]) if len(parts) > 1 and parts[1].strip() else b""
    return None


def _channel_bindings(response: requests.Response) -> Any:
    """tls-server-end-point channel bindings (RFC 5929) for Extended Protection over HTTPS, when reachable."""
    try:
        sock = response.raw._fp.fp.raw._sock  # urllib3's socket: the certificate of this very connection
        der = sock.getpeercert(True)
    except AttributeError:
        return None
    if not der:
        return None
    from cryptography import x509
    from spnego.channel_bindings import GssChannelBindings

    algorithm = x509.load_der_x509_certificate(der).signature_hash_algorithm
    name = algorithm.name if algorithm and algorithm.name not in ("md5", "sha1") else "sha256"
    digest = hashlib.new(name, der).digest()
    return GssChannelBindings(application_data=b"tls-server-end-point:" + digest)
