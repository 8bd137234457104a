"""A requests auth handler for SPNEGO (Negotiate), Kerberos and raw NTLM on pyspnego, kept on one connection.

The Kerberos plumbing it needs off Windows is in ``kerberos`` (krb5 profile overlay, tickets in memory)
and ``kerberos_errors`` (one-line descriptions of Kerberos failures).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from typing import Any

import requests
from requests.auth import AuthBase
from requests.cookies import extract_cookies_to_jar, get_cookie_header

from .kerberos import krb5_profile

log = logging.getLogger("samlbroker.auth")

MAX_LEGS = 6


class SpnegoAuth(AuthBase):
    """Answers a 401 ``WWW-Authenticate: <scheme>`` with pyspnego's client context, leg by leg.

    ``schemes`` are the HTTP schemes answered, the first offered winning: ``Negotiate`` (SPNEGO,
    ``protocol`` negotiate or kerberos), or ``NTLM`` then ``Negotiate`` for raw NTLM
    (``protocol="ntlm"``: raw NTLM tokens in a ``Negotiate`` header where only that is offered, as
    browsers send them; IIS takes them). Every leg is sent on the connection that received the
    challenge (NTLM authenticates the connection). ``credential`` (pyspnego credential objects, or a
    callable returning them, called only when the IdP asks for this scheme) wins over
    ``username``/``password``. ``ntlm_fallback``: another handler (raw NTLM) that answers a 401
    offering NTLM and none of ``schemes``. The SPN is ``service/<host of the 401's URL>`` unless ``hostname``
    is given. ``canonicalize``: False keeps the Kerberos library from rewriting that host through
    DNS, True lets it, None leaves the krb5 configuration alone. ``mechanism`` is what was
    negotiated (``ntlm``/``kerberos``); ``tokens_sent``, ``offered`` and ``spn`` are there for diagnostics.

    Mutual authentication is always asked of Kerberos, and the acceptor's last token is verified whenever
    it comes. ``mutual`` says whether it must come: with Kerberos (True) an answer without it fails;
    NTLM has no mutual authentication, so for NTLM inside SPNEGO a non-401 answer completes the
    sign-in, with or without that token (RFC 4559 makes it optional; proxies drop it).
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
        credential: Any = None,
        canonicalize: bool | None = None,
        schemes: tuple[str, ...] = ("Negotiate",),
        ntlm_fallback: SpnegoAuth | None = None,
    ) -> None:
        self.username = username
        self._password = password
        self.protocol = protocol
        self.service = service
        self.hostname = hostname
        self.mutual = mutual
        self.delegate = delegate
        self.credential = credential
        self.canonicalize = canonicalize
        self.schemes = schemes
        self.ntlm_fallback = ntlm_fallback
        self.scheme_used = schemes[0]
        self.mechanism: str | None = None
        self.spn: str | None = None
        self.tokens_sent = 0
        self.offered: str | None = None

    def __repr__(self) -> str:
        return f"SpnegoAuth(username={self.username!r}, schemes={self.schemes!r}, protocol={self.protocol!r})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Connection"] = "Keep-Alive"
        request.register_hook("response", self._on_response)
        return request

    def _on_response(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code != 401 or "Authorization" in response.request.headers:
            return response
        self.offered = response.headers.get("WWW-Authenticate", "")
        scheme = next((s for s in self.schemes if _token_for(response, s) is not None), None)
        if scheme is None:
            if self.ntlm_fallback is not None and _token_for(response, "NTLM") is not None:
                return self._fall_back_to_ntlm(self.ntlm_fallback, response, kwargs)
            return response
        self.scheme_used = scheme
        with krb5_profile(self.canonicalize):
            return self._handshake(response, kwargs)

    def _fall_back_to_ntlm(
        self, fallback: SpnegoAuth, response: requests.Response, send_kwargs: dict[str, Any]
    ) -> requests.Response:
        """The IdP offers NTLM and not this scheme (IIS with only the NTLM provider): raw NTLM, one handshake."""
        log.info("the IdP offers NTLM and not %s: raw NTLM on the same connection", self.schemes[0])
        try:
            return fallback._on_response(response, **send_kwargs)
        finally:
            self.scheme_used, self.mechanism = fallback.scheme_used, fallback.mechanism
            self.tokens_sent, self.spn = fallback.tokens_sent, fallback.spn

    def _new_context(self, response: requests.Response) -> Any:
        from urllib.parse import urlsplit

        import spnego

        flags = spnego.ContextReq.default  # mutual_auth included: a final token that comes is checked
        if self.delegate:
            flags |= spnego.ContextReq.delegate
        hostname = self.hostname or urlsplit(response.url).hostname or "unspecified"
        self.spn = f"{self.service}/{hostname}"
        log.info("SPN %s (%s)", self.spn, self.protocol)
        options = spnego.NegotiateOptions.none
        if self.credential is not None:
            who: Any = self.credential() if callable(self.credential) else self.credential
            secret = None
        else:
            who, secret = self.username, self._password
            if self.protocol == "ntlm" and who and secret:
                options = spnego.NegotiateOptions.use_ntlm  # pyspnego's own NTLM, never SSPI's cached user
        return spnego.client(
            who,
            secret,
            hostname=hostname,
            service=self.service,
            protocol=self.protocol,
            channel_bindings=_channel_bindings(response),
            context_req=flags,
            options=options,
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
            request.headers["Authorization"] = (
                f"{self.scheme_used} " + base64.b64encode(out_token or b"").decode()
            )
            self.tokens_sent += 1
            response = response.connection.send(request, **send_kwargs)  # type: ignore[attr-defined]
            in_token = _token_for(response, self.scheme_used)
            if response.status_code != 401 or not in_token:
                break
            if _closes_connection(response):  # the next leg would reach a connection without this context
                from ..errors import AuthenticationFailedError

                raise AuthenticationFailedError(
                    connection_not_kept(response.url, _mechanism(context, self.protocol))
                )
            history.append(response)
        self.mechanism = _mechanism(context, self.protocol)
        if response.status_code != 401:
            if in_token and not context.complete:
                context.step(in_token)  # the acceptor's last token: checks mutual authentication
            if not context.complete:
                self._accept_without_final_token()
        log.info("negotiated mechanism: %s", self.mechanism)
        response.history = history + response.history
        return response

    def _accept_without_final_token(self) -> None:
        """The IdP let the user in without its last token: fine for NTLM; for Kerberos only if not required."""
        if self.mechanism == "ntlm":
            log.info("no final Negotiate token from the IdP: none needed for NTLM (no mutual authentication)")
            return
        if not self.mutual:
            log.info("no final Negotiate token from the IdP: accepted (mutual authentication not required)")
            return
        from ..errors import AuthenticationFailedError

        raise AuthenticationFailedError(
            f"the IdP did not prove its identity as {self.spn} (mutual authentication failed: its answer "
            "carried no final Negotiate token); if a proxy or load balancer drops it, set "
            "kerberos_mutual = no on the endpoint"
        )


def _closes_connection(response: requests.Response) -> bool:
    return "close" in (token.strip().lower() for token in response.headers.get("Connection", "").split(","))


def connection_not_kept(url: str, mechanism: str) -> str:
    """One line for an IdP that closed the connection between a challenge and the answer it needs there."""
    name = "NTLM" if mechanism == "ntlm" else mechanism.capitalize()
    return (
        f"the IdP closed the connection after {name}'s challenge at {url.split('?', 1)[0]}, and {name} "
        "authenticates that one connection: the IdP, or a load balancer in front of it, does not keep it "
        "(it needs sticky sessions / connection affinity and keep-alive to the AD FS servers; or use "
        "auth_type = kerberos); no password was sent"
    )


def offered_schemes(header: str) -> list[str]:
    """The scheme names in a ``WWW-Authenticate`` value, in order (``Digest realm=.., nonce=..`` counts once)."""
    schemes = []
    for item in header.split(","):
        word = item.strip().split(" ", 1)[0]
        if word and "=" not in word and '"' not in word and word not in schemes:
            schemes.append(word)
    return schemes


def _mechanism(context: Any, protocol: str) -> str:
    try:
        return context.negotiated_protocol or protocol
    except Exception:  # pyspnego raises before a mechanism is chosen
        return protocol


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


def ntlm_only_credential(username: str, password: str) -> Any:
    """pyspnego credentials that SPNEGO can only use for NTLM (no second try at the KDC)."""
    import spnego

    try:
        from spnego._ntlm_raw.crypto import ntowfv1
    except ImportError:  # pragma: no cover - pyspnego moved it: plain password, SPNEGO may try Kerberos
        return [spnego.Password(username=username, password=password)]
    return [spnego.NTLMHash(username=username, nt_hash=ntowfv1(password).hex())]
