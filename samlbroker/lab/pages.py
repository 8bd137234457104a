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


def adfs_login_page(action: str, username: str = "", error: str = "") -> str:
    """The AD FS forms sign-in page (AD FS 2019 markup: ids, names and the hidden repeated UserName)."""
    a, u, e = html.escape(action), html.escape(username), html.escape(error)
    return (
        _PAGE_HEAD.format(title="Sign In")
        + '<body dir="ltr" class="body"><div id="fullPage"><div id="contentWrapper" class="float">'
        '<div id="content"><div id="header"><img class="logoImage" id="companyLogo" alt="LAB"/></div>'
        '<main><div id="workArea"><div id="authArea" class="groupMargin">'
        '<div id="loginArea"><div id="loginMessage" class="groupMargin">'
        "Sign in with your organizational account</div>"
        f'<form method="post" id="loginForm" autocomplete="off" novalidate="novalidate" action="{a}">'
        f'<div id="error" class="fieldMargin error smallText"><span id="errorText" for="">{e}</span></div>'
        '<div id="formsAuthenticationArea"><div id="userNameArea">'
        '<label id="userNameInputLabel" for="userNameInput" class="hidden">User Account</label>'
        f'<input id="userNameInput" name="UserName" type="email" value="{u}" tabindex="1" '
        'class="text fullWidth" spellcheck="false" placeholder="someone@example.com" autocomplete="off"/>'
        '</div><div id="passwordArea">'
        '<label id="passwordInputLabel" for="passwordInput" class="hidden">Password</label>'
        '<input id="passwordInput" name="Password" type="password" tabindex="2" class="text fullWidth" '
        'placeholder="Password" autocomplete="off"/></div>'
        '<div id="kmsiArea" style="display:none">'
        '<input type="checkbox" name="Kmsi" id="kmsiInput" value="true" tabindex="3"/>'
        '<label for="kmsiInput">Keep me signed in</label></div>'
        '<div id="submissionArea" class="submitMargin">'
        '<span id="submitButton" class="submit" tabindex="4" role="button" '
        'onclick="return Login.submitLoginRequest();">Sign in</span></div></div>'
        '<input id="optionForms" type="hidden" name="AuthMethod" value="FormsAuthentication"/>'
        '<input id="hiddenUserName" name="UserName" type="hidden" value=""/>'
        "</form></div></div></div></main></div></div></div></body></html>"
    )


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


UNAUTHORIZED_PAGE = message_page("401 - Unauthorized", "Access is denied due to invalid credentials.")
