"""Response parsers: the IdP's HTML answer -> SAMLAssertion."""

from .adfs import AdfsResponseParser
from .base import ResponseParser

__all__ = ["AdfsResponseParser", "ResponseParser"]
