"""The parser interface: turn the IdP's final HTML into a SAMLAssertion."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from ..assertion import SAMLAssertion


class ResponseParser(ABC):
    """Finds and decodes the SAMLResponse in an IdP's answer (the .NET IAuthenticationResponseParser)."""

    name: ClassVar[str]

    @abstractmethod
    def parse(self, html: str) -> SAMLAssertion:
        """Return the assertion carried by ``html``, or raise a SAMLBrokerError saying why not."""

    def parse_saml_response(self, value: str) -> SAMLAssertion:
        """The assertion of a raw base64 SAMLResponse caught on its way (a browser sign-in)."""
        from ..assertion import SAMLAssertion

        return SAMLAssertion.from_base64(value)
