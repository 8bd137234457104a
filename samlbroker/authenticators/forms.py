"""The AD FS forms sign-in: GET the sign-in page, post back its own fields with the user's name and password."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import AuthenticationFailedError
from .base import Authenticator
from .html import HtmlForm, find_form

if TYPE_CHECKING:
    import requests

    from ..identity import UserCredentials


def _is_adfs_login_form(form: HtmlForm) -> bool:
    return form.has_field("UserName") and form.has_field("Password")


class AdfsFormsAuthenticator(Authenticator):
    """AD FS's ``loginForm`` (UserName, Password, AuthMethod=FormsAuthentication), hidden fields and Kmsi kept."""

    name = "forms"

    def authenticate(
        self, session: requests.Session, endpoint: str, credentials: UserCredentials | None
    ) -> requests.Response:
        if credentials is None:
            raise AuthenticationFailedError("forms sign-in needs a user name and password: give --user")
        page = session.get(endpoint)
        form = find_form(page.text, page.url, _is_adfs_login_form)
        if form is None:
            # No sign-in page: the IdP answered with its result already (a live session), or an error page.
            return page
        updates = {"UserName": credentials.username, "Password": credentials.password}
        if not form.fields.get("AuthMethod"):
            updates["AuthMethod"] = "FormsAuthentication"
        return form.submit(session, updates)
