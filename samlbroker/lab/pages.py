"""The lab IdP's HTML: AD FS's sign-in and message pages, Shibboleth's login page, and their words."""

from __future__ import annotations

import html

INCORRECT = "Incorrect user ID or password. Type the correct user ID and password, and try again."
DISABLED = "Your account has been disabled. Contact your administrator."
SHIB_INCORRECT = "The password you entered was incorrect."
SHIB_UNKNOWN = "The username you entered cannot be identified."
SHIB_DISABLED = "Your account is disabled."


_PAGE_HEAD = (
    '<!DOCTYPE html>\n<html lang="en-US"><head><meta http-equiv="X-UA-Compatible" content="IE=edge"/>'
    '<meta name="viewport" content="width=device-width, initial-scale=1.0"/>'
    '<meta http-equiv="content-type" content="text/html;charset=UTF-8"/><title>{title}</title></head>'
)


def adfs_login_page(action: str, username: str = "", error: str = "", version: str = "2016") -> str:
    """The AD FS forms sign-in page as AD FS ``version`` (2012r2, 2016, 2019, 2022) serves it.

    What differs, as on real servers: 2012 R2 has no ``<main>``, its error is a ``label#errorText`` in a
    ``#error`` box hidden while empty and its inputs have no labels; 2016 on has ``<main>``, a
    ``span#errorText`` with ``role=alert`` and labelled inputs; AD FS 5.0 (2019, and 2022 with the same
    theme) repeats ``UserName`` as a hidden ``userNameInputOptionsHolder`` in the options form, so a client
    that posts every input of the page sends ``UserName`` twice (which AD FS 2019 refuses).
    """
    if version not in _ADFS_PAGES:
        raise ValueError(f"no AD FS sign-in page for {version!r}")
    return _ADFS_PAGES[version](html.escape(action), html.escape(username), html.escape(error))


def _adfs_2012r2_page(a: str, u: str, e: str) -> str:
    hidden = "" if e else ' style="display: none;"'
    return (
        _PAGE_HEAD.format(title="Sign In")
        + '<body dir="ltr" class="body"><div id="noScript" style="position:static; width:100%; height:100%; '
        'z-index:100; display:none"><h1>JavaScript required</h1></div>'
        '<div id="fullPage"><div id="brandingWrapper" class="float"><div id="branding"></div></div>'
        '<div id="contentWrapper" class="float"><div id="content"><div id="header">'
        '<img class="logoImage" alt="LAB"/></div><div id="workArea"><div id="authArea" class="groupMargin">'
        '<div id="loginArea"><div id="loginMessage" class="groupMargin">'
        "Sign in with your organizational account</div>"
        f'<form method="post" id="loginForm" autocomplete="off" novalidate="novalidate" '
        f'onkeypress="if (event &amp;&amp; event.keyCode == 13) Login.submitLoginRequest();" action="{a}">'
        f'<div id="error" class="fieldMargin error smallText"{hidden}><label id="errorText" for="">{e}</label>'
        '</div><div id="formsAuthenticationArea"><div id="userNameArea">'
        f'<input id="userNameInput" name="UserName" type="email" value="{u}" tabindex="1" '
        'class="text fullWidth" spellcheck="false" placeholder="someone@example.com" autocomplete="off"/>'
        '</div><div id="passwordArea">'
        '<input id="passwordInput" name="Password" type="password" tabindex="2" class="text fullWidth" '
        'placeholder="Password" autocomplete="off"/></div>'
        + _KMSI
        + '<div id="submissionArea" class="submitMargin"><span id="submitButton" class="submit" tabindex="4" '
        'onclick="return Login.submitLoginRequest();">Sign in</span></div></div>'
        '<input id="optionForms" type="hidden" name="AuthMethod" value="FormsAuthentication"/></form>'
        f'<div id="authOptions"><form id="options" method="post" action="{a}">'
        '<input id="optionSelection" type="hidden" name="AuthMethod"/></form></div>'
        '</div></div></div></div></div><div id="footer"><span id="copyright">&#169; 2013 Microsoft</span>'
        "</div></div></body></html>"
    )


def _adfs_modern_page(a: str, u: str, e: str, *, user_in_options: bool, year: str) -> str:
    """AD FS 2016 and later (the 2016 web theme, kept by 2019 and 2022)."""
    holder = f'<input id="userNameInputOptionsHolder" name="UserName" value="{u}" type="hidden"/>'
    return (
        _PAGE_HEAD.format(title="Sign In")
        + '<body dir="ltr" class="body"><div id="fullPage"><div id="contentWrapper" class="float">'
        '<div id="content"><div id="header"><img class="logoImage" id="companyLogo" alt="LAB"/></div>'
        '<main><div id="workArea"><div id="authArea" class="groupMargin">'
        '<div id="loginArea"><div id="loginMessage" class="groupMargin">'
        "Sign in with your organizational account</div>"
        f'<form method="post" id="loginForm" autocomplete="off" novalidate="novalidate" action="{a}">'
        '<div id="error" class="fieldMargin error smallText">'
        f'<span id="errorText" for="" aria-live="assertive" role="alert">{e}</span></div>'
        '<div id="formsAuthenticationArea"><div id="userNameArea">'
        '<label id="userNameInputLabel" for="userNameInput" class="hidden">User Account</label>'
        f'<input id="userNameInput" name="UserName" type="email" value="{u}" tabindex="1" '
        'class="text fullWidth" spellcheck="false" placeholder="someone@example.com" autocomplete="off"/>'
        '</div><div id="passwordArea">'
        '<label id="passwordInputLabel" for="passwordInput" class="hidden">Password</label>'
        '<input id="passwordInput" name="Password" type="password" tabindex="2" class="text fullWidth" '
        'placeholder="Password" autocomplete="off"/></div>'
        + _KMSI
        + '<div id="submissionArea" class="submitMargin">'
        '<span id="submitButton" class="submit" tabindex="4" role="button" '
        'onclick="return Login.submitLoginRequest();">Sign in</span></div></div>'
        '<input id="optionForms" type="hidden" name="AuthMethod" value="FormsAuthentication"/>'
        f'</form><div id="authOptions"><form id="options" method="post" action="{a}">'
        '<input id="optionSelection" type="hidden" name="AuthMethod"/>'
        f"{holder if user_in_options else ''}</form></div>"
        "</div></div></div></main></div>"
        f'<footer id="footer"><span id="copyright">&#169; {year} Microsoft</span></footer>'
        "</div></div></body></html>"
    )


