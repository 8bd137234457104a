"""The lab's second-factor pages, one shape per AD FS adapter, as real farms serve them.

The ids, names and form layouts follow what AD FS and the adapters put on the wire: the ``options`` form
with ``authMethod``/``context`` hidden inputs (Azure MFA, Symantec VIP, Silverfort, TOTP adapters), RSA's
``passcodeForm`` without an action beside an empty ``options`` form, SafeNet's inputs found by name only,
``p#instructions`` and ``p#validEntropyNumber`` (number matching) on Azure MFA's push page, and the error
text in ``#errorText``. The words are the lab's own.
"""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class Adapter:
    """One additional-authentication adapter: its AuthMethod, the input its code goes in, its page shape.

    ``field`` None is a push (the page waits for an approval on a device). ``shape`` picks the markup:
    ``"options"`` (AD FS's presentation form), ``"rsa"`` (SecurID's passcodeForm), ``"safenet"`` (inputs
    without ids), ``"iframe"`` (an adapter that needs a browser).
    """

    kind: str
    method: str
    field: str | None
    label: str
    shape: str = "options"
    input_id: str = "codeInput"


ADAPTERS = {
    adapter.kind: adapter
    for adapter in (
        Adapter("totp", "TOTPAuthenticationProvider", "VerificationCode", "Enter the code from your authenticator app",
                input_id="verificationCodeInput"),
        Adapter("email", "EmailOtpAdapter", "EmailCode", "We e-mailed you a code", input_id="emailCodeInput"),
        Adapter("push", "AzureMfaServerAuthentication", None, ""),
        Adapter("azure-code", "AzureMfaAuthentication", "VerificationCode",
                "Enter the verification code from your Authenticator app", input_id="verificationCodeInput"),
        Adapter("azure-push", "AzureMfaAuthentication", None, ""),
        Adapter("securid", "SecurIDAuthentication", "Passcode", "Enter your RSA SecurID passcode.", shape="rsa",
                input_id="passcodeInput"),
        Adapter("vip", "SymantecVipAdapter", "SecurityCode", "Enter the security code from your VIP credential",
                input_id="securityCodeInput"),
        Adapter("vip-account", "VIPAuthenticationProviderWindowsAccountName", "security_code",
                "Enter your VIP security code", input_id="security_code"),
        Adapter("safenet", "SafeNet-MFA", "SAFENET_PASSWORD", "Enter your SafeNet OTP", shape="safenet"),
        Adapter("silverfort", "SilverfortAdfs", None, ""),
        Adapter("oath", "VIPAuthenticationProviderUPN", "OathCode", "Enter your one-time passcode",
                input_id="oathCodeInput"),
        Adapter("challenge", "LabChallengeQuestionAdapter", "ChallengeQuestionAnswer",
                "Answer with the code shown on your token", input_id="challengeQuestionInput"),
        Adapter("duo", "DuoAdfsAdapter", None, "", shape="iframe"),
    )
}  # fmt: skip
METHODS = {kind: adapter.method for kind, adapter in ADAPTERS.items()}
PUSH_KINDS = {
    kind for kind, adapter in ADAPTERS.items() if adapter.field is None and adapter.shape != "iframe"
}

# What the lab's IdP says: waiting, and the refusals a push can end in.
WRONG_CODE = "The code you entered is not valid. Enter the current code from your authenticator app."
NEXT_TOKENCODE = "Wait for the tokencode on your token to change, then enter the new tokencode."
PUSH_WAITING = "We sent a sign-in request to your device. Approve it to continue."
PUSH_DENIED = "The sign-in request was denied on your device."
AZURE_WAITING = "Open your Authenticator app and approve the request to sign in."
AZURE_NUMBER = "Open your Authenticator app and enter the number shown to sign in."
AZURE_DENIED = "You declined the sign-in request in the Authenticator app."
AZURE_TIMED_OUT = "The sign-in request timed out: we didn't get a response from the Authenticator app."
AZURE_WRONG_NUMBER = "The sign-in request was denied: the number entered in the app did not match."
SILVERFORT_DENIED = "Not authorized"
SILVERFORT_EXPIRED = "MFA request expired"


