"""The Windows-integrated sign-ons: NTLM, Negotiate (Kerberos, else NTLM) and Kerberos at AD FS's /adfs/ls/wia."""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from ..errors import AuthenticationFailedError, DependencyMissingError
from .base import Authenticator

if TYPE_CHECKING:
    import requests
    from requests.auth import AuthBase

    from ..identity import UserCredentials
    from .spnego_auth import SpnegoAuth

# AD FS decides by User-Agent whether to offer Windows-integrated sign-in (its WIASupportedUserAgents list);
# this one is on the default list of every AD FS version since 2012 R2.
log = logging.getLogger("samlbroker.auth")

WIA_USER_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Trident/7.0; rv:11.0) like Gecko"
WIA_AGENT_MARK = "Trident/7.0"  # the part of WIA_USER_AGENT that the default WIASupportedUserAgents lists


class WindowsIntegratedAuthenticator(Authenticator):
    """GET the sign-on URL as a WIA-capable agent; AD FS redirects to /adfs/ls/wia, whose 401 the handler answers."""

    scheme: ClassVar[str]
    user_agent: ClassVar[str] = WIA_USER_AGENT

    def __init__(self) -> None:
        self.mechanism: str | None = None

    def http_auth(self, credentials: UserCredentials | None, host: str) -> AuthBase:
        """The requests auth handler for this scheme."""
        raise NotImplementedError

    def authenticate(
        self, session: requests.Session, endpoint: str, credentials: UserCredentials | None
    ) -> requests.Response:
        from spnego.exceptions import SpnegoError

        auth = self.http_auth(credentials, urlsplit(endpoint).hostname or "")
        watched = _ChallengeWatch(auth)
        try:
            response = session.get(endpoint, auth=watched, headers={"User-Agent": self.user_agent})
        except SpnegoError as exc:
            raise AuthenticationFailedError(self._spnego_failure(credentials, exc, auth)) from None
        finally:
            self._release(auth)
        self.mechanism = getattr(auth, "mechanism", None) or self.name
        if response.status_code == 401:
            raise AuthenticationFailedError(self._refusal(credentials, auth, response))
        if not watched.challenged and _is_sign_in_page(response):
            raise AuthenticationFailedError(
                f"the IdP showed its forms sign-in page to a Windows-integrated sign-in at "
                f"{_short(response.url)} (its WIASupportedUserAgents does not match this client): use "
                f"auth_type = forms, or have the AD FS admin add {WIA_AGENT_MARK} to WIASupportedUserAgents"
            )
        return response

    def _release(self, auth: AuthBase) -> None:
        """Forget per-login state (tickets got with a password)."""

    def _refusal(
        self, credentials: UserCredentials | None, auth: AuthBase, response: requests.Response
    ) -> str:
        mechanism = getattr(auth, "mechanism", None) or self.name
        if mechanism == "ntlm" and getattr(auth, "tokens_sent", 0) == 1:
            # NTLM's NEGOTIATE refused: no CHALLENGE came back, so no password went out
            from .ntlm_auth import ntlm_refused_before_password

            return ntlm_refused_before_password(response.url)
        who = credentials.username if credentials else "your default identity"
        scheme = getattr(auth, "scheme_used", None) or self.scheme
        return f"the IdP refused the {scheme} sign-in for {who} (HTTP 401); the password was not retried"

    def _spnego_failure(self, credentials: UserCredentials | None, exc: Exception, auth: AuthBase) -> str:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        if credentials is None:
            return f"{self.scheme} sign-in with your default identity failed ({reason}); {default_identity_hint()}"
        return f"{self.scheme} sign-in for {credentials.username} failed: {reason}"


class _ChallengeWatch:
    """Wraps a requests auth handler and notes whether the IdP ever answered 401 (before the handler does)."""

    def __init__(self, auth: AuthBase) -> None:
        self.auth = auth
        self.challenged = False

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.register_hook("response", self._note)  # ahead of the handler's own hook
        return self.auth(request)

    def _note(self, response: requests.Response, **_: Any) -> None:
        if response.status_code == 401:
            self.challenged = True


def _is_sign_in_page(response: requests.Response) -> bool:
    """A page with a password input and no SAMLResponse: a forms sign-in page."""
    if "text/html" not in response.headers.get("Content-Type", "text/html"):
        return False
    text = response.text
    if "password" not in text.lower() or "SAMLResponse" in text:
        return False
    from bs4 import BeautifulSoup

    from .html import has_password_input

    return has_password_input(BeautifulSoup(text, "html.parser"))


def default_identity_hint() -> str:
    """What a user without a usable default identity can do."""
    if sys.platform == "win32":
        return "sign in to the domain, or give --user"
    return "give --user DOMAIN\\USER, run kinit for Kerberos, or set NTLM_USER_FILE for NTLM"


class NtlmAuthenticator(WindowsIntegratedAuthenticator):
    """Raw NTLM (``WWW-Authenticate: NTLM``) through pyspnego; the handshake stays on one kept-alive connection."""

    name = "ntlm"
    scheme = "NTLM"

    def http_auth(self, credentials: UserCredentials | None, host: str) -> AuthBase:
        if credentials is None and not ntlm_default_identity():
            raise AuthenticationFailedError(NTLM_NO_DEFAULT_IDENTITY + default_identity_hint())
        return raw_ntlm_auth(credentials)


