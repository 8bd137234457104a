"""The lab's second-factor pages, one shape per AD FS adapter, as real farms serve them.

The ids, names and form layouts follow what AD FS and the adapters put on the wire: the ``options`` form
with ``authMethod``/``context`` hidden inputs (Azure MFA, Symantec VIP, Silverfort, TOTP adapters), RSA's
``passcodeForm`` without an action beside an empty ``options`` form, SafeNet's inputs found by name only,
``p#instructions`` and ``p#validEntropyNumber`` (number matching) on Azure MFA's push page, and the error
text in ``#errorText``. The words are the lab's own.

Where several adapters are enabled, AD FS first serves the method-choice page: ``div#authOptions`` around
a ``form#options`` whose hidden ``AuthMethod`` (``#optionSelection``) a link or button per provider fills
(``SelectOption('...')``) before posting it with the ``Context``; an adapter's page then lists the other
methods under "Sign in using another method". RSA's SecurID v2 agent first serves a page without an input
that its script posts back (``InitStatus``, risk-collection fields), then its passcode page
(``#verification_factor``, ``authMode``/``authStatus`` hidden fields).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from .variant import MFA_OPTION_STYLES


@dataclass(frozen=True)
class Adapter:
    """One additional-authentication adapter: its AuthMethod, the input its code goes in, its page shape.

    ``field`` None is a push (the page waits for an approval on a device). ``shape`` picks the markup:
    ``"options"`` (AD FS's presentation form), ``"rsa"`` (SecurID's passcodeForm), ``"rsa-v2"`` (the
    SecurID v2 agent: a start page, then its passcode page), ``"safenet"`` (inputs without ids),
    ``"iframe"`` (an adapter that needs a browser), ``"script"`` (no form in the HTML: its script builds
    and posts the answer, as Duo's prompt does; only a browser passes it). ``title`` is the name the
    method-choice page shows.
    """

    kind: str
    method: str
    field: str | None
    label: str
    shape: str = "options"
    input_id: str = "codeInput"
    title: str = ""


ADAPTERS = {
    adapter.kind: adapter
    for adapter in (
        Adapter("totp", "TOTPAuthenticationProvider", "VerificationCode", "Enter the code from your authenticator app",
                input_id="verificationCodeInput"),
        Adapter("email", "EmailOtpAdapter", "EmailCode", "We e-mailed you a code", input_id="emailCodeInput"),
        Adapter("push", "AzureMfaServerAuthentication", None, ""),
        Adapter("azure-code", "AzureMfaAuthentication", "VerificationCode",
                "Enter the verification code from your Authenticator app", input_id="verificationCodeInput",
                title="Azure Multi-Factor Authentication"),
        Adapter("azure-push", "AzureMfaAuthentication", None, "", title="Azure Multi-Factor Authentication"),
        Adapter("securid", "SecurIDAuthentication", "Passcode", "Enter your RSA SecurID passcode.", shape="rsa",
                input_id="passcodeInput", title="RSA SecurID"),
        Adapter("securid-v2", "SecurIDv2Authentication", "Passcode", "Enter your SecurID passcode (PIN and tokencode).",
                shape="rsa-v2", input_id="passcodeInput", title="RSA SecurID Access"),
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
        Adapter("duo", "DuoAdfsAdapter", None, "", shape="iframe", title="Duo Security"),
        Adapter("script", "ScriptPromptAdapter", None, "", shape="script", title="Script prompt"),
    )
}  # fmt: skip
METHODS = {kind: adapter.method for kind, adapter in ADAPTERS.items()}
PUSH_KINDS = {
    kind
    for kind, adapter in ADAPTERS.items()
    if adapter.field is None and adapter.shape not in ("iframe", "script")
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
CHOOSE_METHOD = "Select the method you want to verify your identity with."
ANOTHER_METHOD = "Sign in using another method"
SECURID_STARTING = "Connecting to RSA SecurID. Continue if this page does not go on by itself."


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
    others: Sequence[Adapter] = (),
    style: str = "links",
) -> str:
    """The additional-authentication page of ``adapter``; ``field``/``label`` override its code input.

    ``others`` are the other enabled methods, listed under "Sign in using another method" as ``style``.
    """
    field = field or adapter.field
    label = label or adapter.label
    if adapter.shape == "script":
        return script_prompt_page(action, adapter, context, who, error)
    if adapter.shape == "rsa":
        return _rsa_page(action, adapter, context, who, error, field or "Passcode", label, others, style)
    if adapter.shape == "rsa-v2":
        return _rsa_v2_page(action, adapter, context, who, error, field or "Passcode", label, others, style)
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
    other_methods = options_block(action, others, style, toggle=True) if others else ""
    return (
        f'{head}<form method="post" id="options" autocomplete="off" novalidate="novalidate" '
        f'action="{html.escape(action)}">{hidden}{body}'
        '<input id="submitButton" type="submit" name="Continue" value="Continue"/></form>'
        f"{other_methods}</body></html>"
    )


def choice_page(
    action: str,
    adapters: Sequence[Adapter],
    context: str,
    who: str,
    style: str = "links",
    error: str | None = None,
) -> str:
    """AD FS's method-choice page: one link (or button) per enabled provider, posting its AuthMethod."""
    return (
        "<!DOCTYPE html><html><head><title>Sign In</title></head><body>"
        '<div id="authArea" class="groupMargin">'
        f"<div class='fieldMargin bigText'>{html.escape(who)}</div>"
        '<div id="mfaGreetingDescription" class="groupMargin">For security reasons, we require additional '
        "information to verify your account</div>"
        '<div class="fieldMargin error smallText">'
        f'<label id="errorText" for="">{html.escape(error or "")}</label></div>'
        f'<div class="groupMargin">{html.escape(CHOOSE_METHOD)}</div>'
        f"{options_block(action, adapters, style, context=context)}</div></body></html>"
    )


def options_block(
    action: str,
    adapters: Sequence[Adapter],
    style: str,
    *,
    context: str | None = None,
    toggle: bool = False,
) -> str:
    """``div#authOptions``: the form whose hidden AuthMethod a click on a provider fills before it is posted.

    ``context`` puts the Context in that form (the choice page); ``toggle`` hides the list behind "Sign in
    using another method" (an adapter's page, whose own form carries the Context).
    """
    if style not in MFA_OPTION_STYLES:
        raise ValueError(f"style must be one of {', '.join(MFA_OPTION_STYLES)}")
    picks = "".join(_pick(adapter, style, index) for index, adapter in enumerate(adapters, 1))
    hidden = (
        f'<input id="context" type="hidden" name="Context" value="{html.escape(context)}"/>'
        if context
        else ""
    )
    if toggle:
        picks = (
            f'<a href="#" id="otherOptionsToggle" onclick="return ShowOptions();">{ANOTHER_METHOD}</a>'
            f'<div id="authOptionLinks" style="display:none">{picks}</div>'
        )
    else:
        picks = f'<div id="authOptionLinks" class="groupMargin">{picks}</div>'
    return (
        f'<div id="authOptions"><form id="options" method="post" action="{html.escape(action)}">'
        '<script type="text/javascript">'
        "function SelectOption(m){document.getElementById('optionSelection').value=m;"
        "document.forms['options'].submit();return false;}"
        "function ShowOptions(){document.getElementById('authOptionLinks').style.display='block';return false;}"
        "</script>"
        f'<input id="optionSelection" type="hidden" name="AuthMethod"/>{hidden}{picks}</form></div>'
    )


def _pick(adapter: Adapter, style: str, index: int) -> str:
    """One provider on the choice list: an action link named by its AuthMethod, or a numbered button."""
    title = html.escape(adapter.title or adapter.method)
    click = f"return SelectOption('{adapter.method}');"
    if style == "buttons":
        return (
            f'<button type="button" class="optionButton" id="optionButton{index}" onclick="{click}">'
            f"{title}</button>"
        )
    return f'<a class="actionLink" href="#" id="{adapter.method}" role="button" onclick="{click}">{title}</a>'


def securid_start_page(action: str, adapter: Adapter, context: str, who: str) -> str:
    """The SecurID v2 agent's first page: nothing to type; its script fills the risk fields and posts it."""
    return (
        "<!DOCTYPE html><html><head><title>RSA SecurID Access Authentication</title></head><body>"
        f"<div class='fieldMargin bigText'>Welcome {html.escape(who)}</div>"
        f'<form method="post" id="loginForm" action="{html.escape(action)}">'
        f'<input id="authMethod" type="hidden" name="AuthMethod" value="{adapter.method}"/>'
        f'<input id="context" type="hidden" name="Context" value="{html.escape(context)}"/>'
        '<input id="initStatus" type="hidden" name="InitStatus" value=""/>'
        '<input type="hidden" name="rsa_risk_fp" value=""/><input type="hidden" name="latitude" value=""/>'
        '<input type="hidden" name="longitude" value=""/>'
        '<input type="hidden" name="geoLocationCollTimestamp" value=""/>'
        f'<div class="groupMargin">{html.escape(SECURID_STARTING)}</div>'
        '<input id="continueButton" type="submit" name="Continue" value="Continue"/></form>'
        "<script type=\"text/javascript\">document.getElementById('initStatus').value='true';"
        "document.forms['loginForm'].submit();</script></body></html>"
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
    action: str,
    adapter: Adapter,
    context: str,
    who: str,
    error: str | None,
    field: str,
    label: str,
    others: Sequence[Adapter],
    style: str,
) -> str:
    """RSA's page: the passcode form posts to the page's own URL; the ``options`` form follows it (empty
    when no other method is enabled)."""
    other_methods = (
        options_block(action, others, style, toggle=True)
        if others
        else f'<div id="authOptions"><form id="options" method="post" action="{html.escape(action)}">'
        '<input id="optionSelection" type="hidden" name="AuthMethod" /></form></div>'
    )
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
        f"</form>{other_methods}</body></html>"
    )


