"""SAMLAuthenticationController: sign on at the IdP with an authenticator, parse its answer into an assertion."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import AuthenticationFailedError, IdPUnreachableError, SAMLBrokerError
from .plugins import AUTHENTICATORS, load

if TYPE_CHECKING:
    from .assertion import SAMLAssertion
    from .authenticators.base import Authenticator
    from .identity import UserCredentials
    from .mfa.base import MFAPrompt
    from .parsers.base import ResponseParser

log = logging.getLogger("samlbroker")


class SAMLAuthenticationController:
    """Gets a SAML assertion from an IdP sign-on endpoint (the .NET SAMLAuthenticationController).

    ``authenticator``/``parser`` default to the built-in one for ``auth_type`` and the AD FS parser.
    ``verify`` is True (system trust; ``REQUESTS_CA_BUNDLE`` honoured) or a CA bundle path, which then
    wins over that variable. ``timeout`` bounds every request, in seconds. ``mfa_prompt`` answers
    second-factor steps (see ``samlbroker.MFAPrompt``); without it a second factor is a clear error.
    """

    def __init__(
        self,
        authenticator: Authenticator | None = None,
        parser: ResponseParser | None = None,
        proxies: Mapping[str, str] | str | None = None,
        verify: bool | str = True,
        timeout: float = 30,
        mfa_prompt: Callable[[MFAPrompt], str | None] | None = None,
        mfa_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.authenticator = authenticator
        self.parser = parser
        self.proxies = {"http": proxies, "https": proxies} if isinstance(proxies, str) else proxies
        self.verify = verify
        self.timeout = timeout
        self.mfa_prompt = mfa_prompt
        self.mfa_options = dict(
            mfa_options or {}
        )  # method (the endpoint's mfa_method); push_timeout, poll_interval, handlers (for tests, tuning)
        self.last_mechanism: str | None = None

    def get_saml_assertion(
        self, endpoint: str, credentials: UserCredentials | None = None, auth_type: str = "kerberos"
    ) -> SAMLAssertion:
        """Sign on at ``endpoint`` and return the assertion; ``credentials=None`` is the default identity."""
        import requests

        from .authenticators.base import CapturingAuthenticator
        from .http import BrokerSession, describe_request_error
        from .mfa.driver import SecondFactor

        authenticator = self.authenticator or load(AUTHENTICATORS, auth_type)()
        parser = self.parser or _default_parser()
        if isinstance(authenticator, CapturingAuthenticator):
            value = authenticator.capture(
                endpoint, credentials, verify=self.verify, proxies=self.proxies, timeout=self.timeout
            )
            self.last_mechanism = authenticator.name
            return parser.parse_saml_response(value)
        with BrokerSession(verify=self.verify, proxies=self.proxies, timeout=self.timeout) as session:
            try:
                response = authenticator.authenticate(session, endpoint, credentials)
                response = SecondFactor(self.mfa_prompt, **self.mfa_options).complete(session, response)
            except requests.RequestException as exc:
                raise IdPUnreachableError(
                    describe_request_error(exc, endpoint, timeout=self.timeout)
                ) from None
        self.last_mechanism = getattr(authenticator, "mechanism", None) or authenticator.name
        _check_status(response)
        return parser.parse(response.text)


def _default_parser() -> ResponseParser:
    from .parsers.adfs import AdfsResponseParser

    return AdfsResponseParser()


def _check_status(response: Any) -> None:
    """An HTTP error from the IdP is a failure, whatever the page says."""
    if response.status_code in (401, 403):
        raise AuthenticationFailedError(f"the IdP refused the sign-in (HTTP {response.status_code})")
    if response.status_code >= 400:
        raise SAMLBrokerError(
            f"the IdP answered HTTP {response.status_code} at {response.url.split('?', 1)[0]}"
        )
