"""The Windows-integrated sign-ons: NTLM, Negotiate (Kerberos, else NTLM) and Kerberos at AD FS's /adfs/ls/wia."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from ..errors import AuthenticationFailedError, DependencyMissingError
from .base import Authenticator

if TYPE_CHECKING:
    import requests
    from requests.auth import AuthBase

    from ..identity import UserCredentials

# AD FS decides by User-Agent whether to offer Windows-integrated sign-in (its WIASupportedUserAgents list);
# this one is on the default list of every AD FS version since 2012 R2.
WIA_USER_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Trident/7.0; rv:11.0) like Gecko"


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
        try:
            response = session.get(endpoint, auth=auth, headers={"User-Agent": self.user_agent})
        except SpnegoError as exc:
            raise AuthenticationFailedError(self._spnego_failure(credentials, exc)) from None
        self.mechanism = getattr(auth, "mechanism", None) or self.name
        if response.status_code == 401:
            who = credentials.username if credentials else "your default identity"
            raise AuthenticationFailedError(
                f"the IdP refused the {self.scheme} sign-in for {who} (HTTP 401); the password was not retried"
            )
        return response

    def _spnego_failure(self, credentials: UserCredentials | None, exc: Exception) -> str:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        if credentials is None:
            return f"{self.scheme} sign-in with your default identity failed ({reason}); {default_identity_hint()}"
        return f"{self.scheme} sign-in for {credentials.username} failed: {reason}"


def default_identity_hint() -> str:
    """What a user without a usable default identity can do."""
    if sys.platform == "win32":
        return "sign in to the domain, or give --user"
    return "give --user DOMAIN\\USER, run kinit for Kerberos, or set NTLM_USER_FILE for NTLM"


class NtlmAuthenticator(WindowsIntegratedAuthenticator):
    """NTLM through requests-ntlm (the handshake stays on one kept-alive connection)."""

    name = "ntlm"
    scheme = "NTLM"

    def http_auth(self, credentials: UserCredentials | None, host: str) -> AuthBase:
        from requests_ntlm import HttpNtlmAuth

        if credentials is None:
            if sys.platform != "win32" and not os.environ.get("NTLM_USER_FILE"):
                raise AuthenticationFailedError(
                    "NTLM sign-in with your default identity needs Windows (SSPI) or NTLM_USER_FILE: "
                    + default_identity_hint()
                )
            return HttpNtlmAuth(None, None)
        return HttpNtlmAuth(credentials.username, credentials.password)


class NegotiateAuthenticator(WindowsIntegratedAuthenticator):
    """SPNEGO: Kerberos when a ticket can be had, else NTLM (as /adfs/ls/wia accepts both)."""

    name = "negotiate"
    scheme = "Negotiate"
    protocol: ClassVar[str] = "negotiate"

    def http_auth(self, credentials: UserCredentials | None, host: str) -> AuthBase:
        from .spnego_auth import SpnegoAuth

        if credentials is None:
            return SpnegoAuth(None, None, protocol=self.protocol)
        return SpnegoAuth(credentials.username, credentials.password, protocol=self.protocol)


class KerberosAuthenticator(NegotiateAuthenticator):
    """Kerberos only, wrapped in SPNEGO as IIS expects; needs ``pip install 'samlbroker[kerberos]'`` off Windows."""

    name = "kerberos"
    scheme = "Kerberos"
    protocol = "kerberos"

    def http_auth(self, credentials: UserCredentials | None, host: str) -> AuthBase:
        if sys.platform != "win32":
            try:
                import gssapi  # noqa: F401
            except ImportError:
                raise DependencyMissingError(
                    "Kerberos needs the kerberos extra: pip install 'samlbroker[kerberos]'"
                ) from None
        return super().http_auth(credentials, host)
