"""A requests auth handler for SPNEGO (Negotiate) and Kerberos on pyspnego, kept on one connection.

Also the Kerberos plumbing it needs off Windows: tickets acquired with a password in memory (never a
``kinit`` subprocess or a file), a krb5 profile overlay that keeps hostname canonicalisation off, and
one-line descriptions of Kerberos failures.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import logging
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from requests.auth import AuthBase
from requests.cookies import extract_cookies_to_jar, get_cookie_header

log = logging.getLogger("samlbroker.auth")

MAX_LEGS = 6
DEFAULT_KRB5_CONFIG = "/etc/krb5.conf"


class SpnegoAuth(AuthBase):
    """Answers a 401 ``WWW-Authenticate: Negotiate`` with pyspnego's client context, leg by leg.

    Every leg is sent on the connection that received the challenge (NTLM inside SPNEGO
    authenticates the connection). ``credential`` (pyspnego credential objects) wins over
    ``username``/``password``. The SPN is ``service/<host of the 401's URL>`` unless ``hostname``
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
        self.mechanism: str | None = None
        self.spn: str | None = None
        self.tokens_sent = 0
        self.offered: str | None = None

    def __repr__(self) -> str:
        return f"SpnegoAuth(username={self.username!r}, protocol={self.protocol!r})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Connection"] = "Keep-Alive"
        request.register_hook("response", self._on_response)
        return request

    def _on_response(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code != 401 or "Authorization" in response.request.headers:
            return response
        self.offered = response.headers.get("WWW-Authenticate", "")
        if _token_for(response, "Negotiate") is None:
            return response
        with krb5_profile(self.canonicalize):
            return self._handshake(response, kwargs)

    def _new_context(self, response: requests.Response) -> Any:
        from urllib.parse import urlsplit

        import spnego

        flags = spnego.ContextReq.default  # mutual_auth included: a final token that comes is checked
        if self.delegate:
            flags |= spnego.ContextReq.delegate
        hostname = self.hostname or urlsplit(response.url).hostname or "unspecified"
        self.spn = f"{self.service}/{hostname}"
        log.info("SPN %s (%s)", self.spn, self.protocol)
        if self.credential is not None:
            who: Any = self.credential
            secret = None
        else:
            who, secret = self.username, self._password
        return spnego.client(
            who,
            secret,
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
            self.tokens_sent += 1
            response = response.connection.send(request, **send_kwargs)  # type: ignore[attr-defined]
            in_token = _token_for(response, "Negotiate")
            if response.status_code != 401 or not in_token:
                break
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


# --- Kerberos (GSSAPI off Windows) -----------------------------------------------------------------

_profile_lock = threading.RLock()
_overlays: dict[bool, Path] = {}


def _overlay(canonicalize: bool) -> Path:
    """A two-line krb5 profile that wins over the user's for hostname canonicalisation (created once)."""
    path = _overlays.get(canonicalize)
    if path is None:
        value = "true" if canonicalize else "false"
        fd, name = tempfile.mkstemp(prefix="samlbroker-krb5-", suffix=".conf")
        with os.fdopen(fd, "w") as handle:
            handle.write(f"[libdefaults]\n    dns_canonicalize_hostname = {value}\n    rdns = {value}\n")
        path = _overlays[canonicalize] = Path(name)
        atexit.register(path.unlink, missing_ok=True)
    return path


@contextlib.contextmanager
def krb5_profile(canonicalize: bool | None) -> Iterator[None]:
    """Run the block with ``KRB5_CONFIG`` = overlay:user's profile, so the overlay's settings win.

    MIT Kerberos (and Heimdal) read ``KRB5_CONFIG`` whenever a library context is made, and take a
    setting from the first file that has it. Process-wide while the block runs: serialised by a lock.
    """
    if canonicalize is None or sys.platform == "win32":
        yield
        return
    with _profile_lock:
        saved = os.environ.get("KRB5_CONFIG")
        user = saved or DEFAULT_KRB5_CONFIG
        os.environ["KRB5_CONFIG"] = f"{_overlay(canonicalize)}{os.pathsep}{user}"
        try:
            yield
        finally:
            if saved is None:
                os.environ.pop("KRB5_CONFIG", None)
            else:
                os.environ["KRB5_CONFIG"] = saved


def have_gssapi() -> bool:
    """True when pyspnego's GSSAPI (Kerberos) backend can be imported."""
    try:
        import gssapi  # noqa: F401
        import krb5  # noqa: F401
    except ImportError:
        return False
    return True


def default_realm() -> str | None:
    """The krb5 configuration's default realm, or None."""
    import krb5

    try:
        return krb5.get_default_realm(krb5.init_context()).decode()
    except Exception:
        return None


def kerberos_principal(username: str, realm: str | None) -> str:
    """The Kerberos principal for a sign-in name.

    ``alice@corp.example.com`` -> ``alice@CORP.EXAMPLE.COM`` (a UPN whose suffix is the realm);
    ``CORP\\alice`` -> ``alice@<default realm>`` when the realm's first label is ``CORP``, else
    ``alice@CORP``; a bare ``alice`` takes the default realm.
    """
    if "\\" in username:
        domain, account = username.split("\\", 1)
        if realm and realm.split(".", 1)[0].upper() == domain.upper():
            return f"{account}@{realm.upper()}"
        return f"{account}@{domain.upper()}"
    if "@" in username:
        account, suffix = username.rsplit("@", 1)
        return f"{account}@{suffix.upper()}"
    return f"{username}@{realm.upper()}" if realm else username


class TicketCache:
    """A MEMORY credential cache holding one TGT got with a password; ``close()`` destroys it."""

    def __init__(self, name: str, principal: str, handle: Any, context: Any) -> None:
        self.name = name
        self.principal = principal
        self._handle = handle
        self._context = context

    def credential(self) -> Any:
        import spnego

        return spnego.KerberosCCache(ccache=self.name, principal=self.principal)

    def close(self) -> None:
        import krb5

        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(Exception):
                krb5.cc_destroy(self._context, handle)


def acquire_ticket(principal: str, password: str, forwardable: bool = False) -> TicketCache:
    """One AS exchange with the password in memory, the TGT kept in a MEMORY cache (never on disk).

    Raises ``krb5.Krb5Error`` (see ``kerberos_failure``); a wrong password costs exactly one attempt.
    """
    import krb5

    context = krb5.init_context()
    client = krb5.parse_name_flags(context, principal.encode())
    options = krb5.get_init_creds_opt_alloc(context)
    krb5.get_init_creds_opt_set_canonicalize(options, True)
    krb5.get_init_creds_opt_set_forwardable(options, forwardable)
    creds = krb5.get_init_creds_password(context, client, options, password=password.encode("utf-8"))
    cache = krb5.cc_new_unique(context, b"MEMORY")
    krb5.cc_initialize(context, cache, creds.client)
    krb5.cc_store_cred(context, cache, creds)
    name = b"MEMORY:" + (cache.name or b"")
    return TicketCache(name.decode(), principal, cache, context)


def ntlm_only_credential(username: str, password: str) -> Any:
    """pyspnego credentials that SPNEGO can only use for NTLM (no second try at the KDC)."""
    import spnego

    try:
        from spnego._ntlm_raw.crypto import ntowfv1
    except ImportError:  # pragma: no cover - pyspnego moved it: plain password, SPNEGO may try Kerberos
        return [spnego.Password(username=username, password=password)]
    return [spnego.NTLMHash(username=username, nt_hash=ntowfv1(password).hex())]


# Kerberos failures, by the words MIT and Heimdal use (regular expressions on the lower-cased text).
_KERBEROS_FAILURES: tuple[tuple[str, str], ...] = (
    (r"preauthentication failed|password incorrect|decrypt integrity check failed", "password"),
    (r"credentials have been revoked|client locked out|account disabled", "revoked"),
    (r"password has expired|key has expired", "password_expired"),
    (r"clock skew too great", "skew"),
    (r"ticket expired|credentials? ha(?:s|ve) expired", "expired"),
    (r"server \S* ?not found in kerberos database|server principal unknown|server not found", "unknown_spn"),
    (r"client \S* ?not found in kerberos database|client principal unknown", "unknown_client"),
    (r"no kerberos credentials available|no credentials cache found|no credentials were supplied"
     r"|matching credential not found|can't find client principal", "no_ticket"),
    (r"cannot contact any kdc|unable to reach any kdc|cannot resolve network address for kdc", "unreachable"),
    (r"cannot find kdc for (?:requested )?realm|realm not local to kdc|does not specify default realm"
     r"|cannot determine realm", "no_realm"),
)  # fmt: skip

# Failures where Kerberos is simply not available for this user: Negotiate may then use NTLM.
KERBEROS_UNAVAILABLE = {"unreachable", "no_realm", "unknown_client", "no_ticket"}


def kerberos_failure(exc: BaseException) -> str | None:
    """The kind of a Kerberos failure (see ``_KERBEROS_FAILURES``), or None when not recognised."""
    text = " ".join(str(e) for e in _chain(exc)).lower()
    for pattern, kind in _KERBEROS_FAILURES:
        if re.search(pattern, text):
            return kind
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "base_error", None) or current.__cause__ or current.__context__


def describe_kerberos_failure(
    kind: str | None, exc: BaseException, *, who: str | None, spn: str | None, principal: str | None = None
) -> str:
    """One line for a Kerberos failure; ``who`` is the user's sign-in name (None: default identity)."""
    realm = (principal or "").rpartition("@")[2] or default_realm_or_hint()
    cache = os.environ.get("KRB5CCNAME") or "the default ticket cache"
    kinit = f"run kinit USER@{realm}, or give --user"
    if kind == "password":
        return f"Kerberos refused the password for {who or principal} (one attempt made, not retried)"
    if kind == "revoked":
        return f"the KDC refused {who or principal}: the account is disabled or locked out"
    if kind == "password_expired":
        return f"the password of {who or principal} has expired: change it, then sign in again"
    if kind == "skew":
        return (
            "Kerberos failed: this computer's clock differs too much from the KDC's or the IdP's "
            "(clock skew too great); fix the time (NTP) and try again"
        )
    if kind == "expired":
        return f"the Kerberos ticket in {cache} has expired: {kinit}"
    if kind == "no_ticket":
        if who:
            return f"no Kerberos ticket could be had for {who}"
        return f"no Kerberos ticket in {cache}: {kinit}"
    if kind == "unreachable":
        return f"cannot reach a Kerberos KDC for realm {realm} (check krb5.conf, DNS and the network)"
    if kind == "no_realm":
        return (
            f"no Kerberos realm is configured for {principal or 'this user'} (check krb5.conf or KRB5_CONFIG)"
        )
    if kind == "unknown_spn":
        return (
            f"the KDC does not know the service principal {spn or 'of the IdP'} (server not found in Kerberos "
            "database): check the sign-on URL's host name (a DNS alias needs hostname canonicalisation)"
        )
    if kind == "unknown_client":
        return f"the KDC does not know the user {principal or who}"
    reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return f"Kerberos sign-in failed: {reason}"


def default_realm_or_hint() -> str:
    return (default_realm() if have_gssapi() else None) or "REALM"