NTLM_NO_DEFAULT_IDENTITY = "NTLM sign-in with your default identity needs Windows (SSPI) or NTLM_USER_FILE: "


def ntlm_default_identity() -> bool:
    """Whether NTLM has a default identity here: the logged-on user (SSPI), or pyspnego's ``NTLM_USER_FILE``."""
    return sys.platform == "win32" or bool(os.environ.get("NTLM_USER_FILE"))


RAW_NTLM = ("NTLM", "Negotiate")  # raw NTLM tokens go in a Negotiate header where only that is offered


def raw_ntlm_auth(credentials: UserCredentials | None) -> SpnegoAuth:
    """The handler for ``WWW-Authenticate: NTLM`` (the default identity when ``credentials`` is None)."""
    from .spnego_auth import SpnegoAuth

    if credentials is None:
        return SpnegoAuth(None, None, protocol="ntlm", schemes=RAW_NTLM)
    return SpnegoAuth(credentials.username, credentials.password, protocol="ntlm", schemes=RAW_NTLM)


class NegotiateAuthenticator(WindowsIntegratedAuthenticator):
    """SPNEGO: Kerberos when a ticket can be had, else NTLM (as /adfs/ls/wia accepts both).

    Default identity: the Kerberos ticket cache (``KRB5CCNAME`` honoured; the logged-on user through
    SSPI on Windows), else NTLM's (SSPI, or ``NTLM_USER_FILE``). With ``UserCredentials`` off Windows,
    a TGT is requested once with the password in memory; a wrong password stops there (one failed
    attempt: AD lockout counts them), while an unknown realm, unknown user or unreachable KDC falls
    back to NTLM. The SPN is ``HTTP/<host that answered 401>`` (the /adfs/ls/wia URL after redirects),
    taken as it is unless ``canonicalize_hostname``. Kerberos's mutual authentication (the IdP's final
    token) is required unless ``mutual=False`` (``kerberos_mutual = no``); NTLM has none to require.
    ``delegate`` asks for a forwardable ticket and delegation.
    """

    name = "negotiate"
    scheme = "Negotiate"
    protocol: ClassVar[str] = "negotiate"
    fall_back_to_ntlm: ClassVar[bool] = True

    def __init__(
        self, canonicalize_hostname: bool = False, delegate: bool = False, mutual: bool = True
    ) -> None:
        super().__init__()
        self.canonicalize_hostname = canonicalize_hostname
        self.delegate = delegate
        self.mutual = mutual
        self._ticket: Any = None
        self._principal: str | None = None
        self._kerberos_skipped: str | None = None

    def _auth(
        self,
        username: str | None,
        password: str | None,
        protocol: str,
        credential: Any = None,
        ntlm_fallback: SpnegoAuth | None = None,
    ) -> AuthBase:
        from .spnego_auth import SpnegoAuth

        return SpnegoAuth(
            username,
            password,
            protocol=protocol,
            mutual=self.mutual,
            delegate=self.delegate,
            credential=credential,
            canonicalize=self.canonicalize_hostname,
            ntlm_fallback=ntlm_fallback,
        )

    def http_auth(self, credentials: UserCredentials | None, host: str) -> AuthBase:
        """SPNEGO, and raw NTLM for an IdP that offers NTLM and not Negotiate (as browsers do there).

        Only one of them runs, so the password goes out once. With a password off Windows, the TGT is asked
        for only when the IdP offers Negotiate: an NTLM-only IdP never sends the password to the KDC too.
        """
        from .kerberos import have_gssapi

        self._principal = self._kerberos_skipped = None
        fallback = None
        if credentials is not None or ntlm_default_identity():
            fallback = raw_ntlm_auth(credentials)
        if credentials is None:
            return self._auth(None, None, self.protocol, ntlm_fallback=fallback)
        if sys.platform == "win32" or not have_gssapi():
            # SSPI on Windows (Kerberos or NTLM); pure-Python NTLM elsewhere.
            return self._auth(
                credentials.username, credentials.password, self.protocol, ntlm_fallback=fallback
            )
        return self._auth(
            None,
            None,
            "negotiate",
            credential=lambda: self._password_credential(credentials),
            ntlm_fallback=fallback,
        )

    def _password_credential(self, credentials: UserCredentials) -> list[Any]:
        """A TGT got with the password when Kerberos is available, else NTLM-only credentials."""
        ticket = self._ticket_for(credentials)
        if ticket is not None:
            log.info("Kerberos ticket for %s acquired with the password (in memory)", ticket.principal)
            return [ticket.credential()]
        from .spnego_auth import ntlm_only_credential

        log.info("Kerberos not available for %s (%s): NTLM", credentials.username, self._kerberos_skipped)
        return ntlm_only_credential(credentials.username, credentials.password)

    def _ticket_for(self, credentials: UserCredentials) -> Any:
        """A TGT got with the password, or None (with the reason kept) when Kerberos is unavailable."""
        import krb5

        from .kerberos import acquire_ticket, default_realm, kerberos_principal, krb5_profile
        from .kerberos_errors import KERBEROS_UNAVAILABLE, describe_kerberos_failure, kerberos_failure

        with krb5_profile(self.canonicalize_hostname):
            self._principal = kerberos_principal(credentials.username, default_realm())
            try:
                self._ticket = acquire_ticket(
                    self._principal, credentials.password, forwardable=self.delegate
                )
            except krb5.Krb5Error as exc:
                kind = kerberos_failure(exc)
                if self.fall_back_to_ntlm and kind in KERBEROS_UNAVAILABLE:
                    self._kerberos_skipped = kind
                    return None
                message = describe_kerberos_failure(
                    kind, exc, who=credentials.username, spn=None, principal=self._principal
                )
                raise AuthenticationFailedError(message) from None
        return self._ticket

    def _release(self, auth: AuthBase) -> None:
        ticket, self._ticket = self._ticket, None
        if ticket is not None:
            ticket.close()

    def _spnego_failure(self, credentials: UserCredentials | None, exc: Exception, auth: AuthBase) -> str:
        from .kerberos import have_gssapi
        from .kerberos_errors import describe_kerberos_failure, kerberos_failure

        kind = kerberos_failure(exc) if have_gssapi() else None
        if kind is None:
            return super()._spnego_failure(credentials, exc, auth)
        if credentials is None and kind == "no_ticket" and self.fall_back_to_ntlm:
            return (
                f"{self.scheme} sign-in with your default identity failed: no Kerberos ticket and no NTLM "
                f"identity; {default_identity_hint()}"
            )
        who = credentials.username if credentials else None
        return describe_kerberos_failure(
            kind, exc, who=who, spn=getattr(auth, "spn", None), principal=self._principal
        )

    def _refusal(
        self, credentials: UserCredentials | None, auth: AuthBase, response: requests.Response
    ) -> str:
        from .spnego_auth import offered_schemes

        sent = getattr(auth, "tokens_sent", 0)
        offered = getattr(auth, "offered", None)
        if not sent:
            schemes = offered_schemes(offered or "")
            names = [s.lower() for s in schemes]
            if offered is not None and "negotiate" not in names:
                if "ntlm" in names and self.fall_back_to_ntlm:  # no NTLM identity to fall back with
                    return (
                        f"the IdP offers NTLM and not Negotiate at {_short(response.url)}: "
                        + NTLM_NO_DEFAULT_IDENTITY
                        + default_identity_hint()
                    )
                usable = next((n for n in ("ntlm", "digest") if n in names), None)
                hint = f": set auth_type = {usable}" if usable else ""
                return (
                    f"the IdP does not offer Negotiate at {_short(response.url)} "
                    f"(it offers: {', '.join(schemes) or 'nothing'}){hint}"
                )
            return (
                f"the IdP answered 401 and no {self.scheme} token was sent (no ticket could be had for "
                f"{getattr(auth, 'spn', None) or 'the IdP'}): {default_identity_hint()}"
            )
        mechanism = getattr(auth, "mechanism", None) or self.name
        if mechanism == "kerberos":
            who = credentials.username if credentials else "your default identity"
            return (
                f"the IdP refused the Kerberos ticket for {getattr(auth, 'spn', None)} from {who} (HTTP 401): "
                "the account may be disabled, or the IdP's keytab does not match that SPN"
            )
        return super()._refusal(credentials, auth, response)


