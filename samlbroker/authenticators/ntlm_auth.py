"""requests-ntlm's handler, made to fail in one line when the IdP will not start NTLM at all."""

from __future__ import annotations

from typing import Any

import requests
from requests_ntlm import HttpNtlmAuth

from ..errors import AuthenticationFailedError


class NtlmAuth(HttpNtlmAuth):
    """HttpNtlmAuth whose refusal of the first message (no CHALLENGE came back) is an ``AuthenticationFailedError``.

    requests-ntlm raises a bare ``PermissionError`` there; nothing about the password was checked yet.
    """

    def retry_using_http_NTLM_auth(
        self, auth_header_field: str, auth_header: str, response: requests.Response, auth_type: str, args: Any
    ) -> requests.Response:
        try:
            return super().retry_using_http_NTLM_auth(
                auth_header_field, auth_header, response, auth_type, args
            )
        except PermissionError:
            raise AuthenticationFailedError(ntlm_refused_before_password(response.url)) from None


def ntlm_refused_before_password(url: str) -> str:
    """One line for an IdP that answered NTLM's first message with a fresh challenge instead of its own."""
    return (
        f"the IdP refused NTLM at {url.split('?', 1)[0]} before any password was checked (its answer to "
        "NTLM's first message carried no challenge, as where it takes only Kerberos inside Negotiate): "
        "use auth_type = kerberos with a Kerberos ticket"
    )
