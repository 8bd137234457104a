"""Built-in AD FS second-factor handlers: a code form (OTP, SecurID, VIP) and a push-approval poll."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import MFAHandler, MFAPage

if TYPE_CHECKING:
    import requests

# Inputs a code form puts its one-time code in, by adapter (AD FS TOTP adapters, RSA SecurID, Symantec VIP).
CODE_FIELDS = ("VerificationCode", "Passcode", "SecurityCode", "security_code", "OTP", "otp", "Code", "code")
# Adapters whose page only waits for the user's approval on a device, answered by re-posting the form.
PUSH_METHODS = ("AzureMfaServerAuthentication", "AzureMfaPushAuthentication", "LabPushAuthentication")


def code_field(page: MFAPage) -> str | None:
    """The name of the page's one-time-code input, if it has exactly one known one."""
    found = [name for name in CODE_FIELDS if page.form.has_field(name)]
    return found[0] if len(found) == 1 else None


class AdfsCodeHandler(MFAHandler):
    """AD FS additional authentication with a one-time code (authenticator app, SecurID passcode, VIP)."""

    name = "adfs-code"
    kind = "code"

    def recognizes(self, page: MFAPage) -> bool:
        return code_field(page) is not None

    def answer(self, session: requests.Session, page: MFAPage, code: str | None) -> requests.Response:
        field = code_field(page)
        assert field is not None and code is not None
        return page.form.submit(session, {field: code.strip()})


class AdfsPushHandler(MFAHandler):
    """AD FS push approval (Azure MFA Server style): the form is re-posted until the IdP has the approval."""

    name = "adfs-push"
    kind = "push"

    def recognizes(self, page: MFAPage) -> bool:
        return page.auth_method in PUSH_METHODS and code_field(page) is None

    def answer(self, session: requests.Session, page: MFAPage, code: str | None) -> requests.Response:
        return page.form.submit(session, {})