def _rsa_v2_page(
    action: str,
    adapter: Adapter,
    context: str,
    who: str,
    error: str | None,
    field: str,
    label: str,
    others: Sequence[Adapter],
    style: str,
) -> str:
    """The SecurID v2 agent's passcode page (after its start page): the factor's words in
    ``#verification_factor``, the agent's state in hidden fields."""
    other_methods = options_block(action, others, style, toggle=True) if others else ""
    return (
        "<!DOCTYPE html><html><head><title>RSA SecurID Access Authentication</title></head><body>"
        f"<div class='fieldMargin bigText'>Welcome {html.escape(who)}</div>"
        f'<form method="post" id="loginForm" autocomplete="off" action="{html.escape(action)}">'
        f'<input id="authMethod" type="hidden" name="AuthMethod" value="{adapter.method}"/>'
        f'<input id="context" type="hidden" name="Context" value="{html.escape(context)}"/>'
        '<input type="hidden" name="authMode" value="PASSCODE"/><input type="hidden" name="authStatus" value=""/>'
        '<input type="hidden" name="retryStatus" value="false"/><input type="hidden" name="CancelStatus" value=""/>'
        '<input type="hidden" name="nextOption" value=""/>'
        f'<div class="content" id="verification_factor"><p>{html.escape(label)}</p></div>'
        '<div class="fieldMargin error smallText">'
        f'<label id="errorText" for="">{html.escape(error or "")}</label></div>'
        f'<input id="{adapter.input_id}" name="{field}" type="password" value="" autocomplete="off"/>'
        '<input id="submitButton" type="submit" name="Submit" value="Submit"/>'
        f"</form>{other_methods}</body></html>"
    )