_KMSI = (
    '<div id="kmsiArea" style="display:none">'
    '<input type="checkbox" name="Kmsi" id="kmsiInput" value="true" tabindex="3"/>'
    '<label for="kmsiInput">Keep me signed in</label></div>'
)

_ADFS_PAGES = {
    "2012r2": _adfs_2012r2_page,
    "2016": lambda a, u, e: _adfs_modern_page(a, u, e, user_in_options=False, year="2016"),
    "2019": lambda a, u, e: _adfs_modern_page(a, u, e, user_in_options=True, year="2018"),
    "2022": lambda a, u, e: _adfs_modern_page(a, u, e, user_in_options=True, year="2021"),
}


def message_page(title: str, message: str) -> str:
    return (
        _PAGE_HEAD.format(title=html.escape(title))
        + f'<body><div id="content"><div id="errorArea"><span id="errorMessage">{html.escape(message)}</span>'
        "</div></div></body></html>"
    )


def shibboleth_login_page(action: str, csrf: str, username: str = "", error: str = "") -> str:
    """The Shibboleth IdP v4/v5 password login view."""
    note = f'<section><p class="form-element form-error">{html.escape(error)}</p></section>' if error else ""
    return (
        _PAGE_HEAD.format(title="Web Login Service")
        + '<body><div class="wrapper"><div class="container"><header><h1>Web Login Service</h1></header>'
        f'<div class="content"><div class="column one"><form action="{html.escape(action)}" method="post">'
        f'<input type="hidden" name="csrf_token" value="{html.escape(csrf)}"/>{note}'
        '<div class="form-element-wrapper"><label for="username">Username</label>'
        f'<input class="form-element form-field" id="username" name="j_username" type="text" '
        f'value="{html.escape(username)}"/></div>'
        '<div class="form-element-wrapper"><label for="password">Password</label>'
        '<input class="form-element form-field" id="password" name="j_password" type="password" value=""/>'
        '</div><div class="form-element-wrapper"><input type="checkbox" name="donotcache" value="1" '
        'id="donotcache"/><label for="donotcache">Don\'t Remember Login</label></div>'
        '<div class="form-element-wrapper"><button class="form-element form-button" type="submit" '
        'name="_eventId_proceed">Login</button></div></form></div></div></div></div></body></html>'
    )


def shibboleth_consent_page(action: str, csrf: str, attributes: tuple[str, ...]) -> str:
    """The Shibboleth IdP's attribute-release page: the attributes, how to remember the answer, Reject/Accept."""
    rows = "".join(
        f'<tr><td>{html.escape(name)}</td><td><input type="checkbox" name="_shib_idp_consentIds" '
        f'value="{html.escape(name)}" checked="checked"/></td></tr>'
        for name in attributes
    )
    options = "".join(
        f'<div><input id="{value}" type="radio" name="_shib_idp_consentOptions" value="{value}"{checked}/>'
        f'<label for="{value}">{label}</label></div>'
        for value, label, checked in (
            ("_shib_idp_doNotRememberConsent", "Ask me again at next login", ""),
            ("_shib_idp_rememberConsent", "Ask me again if information changes", ' checked="checked"'),
            ("_shib_idp_globalConsent", "Do not ask me again", ""),
        )
    )
    return (
        _PAGE_HEAD.format(title="Information Release")
        + '<body><div class="box"><h1>Information to be Provided to Service</h1>'
        f'<form action="{html.escape(action)}" method="post">'
        f'<input type="hidden" name="csrf_token" value="{html.escape(csrf)}"/>'
        f'<table id="attributeRelease">{rows}</table><div id="consentOptions">{options}</div>'
        '<input type="submit" name="_eventId_AttributeReleaseRejected" value="Reject"/>'
        '<input type="submit" name="_eventId_proceed" value="Accept"/></form></div></body></html>'
    )


def adfs_error_page(activity_id: str) -> str:
    """AD FS's error page: the same words whatever went wrong, and the Activity ID for the event log."""
    return (
        _PAGE_HEAD.format(title="Sign In")
        + '<body dir="ltr" class="body"><div id="content"><div id="errorArea"><div id="openingMessage">'
        'An error occurred</div><div id="errorMessage">An error occurred. Contact your administrator for '
        f'more information.</div><div id="errorDetails">Activity ID: {html.escape(activity_id)}</div>'
        "</div></div></body></html>"
    )


UNAUTHORIZED_PAGE = message_page("401 - Unauthorized", "Access is denied due to invalid credentials.")
