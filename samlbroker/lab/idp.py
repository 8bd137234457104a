"""The lab IdP: an AD FS look-alike (plus a Shibboleth-style endpoint) on loopback. Never a production IdP.

It behaves as AD FS does on the wire: the IdP-initiated sign-on URL answers a browser-like client with the
forms sign-in page and a client whose User-Agent is in ``WIASupportedUserAgents`` with a redirect to the
Windows-integrated endpoint ``/adfs/ls/wia``, which answers like IIS (``401`` with ``Negotiate`` and
``NTLM`` challenges, and Digest here); a signed-in client (``MSISAuth`` cookie) gets the auto-post page
with a signed SAMLResponse. NTLM and Negotiate run through the IdP's acceptor (``lab.acceptors``: pyspnego's
by default, or a domain controller's), one security context per TCP connection, with channel bindings
(Extended Protection) checked: NTLM's and Kerberos's when the client sends them, and required of both with
``extended_protection="require"``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import itertools
import json
import re
import secrets
import select
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from spnego.channel_bindings import GssChannelBindings
from spnego.exceptions import BadBindingsError

from .acceptors import DEFAULT_ACCEPTOR, Acceptor, AcceptorRefused
from .digest import DigestAuthority, parse_auth_params
from .httpd import LabHandler, LabHTTPServer
from .mfa import SecondFactorDesk, render
from .ntlm_store import acceptor_store
from .page_shapes import first_page, home_realm_page, with_extra_forms
from .pages import (
    DISABLED,
    INCORRECT,
    SHIB_DISABLED,
    SHIB_INCORRECT,
    SHIB_UNKNOWN,
    UNAUTHORIZED_PAGE,
    adfs_error_page,
    adfs_login_page,
    message_page,
    shibboleth_consent_page,
    shibboleth_login_page,
)
from .pingfed import PING_START_PATH, PingFederateEndpoint, PingFlow
from .saml import auto_post_page, build_saml_response, encode_response
from .trusts import DEFAULT_WIA_USER_AGENTS, RELYING_PARTIES, RelyingParty, wia_supported
from .users import LabUser, LabUsers
from .variant import AD_REALM, DEFAULT_VARIANT, IdPVariant
from .wia_tokens import (
    NtlmMessageInfo,
    _initial_token,
    _is_kerberos,
    ntlm_message_info,
)

# Outcomes that count as a failed sign-in for the user named.
_FAILURES = {"bad_password", "unknown_user", "disabled", "bad_bindings", "locked_out", "account_expired",
             "password_expired", "must_change_password", "logon_hours", "workstation"}  # fmt: skip

SIGNON_PATH = "/adfs/ls/IdpInitiatedSignOn.aspx"
WIA_PATH = "/adfs/ls/wia"
SHIBBOLETH_PATH = "/idp/profile/SAML2/Unsolicited/SSO"
STATS_PATH = "/lab/stats"
SESSION_COOKIE = "MSISAuth"
REALM_COOKIE = "MSISIPSelectionSession"  # AD FS remembers the home realm chosen for this browser session
FIRST_PAGE_COOKIE = "LabFirstPage"
_PING_RESUME = re.compile(r"^/idp/([\w-]+)/resumesaml20/idp/startsso\.ping$")
SHIBBOLETH_COOKIE = "JSESSIONID"


# --- the server ------------------------------------------------------------------------------------


@dataclass
class _ShibbolethFlow:
    provider: str
    target: str | None
    step: int = 1
    csrf: str = field(default_factory=lambda: secrets.token_hex(16))
    consenting: str | None = None  # the user signed in, asked to consent to the attribute release

    @property
    def execution(self) -> str:
        return f"e1s{self.step}"


AWS_SIGNIN_PATH = "/saml"
OUTBOX_PATH = "/lab/outbox"  # the lab's stand-in for a mailbox: e-mailed second-factor codes, as JSON


class IdPServer(LabHTTPServer):
    """The lab IdP; ``failed_attempts``, ``events``, ``sessions`` and the counters are there to be read.

    ``channel_binding_data`` is the ``tls-server-end-point:`` data of the server certificate;
    ``extended_protection`` is ``"allow"`` (check bindings a client sends), ``"require"`` or ``"off"``.
    ``saml_options`` holds extra keyword arguments for ``build_saml_response`` (tests change signing etc.).
    ``ntlm_user_file`` is the NTLM acceptor's own user store (see ``ntlm_store``); None reads the environment.
    """

    def __init__(
        self,
        users: LabUsers,
        signing_key_pem: bytes,
        signing_cert_pem: bytes,
        ssl_context: Any = None,
        port: int = 0,
        *,
        hostname: str = "localhost",
        channel_binding_data: bytes | None = None,
        extended_protection: str = "allow",
        digest: bool = True,
        nonce_lifetime: float = 300.0,
        wia_user_agents: Sequence[str] = DEFAULT_WIA_USER_AGENTS,
        variant: IdPVariant = DEFAULT_VARIANT,
        ntlm_user_file: Path | None = None,
        acceptor: Acceptor = DEFAULT_ACCEPTOR,
    ) -> None:
        if extended_protection not in ("allow", "require", "off"):
            raise ValueError("extended_protection must be allow, require or off")
        super().__init__(IdPHandler, ssl_context=ssl_context, port=port, hostname=hostname)
        self.users = users
        self.ntlm_user_file = ntlm_user_file
        self.signing_key_pem = signing_key_pem
        self.signing_cert_pem = signing_cert_pem
        self.channel_binding_data = channel_binding_data
        self.extended_protection = extended_protection
        self.digest_enabled = digest
        self.digest = DigestAuthority(users.realm, nonce_lifetime)
        self.wia_user_agents = tuple(wia_user_agents)
        self.issuer = f"http://{hostname}/adfs/services/trust"
        self.saml_options: dict[str, Any] = {}
        # Where the sign-on page sends WIA-capable clients: "" (same host) or another base URL, as when
        # AD FS sits behind a name the client's Kerberos must follow (tests set it).
        self.wia_base = ""
        # How this IdP differs, as deployments do (lab.variant); tests may replace it between logins.
        self.variant = variant
        # Who checks NTLM/Negotiate tokens (lab.acceptors): pyspnego's, or a domain controller's.
        self.acceptor = acceptor
        self.failed_attempts: Counter[str] = Counter()
        self.events: list[dict[str, Any]] = []
        self.sessions: dict[str, str] = {}
        self.mfa = SecondFactorDesk()
        self.shibboleth_flows: dict[str, _ShibbolethFlow] = {}
        self.ping_flows: dict[str, PingFlow] = {}
        self._ids = itertools.count(1)
        self._state = threading.Lock()

    @property
    def chunked(self) -> bool:  # type: ignore[override]
        """Bodies in chunked transfer coding, as the variant says (read by LabHandler.reply)."""
        return self.variant.chunked

    def next_connection_id(self) -> int:
        with self._state:
            return next(self._ids)

    def record(
        self, *, user: str | None, scheme: str, outcome: str, path: str, connection: int, **extra: Any
    ) -> None:
        """Log one sign-in outcome; a credential failure also counts against the user."""
        event = {
            "time": dt.datetime.now(dt.timezone.utc).isoformat(),
            "user": user,
            "scheme": scheme,
            "mechanism": extra.pop("mechanism", scheme.lower()),
            "outcome": outcome,
            "path": path,
            "connection": connection,
            **extra,
        }
        with self._state:
            self.events.append(event)
            if outcome in _FAILURES and user:
                self.failed_attempts[user] += 1

    def new_session(self, user: LabUser) -> str:
        """A session after the first factor; for a user with a second factor, it waits for that first."""
        token = secrets.token_urlsafe(32)
        with self._state:
            self.sessions[token] = user.name
        if user.mfa != "none":
            self.mfa.start(token, user, choice_page=self.variant.mfa_choice == "list")
        return token

    def end_session(self, token: str) -> None:
        with self._state:
            self.sessions.pop(token, None)

    def session_user(self, token: str | None) -> LabUser | None:
        with self._state:
            name = self.sessions.get(token or "")
        user = self.users.lookup(name) if name else None
        return user if user is not None and not user.disabled else None

    def saml_response(self, user: LabUser, rp: RelyingParty, **overrides: Any) -> str:
        """The base64 SAMLResponse for ``user`` at relying party ``rp``: that partition's roles, signed."""
        options: dict[str, Any] = {
            "subject": self.users.windows_name(user),
            "roles": user.role_tuples(rp.partition),
            "signing_key_pem": self.signing_key_pem,
            "signing_cert_pem": self.signing_cert_pem,
            "issuer": self.issuer,
            "session_duration": user.session_duration or self.users.session_duration,
            "role_session_name": self.users.upn(user),
            "audience": rp.identifier,
            "recipient": rp.recipient,
        }
        options.update(self.saml_options)
        options.update(overrides)
        return encode_response(build_saml_response(**options))

    def stats(self) -> dict[str, Any]:
        with self._lock, self._state:
            return {
                "connections": self.connections,
                "requests": self.requests,
                "failed_attempts": dict(self.failed_attempts),
                "events": [dict(e) for e in self.events],
                "sessions": len(self.sessions),
            }

    def reset(self) -> None:
        """Zero the counters and forget events, failures, sessions and Digest nonce counts; WIA defaults back."""
        self.reset_counters()
        self.wia_base = ""
        self.variant = DEFAULT_VARIANT
        with self._state:
            self.failed_attempts.clear()
            self.events.clear()
            self.sessions.clear()
            self.shibboleth_flows.clear()
            self.ping_flows.clear()
        self.mfa.reset()
        self.digest.reset()


