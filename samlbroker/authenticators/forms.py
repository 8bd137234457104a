"""The forms sign-in: AD FS's sign-in page or any plain IdP login form (SimpleSAMLphp, Shibboleth, ...).

GET the sign-on URL; on the page, find the form with one password input and one user input and post it
back with its own hidden fields; follow redirects and auto-post forms until the SAMLResponse. The password
is posted once: when the sign-in form comes back, the parser reports the IdP's own words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import AuthenticationFailedError, SAMLResponseError
from .base import Authenticator
from .html import HtmlForm, read_forms

if TYPE_CHECKING:
    import requests
    from bs4 import BeautifulSoup

    from ..identity import UserCredentials

MAX_PAGES = 12  # sign-in page, auto-post hops and the answer; a loop beyond this is the IdP's


class AdfsFormsAuthenticator(Authenticator):
    """Signs in on the IdP's login form (AD FS: UserName, Password, AuthMethod=FormsAuthentication)."""

    name = "forms"

    def authenticate(
        self, session: requests.Session, endpoint: str, credentials: UserCredentials | None
    ) -> requests.Response:
        if credentials is None:
            raise AuthenticationFailedError("forms sign-in needs a user name and password: give --user")
        response = session.get(endpoint)
        posted = False
        for _ in range(MAX_PAGES):
            page = _parse(response.text)
            if _has_saml_response(page):
                return response
            forms = read_forms(page, response.url)
            login = next((f for f in forms if f.login_fields() is not None), None)
            if login is not None:
                if posted:
                    return response  # the form again: the parser gives the IdP's reason, no second try
                response = login.submit(session, _sign_in_fields(login, credentials), press_button=True)
                posted = True
                continue
            if not posted and _has_password_input(page):
                raise SAMLResponseError(
                    f"the sign-in page at {response.url.split('?', 1)[0]} has no form with one user name "
                    "and one password field; an authenticator plugin may know this IdP"
                )
            onward = _auto_post_form(page, forms, response)
            if onward is None:
                return response  # an answer, an error page or a second-factor page: the caller reads it
            response = onward.submit(session, {})
        raise SAMLResponseError(f"the IdP sent more than {MAX_PAGES} pages without a SAMLResponse")


def _parse(html: str) -> BeautifulSoup:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")


def _sign_in_fields(form: HtmlForm, credentials: UserCredentials) -> dict[str, str]:
    fields = form.login_fields()
    assert fields is not None
    user_field, password_field = fields
    updates = {user_field: credentials.username, password_field: credentials.password}
    if form.has_field("AuthMethod") and not form.fields.get("AuthMethod"):
        updates["AuthMethod"] = "FormsAuthentication"  # AD FS: the forms option when several are offered
    return updates


def _has_saml_response(page: BeautifulSoup) -> bool:
    return any(
        str(tag.get("name") or "").strip().lower() == "samlresponse"
        for tag in page.find_all(["input", "textarea"])
    )


def _has_password_input(page: BeautifulSoup) -> bool:
    return any(str(tag.get("type") or "").strip().lower() == "password" for tag in page.find_all("input"))


def _auto_post_form(
    page: BeautifulSoup, forms: list[HtmlForm], response: requests.Response
) -> HtmlForm | None:
    """The form a browser would post by itself: nothing to fill in, and the page submits it on load."""
    from ..mfa.pages import read_mfa_page

    if len(forms) != 1 or not forms[0].only_hidden_fields() or forms[0].method != "post":
        return None
    scripts = " ".join(tag.get_text() for tag in page.find_all("script"))
    onload = str(page.body.get("onload") or "") if page.body is not None else ""
    submits_itself = ".submit()" in scripts or "submit" in onload.lower() or page.find("noscript") is not None
    if not submits_itself or read_mfa_page(response) is not None:
        return None
    return forms[0]
