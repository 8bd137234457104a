"""Built-in AD FS second-factor handlers: a code form and a push-approval poll.

Code inputs, by adapter: ``VerificationCode`` (Azure MFA, TOTP adapters), ``Passcode`` and ``NextCode``
(RSA SecurID: the passcode, then the next tokencode when the server asks for it), ``SecurityCode`` and
``security_code`` (Symantec VIP), ``SAFENET_PASSWORD`` (SafeNet), ``OathCode`` and
``ChallengeQuestionAnswer`` (generic OATH adapters, and custom adapters built on Microsoft's sample).
Pushes: Azure MFA (``AzureMfaAuthentication``, built into AD FS 2016 and later, with number matching),
Azure MFA Server and Silverfort, whose pages wait for an approval on a device and are re-posted with
their ``AuthMethod`` and ``Context`` until the IdP answers.
Start pages: RSA's SecurID v2 agent (``SecurIDv2Authentication``) first serves a page without an input,
which its script posts back with ``InitStatus=true`` before the passcode page appears.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import MFAHandler, MFAPage

if TYPE_CHECKING:
    import requests

# The one-time-code inputs AD FS adapters put on their pages, most specific first.
CODE_FIELDS = (
    "VerificationCode",
    "NextCode",
    "Passcode",
    "SecurityCode",
    "security_code",
    "SAFENET_PASSWORD",
    "OathCode",
    "ChallengeQuestionAnswer",
    "OTP",
    "otp",
    "Code",
    "code",
)
# Adapters whose page, without a code input, waits for the user's approval on a device.
PUSH_METHODS = ("AzureMfaAuthentication", "AzureMfaServerAuthentication", "SilverfortAdfs")
# Adapters known to ask for a one-time code, by AuthMethod (for picking one on a method-choice page).
CODE_METHODS = (
    "AzureMfaAuthentication",
    "SecurIDAuthentication",
    "SecurIDv2Authentication",
    "SymantecVipAdapter",
    "VIPAuthenticationProviderWindowsAccountName",
    "VIPAuthenticationProviderUPN",
    "SafeNet-MFA",
)
# Adapters whose first page has nothing to type: what its script would post, to get the next page.
START_FIELDS = {"SecurIDv2Authentication": {"InitStatus": "true"}}


def code_field(page: MFAPage) -> str | None:
    """The name of the page's one-time-code input: the first known one it has, if any."""
    return next((name for name in CODE_FIELDS if page.form.has_field(name)), None)


class AdfsCodeHandler(MFAHandler):
    """AD FS additional authentication with a one-time code (Azure MFA, SecurID, VIP, SafeNet, OATH)."""

    name = "adfs-code"
    kind = "code"
    methods = CODE_METHODS

    def recognizes(self, page: MFAPage) -> bool:
        return code_field(page) is not None

    def answer(self, session: requests.Session, page: MFAPage, code: str | None) -> requests.Response:
        field = code_field(page)
        assert field is not None and code is not None
        return page.form.submit(session, {field: code.strip()})


class AdfsPushHandler(MFAHandler):
    """AD FS push approval (Azure MFA, Azure MFA Server, Silverfort): the form, AuthMethod and Context with
    it, is re-posted until the IdP has the approval."""

    name = "adfs-push"
    kind = "push"
    methods = PUSH_METHODS

    def recognizes(self, page: MFAPage) -> bool:
        return page.auth_method in PUSH_METHODS and code_field(page) is None

    def answer(self, session: requests.Session, page: MFAPage, code: str | None) -> requests.Response:
        return page.form.submit(session, {})


class AdfsStartHandler(MFAHandler):
    """An adapter's first page without an input (SecurID v2): posted once, as its script would, so that the
    IdP serves the page that asks for the code."""

    name = "adfs-start"
    kind = "continue"
    methods = tuple(START_FIELDS)

    def recognizes(self, page: MFAPage) -> bool:
        return page.auth_method in START_FIELDS and code_field(page) is None

    def answer(self, session: requests.Session, page: MFAPage, code: str | None) -> requests.Response:
        return page.form.submit(session, START_FIELDS[page.auth_method])