class IdPHandler(LabHandler, PingFederateEndpoint):
    """One TCP connection; the NTLM/Negotiate security context lives here, as IIS keeps it per connection."""

    server: IdPServer

    def setup(self) -> None:
        super().setup()
        self.connection_id = self.server.next_connection_id()
        self._context: Any = None
        self._context_scheme: str | None = None

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    # routing

    def _dispatch(self) -> None:
        body = self.read_body()
        if self.server.variant.delay:
            time.sleep(self.server.variant.delay)  # a slow IdP: every answer waits
        url = urlsplit(self.path)
        path = url.path.rstrip("/").lower()
        try:
            if self._first_page(path, url.query, body):
                return
            if self.command == "POST" and body.startswith(b"lab_continue="):
                self.command, body = "GET", b""  # the first page's form, posted back: go on as its GET
            resume = _PING_RESUME.match(path)
            if path in (SIGNON_PATH.lower(), "/adfs/ls/idpinitiatedsignon"):
                self._signon(url.query, body)
            elif path == WIA_PATH:
                self._wia(url.query)
            elif path == SHIBBOLETH_PATH.lower():
                self._shibboleth(url.query, body)
            elif path == PING_START_PATH.lower():
                self._ping_start(url.query)
            elif resume is not None:
                self._ping_resume(urlsplit(self.path).path.split("/")[2], body)
            elif path == AWS_SIGNIN_PATH and self.command == "POST":
                self._aws_signin(body)
            elif path.startswith(OUTBOX_PATH + "/"):
                user = path[len(OUTBOX_PATH) + 1 :]
                with self.server.mfa._lock:
                    codes = list(self.server.mfa.outbox.get(user, []))
                self.reply(200, json.dumps(codes), content_type="application/json")
            elif path == STATS_PATH:
                self.reply(200, json.dumps(self.server.stats()), content_type="application/json")
            else:
                self.reply(404, message_page("Not Found", "The page you are looking for is not here."))
        except Exception:  # an IdP error page, never a dropped connection
            self.reply(500, message_page("Error", "An error occurred. Contact your administrator."))

    def _first_page(self, path: str, query: str, body: bytes) -> bool:
        """The variant's first page, answered once per client to the first GET of a sign-on URL."""
        kind = self.server.variant.first_page
        starts = (SIGNON_PATH.lower(), SHIBBOLETH_PATH.lower(), PING_START_PATH.lower())
        if kind == "none" or path not in starts or self.command != "GET" or "execution=" in query:
            return False
        if self._cookie(FIRST_PAGE_COOKIE):
            return False
        marker = secrets.token_hex(8)
        cookie = ("Set-Cookie", f"{FIRST_PAGE_COOKIE}={marker}; Path=/; Secure; HttpOnly")
        self.reply(200, self._shaped(first_page(kind, self.path, marker)), headers=[cookie])
        return True

    def _shaped(self, page: str) -> str:
        """A page as the variant's deployment dresses it (other forms around the sign-in form)."""
        return with_extra_forms(page) if self.server.variant.extra_forms else page

    def _cookie(self, name: str) -> str | None:
        jar: SimpleCookie = SimpleCookie()
        for header in self.headers.get_all("Cookie") or []:
            try:
                jar.load(header)
            except CookieError:
                continue
        morsel = jar.get(name)
        return morsel.value if morsel else None

    def _record(self, user: str | None, scheme: str, outcome: str, **extra: Any) -> None:
        path = urlsplit(self.path).path
        self.server.record(
            user=user, scheme=scheme, outcome=outcome, path=path, connection=self.connection_id, **extra
        )

    def _session_cookie(self, user: LabUser, persistent: bool = False) -> tuple[str, str]:
        token = self.server.new_session(user)
        lifetime = "; Max-Age=86400" if persistent else ""
        return "Set-Cookie", f"{SESSION_COOKIE}={token}; path=/adfs; secure; HttpOnly{lifetime}"

    # AD FS IdP-initiated sign-on

    def _signon(self, query: str, body: bytes) -> None:
        params = {k.lower(): v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        rp_id = params.get("logintorp")
        rp = RELYING_PARTIES.get(rp_id) if rp_id else None
        if rp_id and rp is None:
            self.reply(400, message_page("Error", f"MSIS7012: no relying party trust {rp_id!r}."))
            return
        if self.command == "POST":
            form = {
                k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()
            }
            if self._needs_home_realm(params):
                self._home_realm(query, form.get("HomeRealmSelection"))
            elif (
                form.get("Context") and form.get("AuthMethod", "FormsAuthentication") != "FormsAuthentication"
            ):
                self._second_factor(query, form)
            else:
                self._forms_post(query, body)
            return
        token = self._cookie(SESSION_COOKIE)
        user = self.server.session_user(token)
        challenge = self.server.mfa.pending(token) if user is not None else None
        if challenge is not None:
            who = self.server.users.windows_name(user)
            self.reply(
                200, render(self._form_action(query), challenge, who, style=self.server.variant.mfa_options)
            )
        elif user is not None:
            if rp is None:
                self.reply(200, message_page("Sign In", "You are signed in."))
            else:
                self.reply(200, auto_post_page(self.server.saml_response(user, rp), action=rp.post_action))
        elif not self.server.variant.wia_as_forms and wia_supported(
            self.headers.get("User-Agent", ""), self.server.wia_user_agents
        ):
            self.reply(302, b"", headers=[("Location", f"{self.server.wia_base}{WIA_PATH}?{query}")])
        elif self._needs_home_realm(params):
            self._home_realm(query, None)
        else:
            self.reply(200, self._login_page(self._form_action(query)))

    def _needs_home_realm(self, params: dict[str, str]) -> bool:
        """Whether AD FS must ask for the claims provider: several offered, none chosen in this session."""
        realms = self.server.variant.home_realms
        if len(realms) < 2 or self._cookie(REALM_COOKIE):
            return False
        named = params.get("redirecttoidentityprovider", "").lower()  # AD FS skips the page when told
        return named not in {identifier.lower() for identifier, _ in realms}

    def _home_realm(self, query: str, selection: str | None) -> None:
        """The home realm page, or the answer to a choice on it: AD's sign-in page, or the partner's."""
        realms = self.server.variant.home_realms
        chosen = next((i for i, _ in realms if selection and i.lower() == selection.strip().lower()), None)
        if chosen is None:
            if selection is not None:
                self._record(None, "hrd", "unknown_realm", provider=selection)
            page = home_realm_page(self._form_action(query), realms, self.server.variant.adfs_page)
            self.reply(200, self._shaped(page))
            return
        self._record(None, "hrd", "selected", provider=chosen)
        if chosen.lower() != AD_REALM[0].lower():
            # The lab's Shibboleth-style login stands in for the partner organisation's IdP.
            rp_id = {k.lower(): v[0] for k, v in parse_qs(query).items()}.get("logintorp", "")
            location = f"{SHIBBOLETH_PATH}?{urlencode({'providerId': rp_id})}"
            self.reply(302, b"", headers=[("Location", location)])
            return
        token = base64.urlsafe_b64encode(chosen.encode()).decode()
        cookie = ("Set-Cookie", f"{REALM_COOKIE}={token}; path=/adfs; secure; HttpOnly")
        self.reply(200, self._login_page(self._form_action(query)), headers=[cookie])

    def _second_factor(self, query: str, form: dict[str, str]) -> None:
        """An answer to the additional-authentication page: a code, or a push poll."""
        token = self._cookie(SESSION_COOKIE) or ""
        user = self.server.session_user(token)
        challenge = self.server.mfa.pending(token)
        action = self._form_action(query)
        if user is None or challenge is None:
            self.reply(200, self._login_page(action, error="Your sign-in session expired. Sign in again."))
            return
        held = self._client_gone if self.server.variant.held_polls else None
        outcome = self.server.mfa.answer(token, form, user, client_gone=held)
        self._record(user.name, challenge.method, f"mfa_{outcome.status}")
        who = self.server.users.windows_name(user)
        style = self.server.variant.mfa_options
        if outcome.status == "abandoned":  # the client hung up on a held poll: no one to answer
            self.close_connection = True
        elif outcome.status == "done":
            self.reply(302, b"", headers=[("Location", f"{SIGNON_PATH}?{query}")])
        elif outcome.status == "refused":
            # The push is over: Silverfort answers with an error page, Azure MFA re-renders its page.
            self.server.end_session(token)
            words = outcome.message or "Access denied."
            if challenge.kind == "silverfort":
                self.reply(200, message_page("Sign In", words))
            else:
                self.reply(200, render(action, challenge, who, words, style))
        else:
            self.reply(200, render(action, challenge, who, outcome.message, style))

    def _client_gone(self) -> bool:
        """Whether the client hung up while its request waits: a client waiting for an answer sends
        nothing, so a readable connection is one it closed."""
        readable, _, _ = select.select([self.connection], [], [], 0)
        return bool(readable)

    def _form_action(self, query: str) -> str:
        """Where the sign-in form posts, as the variant's AD FS writes it: its own path (2012 R2: a full URL
        to ``/adfs/ls/idpinitiatedsignon``), or only ``?query`` when relative; plus a client-request-id and
        the variant's extra query parameters."""
        variant = self.server.variant
        parts = [query] if query else []
        if "client-request-id=" not in query.lower():
            parts.append(f"client-request-id={uuid.uuid4()}")
        present = {k.lower() for k in parse_qs(query, keep_blank_values=True)}
        parts += [urlencode({k: v}) for k, v in variant.extra_query if k.lower() not in present]
        full_query = "&".join(parts)
        if variant.relative_form_action:
            return f"?{full_query}"
        if variant.adfs_page == "2012r2":
            return f"{self.server.url}/adfs/ls/idpinitiatedsignon?{full_query}"
        return f"{SIGNON_PATH}?{full_query}"

    def _login_page(self, action: str, username: str = "", error: str = "") -> str:
        return self._shaped(adfs_login_page(action, username, error, version=self.server.variant.adfs_page))

    def _forms_post(self, query: str, body: bytes) -> None:
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        repeated = sorted(name for name, values in form.items() if len(values) > 1)
        if repeated and self.server.variant.adfs_page in ("2019", "2022"):
            # AD FS 5.0 refuses the whole post ("Duplicate post parameter"), logs it, shows its error page.
            activity = str(uuid.uuid4())
            self._record(None, "forms", "duplicate_parameter", parameters=repeated, activity_id=activity)
            self.reply(200, adfs_error_page(activity))
            return
        login = next((v for v in form.get("UserName", []) if v), "")
        password = next((v for v in form.get("Password", []) if v), "")
        method = (form.get("AuthMethod") or ["FormsAuthentication"])[0]
        action = self._form_action(query)
        if method != "FormsAuthentication" or not login or not password:
            self.reply(200, self._login_page(action, login))
            return
        user = self.server.users.lookup(login)
        if user is None or not hmac.compare_digest(password.encode(), user.password.encode()):
            outcome = "unknown_user" if user is None else "bad_password"
            name = user.name if user else self.server.users.account_name(login)
            self._record(name, "forms", outcome)
            self.reply(200, self._login_page(action, login, INCORRECT))
        elif user.disabled:
            self._record(user.name, "forms", "disabled")
            self.reply(200, self._login_page(action, login, DISABLED))
        else:
            self._record(user.name, "forms", "success")
            cookie = self._session_cookie(user, persistent=(form.get("Kmsi") or [""])[0] == "true")
            self.reply(302, b"", headers=[cookie, ("Location", f"{SIGNON_PATH}?{query}")])

    # Windows-integrated endpoint

    def _challenge(self, stale: bool = False, anonymous: bool = False) -> None:
        """401 with the offers the variant makes; ``anonymous``: the answer to a request without credentials."""
        variant = self.server.variant
        offers = []
        if {"negotiate", "kerberos"} & set(variant.wia_schemes):
            offers.append("Negotiate")
        if "ntlm" in variant.wia_schemes:
            offers.append("NTLM")
        if self.server.digest_enabled:
            offers.append(self.server.digest.challenge(stale))
        if variant.offers == "one-header":
            headers = [("WWW-Authenticate", ", ".join(offers))]
        else:
            headers = [("WWW-Authenticate", offer) for offer in offers]
        if anonymous and variant.close_after_challenge:
            headers.append(("Connection", "close"))  # as some IIS set-ups and load balancers do
        self.reply(401, UNAUTHORIZED_PAGE, headers=headers)

    def _aws_signin(self, body: bytes) -> None:
        """AWS's SAML sign-in page: the accounts and roles of a posted SAMLResponse, with account aliases."""
        from .signin import account_picker_page

        form = parse_qs(body.decode("ascii", "replace"))
        page = account_picker_page(form.get("SAMLResponse", [""])[0], self.server.users.account_aliases)
        self.reply(200 if page else 400, page or message_page("Bad Request", "No valid SAMLResponse."))

    def _wia(self, query: str) -> None:
        scheme, _, data = self.headers.get("Authorization", "").strip().partition(" ")
        scheme = scheme.lower()
        accepted = set(self.server.variant.wia_schemes)
        takes_negotiate = bool(accepted & {"negotiate", "kerberos"})
        if (scheme == "ntlm" and "ntlm" in accepted) or (scheme == "negotiate" and takes_negotiate):
            self._gss_step(scheme, data.strip(), query)
        elif scheme == "digest" and self.server.digest_enabled:
            self._digest(data, query)
        else:
            self._challenge(anonymous=not scheme)

    def _bindings(self, info: NtlmMessageInfo | None, token: bytes) -> GssChannelBindings | None:
        """The bindings to check this token against: an NTLM AUTHENTICATE's, or a Kerberos AP-REQ's."""
        data = self.server.channel_binding_data
        policy = self.server.extended_protection
        if data is None or policy == "off":
            return None
        if info is None and _is_kerberos(token):
            # MIT's acceptor refuses bindings that differ and lets an AP-REQ without any through;
            # whether it had matching ones is read after (see _kerberos_channel_bound).
            return GssChannelBindings(application_data=data)
        if info is None or info.kind != 3:
            return None
        if policy == "require" or info.has_channel_bindings:
            return GssChannelBindings(application_data=data)
        return None

    def _gss_step(self, scheme: str, data: str, query: str) -> None:
        label = "NTLM" if scheme == "ntlm" else "Negotiate"
        try:
            token = base64.b64decode(data, validate=True)
        except ValueError:
            token = b""
        if not token:
            self._challenge()
            return
        info = ntlm_message_info(token)
        if scheme == "negotiate" and info is not None and "negotiate" not in self.server.variant.wia_schemes:
            # Kerberos-only SPNEGO (IIS with the Negotiate:Kerberos provider): NTLM inside is never looked at.
            self._context = None
            name = self.server.users.account_name(info.login) if info.login else None
            self._record(name, label, "ntlm_refused", mechanism="ntlm")
            self._challenge()
            return
        no_challenge = self._context is None or self._context_scheme != scheme
        if info is not None and info.kind == 3 and info.login and no_challenge:
            # An AUTHENTICATE naming a user on a connection that sent no CHALLENGE (a new connection, or a load
            # balancer without affinity): IIS has no context to check it against and answers 401 without the
            # DC. (One too malformed to name anyone goes to the acceptor, which refuses it as a bad token.)
            name = self.server.users.account_name(info.login) if info.login else None
            self._record(name, label, "no_challenge", mechanism="ntlm")
            self._challenge()
            return
        store = self.server.ntlm_user_file
        bindings = self._bindings(info, token)
        try:
            with acceptor_store(store) if store is not None else nullcontext():
                if (
                    self._context is None
                    or self._context_scheme != scheme
                    or _initial_token(scheme, token, info)
                ):
                    self._context = self.server.acceptor.new_context(scheme, self.server.hostname)
                    self._context_scheme = scheme
                out = self._context.step(token, channel_bindings=bindings)
        except Exception as exc:
            self._context = None
            self._gss_failed(label, info, exc, token)
            return
        if not self._context.complete:
            headers = [("WWW-Authenticate", f"{label} {base64.b64encode(out or b'').decode()}")]
            if info is not None and info.kind == 1 and self.server.variant.close_after_ntlm_challenge:
                headers.append(("Connection", "close"))  # the CHALLENGE's context goes with this connection
            self.reply(401, UNAUTHORIZED_PAGE, headers=headers)
            return
        context, self._context = self._context, None
        mechanism = context.negotiated_protocol or scheme
        bound = bindings is not None
        if mechanism == "kerberos":
            bound = bindings is not None and _kerberos_channel_bound(context)
            if not bound and self.server.extended_protection == "require":
                self._record(context.client_principal, label, "no_bindings", mechanism=mechanism)
                self._challenge()
                return
        user = self.server.users.lookup(context.client_principal or "")
        if user is None:
            self._record(context.client_principal, label, "unknown_user", mechanism=mechanism)
            self._challenge()
            return
        if user.disabled:
            self._record(user.name, label, "disabled", mechanism=mechanism, cbt=bound)
            self.reply(401, UNAUTHORIZED_PAGE)
            return
        self._record(user.name, label, "success", mechanism=mechanism, cbt=bound)
        headers = [self._session_cookie(user), ("Location", f"{SIGNON_PATH}?{query}")]
        if out and self.server.variant.final_token:
            headers.append(("WWW-Authenticate", f"{label} {base64.b64encode(out).decode()}"))
        self.reply(302, b"", headers=headers)

    def _gss_failed(
        self, label: str, info: NtlmMessageInfo | None, exc: Exception, token: bytes = b""
    ) -> None:
        """A refused token: record it (a failed attempt when it was an AUTHENTICATE) and challenge afresh."""
        login = info.login if info is not None and info.kind == 3 else None
        if login is None:
            mechanism = "ntlm" if info else ("kerberos" if _is_kerberos(token) else label.lower())
            reason = str(exc).splitlines()[0][-200:] if str(exc) else type(exc).__name__
            self._record(None, label, "bad_token", mechanism=mechanism, reason=reason)
        else:
            user = self.server.users.lookup(login)
            name = user.name if user else self.server.users.account_name(login)
            if isinstance(exc, BadBindingsError):
                outcome = "bad_bindings"
            elif isinstance(exc, AcceptorRefused):
                outcome = exc.outcome
            else:
                outcome = "bad_password" if user else "unknown_user"
            self._record(name, label, outcome, mechanism="ntlm")
        self._challenge()

    def _digest(self, data: str, query: str) -> None:
        params = parse_auth_params(data)
        outcome, name = self.server.digest.verify(self.command, self.path, params, self.server.users)
        self._record(name, "Digest", outcome, mechanism="digest")
        user = self.server.users.lookup(name) if outcome == "success" and name else None
        if user is None:
            if outcome == "disabled":
                self.reply(401, UNAUTHORIZED_PAGE)
            else:
                self._challenge(stale=outcome == "stale")
            return
        self.reply(302, b"", headers=[self._session_cookie(user), ("Location", f"{SIGNON_PATH}?{query}")])

    # Shibboleth-style unsolicited SSO

    def _shibboleth(self, query: str, body: bytes) -> None:
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        session = self._cookie(SHIBBOLETH_COOKIE)
        execution = params.get("execution")
        if execution is None:
            rp = RELYING_PARTIES.get(params.get("providerId", ""))
            if rp is None:
                self.reply(400, message_page("Web Login Service", "Unsupported Request"))
                return
            headers = []
            if not session:
                session = secrets.token_hex(16).upper()
                headers.append(("Set-Cookie", f"{SHIBBOLETH_COOKIE}={session}; Path=/idp; Secure; HttpOnly"))
            flow = _ShibbolethFlow(provider=rp.identifier, target=params.get("target"))
            with self.server._state:
                self.server.shibboleth_flows[session] = flow
            location = f"{SHIBBOLETH_PATH}?{urlencode({'execution': flow.execution})}"
            self.reply(302, b"", headers=[*headers, ("Location", location)])
            return
        with self.server._state:
            flow = self.server.shibboleth_flows.get(session or "")
        if flow is None or execution != flow.execution:
            self.reply(400, message_page("Web Login Service", "Stale Request"))
            return
        if self.command != "POST":
            self.reply(200, self._shaped(shibboleth_login_page(self._shib_action(flow), flow.csrf)))
            return
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        if not hmac.compare_digest(form.get("csrf_token", ""), flow.csrf):
            self.reply(400, message_page("Web Login Service", "Stale Request"))
            return
        if flow.consenting is not None:
            self._shibboleth_consent(flow, form, session or "")
        else:
            self._shibboleth_login(flow, form, session or "")

    def _shibboleth_consent(self, flow: _ShibbolethFlow, form: dict[str, str], session: str) -> None:
        """The answer to the attribute-release page: accepted (remembered or not) or rejected."""
        user = self.server.users.lookup(flow.consenting or "")
        if (
            "_eventId_proceed" in form
            and "_eventId_AttributeReleaseRejected" not in form
            and user is not None
        ):
            option = form.get("_shib_idp_consentOptions", "")
            self._record(user.name, "shibboleth", "consent", option=option)
            self._shibboleth_answer(flow, user, session)
            return
        self._record(flow.consenting, "shibboleth", "consent_rejected")
        with self.server._state:
            self.server.shibboleth_flows.pop(session, None)
        self.reply(200, message_page("Web Login Service", "You rejected the release of your information."))

    def _shib_action(self, flow: _ShibbolethFlow) -> str:
        return f"{SHIBBOLETH_PATH}?{urlencode({'execution': flow.execution})}"

    def _shibboleth_login(self, flow: _ShibbolethFlow, form: dict[str, str], session: str) -> None:
        login, password = form.get("j_username", ""), form.get("j_password", "")
        user = self.server.users.lookup(login) if login else None
        if user is not None and hmac.compare_digest(password.encode(), user.password.encode()):
            if not user.disabled:
                self._record(user.name, "shibboleth", "success")
                if self.server.variant.shibboleth_consent:
                    flow.consenting, flow.step, flow.csrf = user.name, flow.step + 1, secrets.token_hex(16)
                    page = shibboleth_consent_page(self._shib_action(flow), flow.csrf, ("uid", "Role"))
                    self.reply(200, self._shaped(page))
                else:
                    self._shibboleth_answer(flow, user, session)
                return
            outcome, message = "disabled", SHIB_DISABLED
        elif user is None:
            outcome, message = "unknown_user", SHIB_UNKNOWN
        else:
            outcome, message = "bad_password", SHIB_INCORRECT
        name = user.name if user else self.server.users.account_name(login) or None
        self._record(name, "shibboleth", outcome)
        flow.step += 1
        flow.csrf = secrets.token_hex(16)
        self.reply(
            200, self._shaped(shibboleth_login_page(self._shib_action(flow), flow.csrf, login, message))
        )

    def _shibboleth_answer(self, flow: _ShibbolethFlow, user: LabUser, session: str) -> None:
        with self.server._state:
            self.server.shibboleth_flows.pop(session, None)
        rp = RELYING_PARTIES[flow.provider]
        saml = self.server.saml_response(
            user,
            rp,
            subject=user.name,
            issuer=f"{self.server.url}/idp/shibboleth",
            role_session_name=user.name,
            sign="response",
        )
        self.reply(200, auto_post_page(saml, action=rp.recipient, relay_state=flow.target))


GSS_C_CHANNEL_BOUND_FLAG = 0x800  # MIT krb5 1.19+: the initiator's bindings were present and matched


def _kerberos_channel_bound(context: object) -> bool:
    """Whether a finished Kerberos (or Negotiate-Kerberos) acceptor context saw matching channel bindings.

    pyspnego keeps the GSSAPI flags on its GSSAPI proxy but does not map this one; the lab reads it there.
    """
    if isinstance(getattr(context, "channel_bound", None), bool):  # an acceptor that says so itself
        return context.channel_bound  # type: ignore[attr-defined]
    proxy = getattr(context, "_context", None) if type(context).__name__ == "NegotiateProxy" else context
    return bool(getattr(proxy, "_context_attr", 0) & GSS_C_CHANNEL_BOUND_FLAG)
