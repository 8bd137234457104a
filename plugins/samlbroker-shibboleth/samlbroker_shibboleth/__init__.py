"""Shibboleth IdP forms sign-in for samlbroker, written against samlbroker's public plugin API only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from samlbroker.authenticators.base import Authenticator
from samlbroker.authenticators.html import HtmlForm, find_form
from samlbroker.errors import AuthenticationFailedError

if TYPE_CHECKING:
    import requests

    from samlbroker.identity import UserCredentials


def _is_login_form(form: HtmlForm) -> bool:
    return form.has_field("j_username") and form.has_field("j_password")


class ShibbolethFormsAuthenticator(Authenticator):
    """Shibboleth IdP v3+/v4 login page: ``j_username``, ``j_password``, the ``_eventId_proceed`` button."""

    name = "shibboleth"

    def authenticate(
        self, session: requests.Session, endpoint: str, credentials: UserCredentials | None
    ) -> requests.Response:
        if credentials is None:
            raise AuthenticationFailedError("Shibboleth sign-in needs a user name and password: give --user")
        page = session.get(endpoint)
        form = find_form(page.text, page.url, _is_login_form)
        if form is None:
            return page  # an existing session answered with the SAML response, or an error page
        return form.submit(
            session,
            {"j_username": credentials.account, "j_password": credentials.password, "_eventId_proceed": ""},
        )