def script_proof(context: str) -> str:
    """What the script prompt's page computes in the browser (SHA-256 of the context, hex) and posts."""
    import hashlib

    return hashlib.sha256(context.encode("ascii")).hexdigest()


# The prompt's script: on "Approve", it computes the proof with WebCrypto, builds the form and posts it.
_SCRIPT_PROMPT_JS = """
document.getElementById('approveButton').addEventListener('click', async () => {
  const box = document.getElementById('scriptPrompt');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(box.dataset.context));
  const proof = Array.from(new Uint8Array(digest), b => b.toString(16).padStart(2, '0')).join('');
  const form = document.createElement('form');
  form.method = 'post';
  form.action = box.dataset.action;
  for (const [name, value] of [['AuthMethod', box.dataset.method], ['Context', box.dataset.context],
                               ['ScriptProof', proof]]) {
    const field = document.createElement('input');
    field.type = 'hidden'; field.name = name; field.value = value;
    form.appendChild(field);
  }
  document.body.appendChild(form);
  form.submit();
});
"""


def script_prompt_page(action: str, adapter: Adapter, context: str, who: str, error: str | None) -> str:
    """A second-factor prompt with no form in its HTML: only a browser running its script can answer it."""
    return (
        "<!DOCTYPE html><html><head><title>Sign In</title></head><body>"
        f'<div id="mfaGreetingDescription">Approve the sign-in of {html.escape(who)}</div>'
        f'<div id="error"><label id="errorText" for="">{html.escape(error or "")}</label></div>'
        f'<div id="scriptPrompt" data-action="{html.escape(action)}" data-method="{adapter.method}" '
        f'data-context="{html.escape(context)}"><button id="approveButton" type="button">Approve</button></div>'
        f"<script>{_SCRIPT_PROMPT_JS}</script></body></html>"
    )