def mfa_page(
    action: str,
    adapter: Adapter,
    context: str,
    who: str,
    *,
    error: str | None = None,
    field: str | None = None,
    label: str | None = None,
    number: str | None = None,
) -> str:
    """The additional-authentication page of ``adapter``; ``field``/``label`` override its code input."""
    field = field or adapter.field
    label = label or adapter.label
    if adapter.shape == "rsa":
        return _rsa_page(action, adapter, context, who, error, field or "Passcode", label)
    head = (
        "<!DOCTYPE html><html><head><title>Sign In</title></head><body>"
        f'<div id="mfaGreetingDescription">For security reasons, we require additional information to verify '
        f"your account ({html.escape(who)})</div>"
        '<div id="error" class="fieldMargin error smallText">'
        f'<label id="errorText" for="">{html.escape(error or "")}</label></div>'
    )
    if adapter.shape == "safenet":
        hidden = (
            f'<input type="hidden" name="AuthMethod" value="{adapter.method}"/>'
            f'<input type="hidden" name="Context" value="{html.escape(context)}"/>'
        )
    else:
        hidden = (
            f'<input id="authMethod" type="hidden" name="AuthMethod" value="{adapter.method}"/>'
            f'<input id="context" type="hidden" name="Context" value="{html.escape(context)}"/>'
        )
    body = _body(adapter, field, label, number)
    return (
        f'{head}<form method="post" id="options" autocomplete="off" novalidate="novalidate" '
        f'action="{html.escape(action)}">{hidden}{body}'
        '<input id="submitButton" type="submit" name="Continue" value="Continue"/></form></body></html>'
    )


def _body(adapter: Adapter, field: str | None, label: str, number: str | None) -> str:
    if adapter.shape == "iframe":
        return '<iframe id="duo_iframe" title="Two-factor authentication" src="about:blank"></iframe>'
    if field is None and adapter.kind == "azure-push":
        # AD FS fills p#instructions from script; the number to match is in the markup.
        if number is not None:
            return (
                '<p id="instructions"></p>'
                f'<div id="entropyArea"><p id="validEntropyNumber" class="displaySign">{number}</p></div>'
                f"<noscript><p>{html.escape(AZURE_NUMBER)}</p></noscript>"
                '<input type="hidden" name="__EVENTTARGET" value=""/>'
            )
        return (
            f'<p id="instructions">{html.escape(AZURE_WAITING)}</p>'
            '<input type="hidden" name="__EVENTTARGET" value=""/>'
        )
    if field is None:
        return f'<div id="instructions">{html.escape(PUSH_WAITING)}</div>'
    return (
        f'<label for="{adapter.input_id}">{html.escape(label)}</label>'
        f'<input id="{adapter.input_id}" name="{field}" type="text" autocomplete="off" placeholder="Code"/>'
    )


def _rsa_page(
    action: str, adapter: Adapter, context: str, who: str, error: str | None, field: str, label: str
) -> str:
    """RSA's page: the passcode form posts to the page's own URL; an empty ``options`` form follows it."""
    return (
        "<!DOCTYPE html><html><head><title>RSA SecurID Authentication</title></head><body>"
        f"<div class='fieldMargin bigText'>Welcome {html.escape(who)}</div>"
        "<div class='groupMargin'>For security reasons, we require additional information to verify your "
        "account</div>"
        '<form method="post" id="passcodeForm" autocomplete="off" onsubmit="return validateForm(this)">'
        f'<input id="authMethod" type="hidden" name="AuthMethod" value="{adapter.method}" />'
        f'<input id="context" type="hidden" name="Context" value="{html.escape(context)}" />'
        f'<div class="groupMargin">{html.escape(label)}</div>'
        '<div class="fieldMargin error smallText">'
        f'<label id="errorText" for="">{html.escape(error or "")}</label></div>'
        f'<div><input id="passcodeInput" name="{field}" type="password" value="" class="text fullWidth" '
        'placeholder="Passcode" autocomplete="off" /></div>'
        '<div class="submitMargin"><input id="submitButton" type="submit" name="Submit" value="Submit" /></div>'
        "</form>"
        f'<div id="authOptions"><form id="options" method="post" action="{html.escape(action)}">'
        '<input id="optionSelection" type="hidden" name="AuthMethod" /></form></div></body></html>'
    )