class KerberosAuthenticator(NegotiateAuthenticator):
    """Kerberos only, wrapped in SPNEGO as IIS expects; needs ``pip install 'samlbroker[kerberos]'`` off Windows.

    Never falls back to NTLM: a missing or expired ticket, an unknown SPN, clock skew, an unreachable
    KDC or a wrong password each end the sign-in with one line saying so.
    """

    name = "kerberos"
    scheme = "Kerberos"
    protocol = "kerberos"
    fall_back_to_ntlm = False

    def http_auth(self, credentials: UserCredentials | None, host: str) -> AuthBase:
        if sys.platform == "win32":
            if credentials is None:
                return self._auth(None, None, "kerberos")
            return self._auth(credentials.username, credentials.password, "kerberos")
        from .kerberos import have_gssapi

        if not have_gssapi():
            raise DependencyMissingError(
                "Kerberos needs the kerberos extra: pip install 'samlbroker[kerberos]'"
            )
        self._principal = None
        if credentials is None:
            return self._auth(None, None, "negotiate", credential=[_default_ccache()])
        ticket = self._ticket_for(credentials)
        log.info("Kerberos ticket for %s acquired with the password (in memory)", ticket.principal)
        return self._auth(None, None, "negotiate", credential=[ticket.credential()])


def _default_ccache() -> Any:
    """The default ticket cache (``KRB5CCNAME``, else krb5.conf's, else the platform's) as a pyspnego credential."""
    import krb5
    import spnego

    name = krb5.cc_default_name(krb5.init_context())
    return spnego.KerberosCCache(ccache=name.decode() if isinstance(name, bytes) else str(name))


def _short(url: str) -> str:
    return url.split("?", 1)[0]
