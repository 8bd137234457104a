"""HTTP Digest sign-on at the IdP's Windows-integrated URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from requests.auth import HTTPDigestAuth

from ..errors import AuthenticationFailedError
from .windows import WindowsIntegratedAuthenticator

if TYPE_CHECKING:
    from requests.auth import AuthBase

    from ..identity import UserCredentials


class DigestAuthenticator(WindowsIntegratedAuthenticator):
    """Digest (RFC 7616, qop=auth) through requests; it has no default identity."""

    name = "digest"
    scheme = "Digest"

    def http_auth(self, credentials: UserCredentials | None, host: str) -> AuthBase:
        if credentials is None:
            raise AuthenticationFailedError("digest sign-in needs a user name and password: give --user")
        return HTTPDigestAuth(credentials.username, credentials.password)
