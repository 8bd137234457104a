"""The forms sign-in: AD FS's sign-in page or any plain IdP login form (SimpleSAMLphp, Shibboleth, ...).

GET the sign-on URL, then answer each page as a person would, once each: AD FS's home realm discovery
(Active Directory, or the endpoint's ``adfs_home_realm``); the form with one user and one password input,
or a user-name page and then a password page; an attribute-release consent question (only when the
endpoint allows it); and follow redirects, meta refreshes and forms that submit themselves until the
SAMLResponse. Hidden fields are posted back. The password is posted once: when a password form comes back,
the parser reports the IdP's own words.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..errors import AuthenticationFailedError, SAMLResponseError
from .base import Authenticator
from .consent import read_consent_page
from .home_realm import read_home_realm_page
from .html import HtmlForm, has_password_input, meta_refresh_target, read_forms

if TYPE_CHECKING:
    import requests
    from bs4 import BeautifulSoup

    from ..identity import UserCredentials

log = logging.getLogger("samlbroker.auth")

MAX_PAGES = 16  # first pages, realm, user name, password, consent, auto-post hops; a loop beyond is the IdP's
# Hidden inputs a page's own script fills in when its button is clicked (PingFederate's ``postOk()``).
_SCRIPT_PRESSED = {"pf.ok": "clicked"}


class AdfsFormsAuthenticator(Authenticator):
    """Signs in on the IdP's login form (AD FS: UserName, Password, AuthMethod=FormsAuthentication).

    ``home_realm``: the claims provider to pick on AD FS's home realm discovery page (its identifier or
    shown name; default Active Directory, ``AD AUTHORITY``). ``accept_consent``: say yes when the IdP asks
    for consent to release the user's attributes (default: a clear error instead).
    """

    name = "forms"

    def __init__(self, home_realm: str | None = None, accept_consent: bool = False) -> None:
        self.home_realm = home_realm
        self.accept_consent = accept_consent

    def authenticate(
        self, session: requests.Session, endpoint: str, credentials: UserCredentials | None
    ) -> requests.Response:
        if credentials is None:
            raise AuthenticationFailedError("forms sign-in needs a user name and password: give --user")
        response = session.get(endpoint)
        done: set[str] = set()  # the steps taken: each is answered once
        for _ in range(MAX_PAGES):
            onward = self._answer(session, response, credentials, done)
            if onward is None:
                return response  # the answer, an error page or a second-factor page: the caller reads it
            response = onward
        raise SAMLResponseError(f"the IdP sent more than {MAX_PAGES} pages without a SAMLResponse")

    def _answer(
        self,
        session: requests.Session,
        response: requests.Response,
        credentials: UserCredentials,
        done: set[str],
    ) -> requests.Response | None:
        """The next request a person would make on this page, or None when the page is the end."""
        page = _parse(response.text)
        if _has_saml_response(page):
            return None
        forms = read_forms(page, response.url)
        login = next((f for f in forms if f.login_fields() is not None), None)
        if login is not None:
            return None if "password" in done else _post_password(session, login, credentials, done)
        realm_page = read_home_realm_page(page, forms)
        if realm_page is not None:
            if "realm" in done:
                raise SAMLResponseError("AD FS showed its home realm page again after the choice was posted")
            done.add("realm")
            realm = realm_page.choose(self.home_realm)
            log.info("home realm discovery: signing in with %s", realm)
            return realm_page.submit(session, realm)
        consent = read_consent_page(page, forms)
        if consent is not None:
            consent.refuse_unless(self.accept_consent)
            if "consent" in done:
                return None
            done.add("consent")
            log.info("consent to release attributes given for this sign-in (forms_accept_consent = yes)")
            return consent.accept(session)
        if _is_second_factor(response):
            return None
        password_only = next((f for f in forms if f.password_field() is not None), None)
        if password_only is not None and "user" in done:
            return None if "password" in done else _post_password(session, password_only, credentials, done)
        if "password" not in done and has_password_input(page):
            raise SAMLResponseError(
                f"the sign-in page at {response.url.split('?', 1)[0]} has no form with one user name "
                "and one password field; an authenticator plugin may know this IdP"
            )
        user_page = [f for f in forms if f.user_name_field() is not None]
        if len(user_page) == 1 and not done & {"user", "password"}:
            form = user_page[0]
            done.add("user")
            fields = {str(form.user_name_field()): credentials.username, **_pressed(form)}
            return form.submit(session, fields, press_button=True)
        refresh = meta_refresh_target(page, response.url)
        if refresh is not None:
            return session.get(refresh)
        onward = _auto_post_form(page, forms)
        return onward.submit(session, {}) if onward is not None else None


def _parse(html: str) -> BeautifulSoup:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")


def _post_password(
    session: requests.Session, form: HtmlForm, credentials: UserCredentials, done: set[str]
) -> requests.Response:
    done.add("password")
    return form.submit(session, _sign_in_fields(form, credentials), press_button=True)


def _sign_in_fields(form: HtmlForm, credentials: UserCredentials) -> dict[str, str]:
    fields = form.login_fields()
    if fields is None:  # a password page after the user-name page
        updates = {str(form.password_field()): credentials.password}
    else:
        user_field, password_field = fields
        updates = {user_field: credentials.username, password_field: credentials.password}
    if form.has_field("AuthMethod") and not form.fields.get("AuthMethod"):
        updates["AuthMethod"] = "FormsAuthentication"  # AD FS: the forms option when several are offered
    return {**updates, **_pressed(form)}


def _pressed(form: HtmlForm) -> dict[str, str]:
    """The hidden inputs the page's script would fill in when its sign-on button is clicked."""
    return {k: v for k, v in _SCRIPT_PRESSED.items() if form.has_field(k) and not form.fields.get(k)}


def _has_saml_response(page: BeautifulSoup) -> bool:
    from ..parsers.adfs import find_saml_response

    return find_saml_response(page) is not None


def _is_second_factor(response: requests.Response) -> bool:
    from ..mfa.pages import read_mfa_page

    return read_mfa_page(response) is not None


def _auto_post_form(page: BeautifulSoup, forms: list[HtmlForm]) -> HtmlForm | None:
    """The form a browser would post by itself: the page's one form with nothing to fill in, submitted on load.

    Other forms on the page (a search box, a language chooser) have inputs, so they are not candidates.
    """
    candidates = [f for f in forms if f.only_hidden_fields() and f.method == "post"]
    if len(candidates) != 1:
        return None
    scripts = " ".join(tag.get_text() for tag in page.find_all("script"))
    onload = str(page.body.get("onload") or "") if page.body is not None else ""
    submits_itself = ".submit()" in scripts or "submit" in onload.lower() or page.find("noscript") is not None
    return candidates[0] if submits_itself else None
