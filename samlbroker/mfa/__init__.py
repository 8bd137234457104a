"""Second factors: handlers for IdP additional-authentication pages, and the driver that runs them."""

from .base import MFAHandler, MFAPage, MFAPrompt

__all__ = ["MFAHandler", "MFAPage", "MFAPrompt"]
