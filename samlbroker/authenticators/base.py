"""The authenticator interface: sign on at the IdP and return its final answer (the auto-post form)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import requests

    from ..identity import UserCredentials


class Authenticator(ABC):
    """One sign-on scheme (the .NET IAuthenticationController idea).

    ``session`` is a ``requests.Session`` already set up with TLS verification, proxies and a
    timeout on every request; an authenticator only drives the IdP's pages with it.
    ``credentials=None`` means the user's default identity, where the scheme has one.

    ``endpoint_options``: the keys of its own it reads from a ``[saml-endpoint NAME]`` section, each with
    a short help text. Their values (strings, as written) reach its constructor as keyword arguments, and
    loading the section does not warn about them as unknown keys.
    """

    name: ClassVar[str]
    endpoint_options: ClassVar[Mapping[str, str]] = {}

    @abstractmethod
    def authenticate(
        self, session: requests.Session, endpoint: str, credentials: UserCredentials | None
    ) -> requests.Response:
        """Sign on at ``endpoint``; return the IdP's last response (the page holding SAMLResponse)."""


class CapturingAuthenticator(ABC):
    """A sign-on that drives no HTTP session of ours but catches the SAMLResponse itself (a browser).

    The controller hands it the endpoint's trust (``verify``), proxy and request timeout, and parses what
    ``capture`` returns (the base64 SAMLResponse) with its parser's ``parse_saml_response``.
    """

    name: ClassVar[str]

    @abstractmethod
    def capture(
        self,
        endpoint: str,
        credentials: UserCredentials | None,
        *,
        verify: bool | str = True,
        proxies: Mapping[str, str] | None = None,
        timeout: float = 30,
    ) -> str:
        """Sign on at ``endpoint``; return the base64 SAMLResponse the IdP produced."""
