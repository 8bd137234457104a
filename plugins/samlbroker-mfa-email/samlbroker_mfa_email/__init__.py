"""E-mailed one-time codes on AD FS (an ``EmailOtpAdapter`` page), through samlbroker's public MFA API only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from samlbroker.mfa import MFAHandler, MFAPage

if TYPE_CHECKING:
    import requests


class EmailCodeHandler(MFAHandler):
    """Asks the user for the code the IdP e-mailed, and posts it in the ``EmailCode`` field."""

    name = "email-otp"
    kind = "code"
    methods = ("EmailOtpAdapter",)

    def recognizes(self, page: MFAPage) -> bool:
        return page.auth_method == "EmailOtpAdapter" and page.form.has_field("EmailCode")

    def answer(self, session: requests.Session, page: MFAPage, code: str | None) -> requests.Response:
        return page.form.submit(session, {"EmailCode": (code or "").strip()})
