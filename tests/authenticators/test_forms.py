"""The AD FS forms sign-in against the lab's sign-in page."""

from __future__ import annotations

import pytest
import requests

from samlbroker import SAMLAuthenticationController, UserCredentials
from samlbroker.authenticators.forms import AdfsFormsAuthenticator
from samlbroker.authenticators.html import find_form
from samlbroker.errors import AuthenticationFailedError, NoRolesError


def _login(lab, who: UserCredentials):
    return SAMLAuthenticationController(verify=str(lab.ca_file)).get_saml_assertion(
        lab.signon_url, who, "forms"
    )


def test_forms_login_posts_the_pages_own_fields(lab, idp, password) -> None:
    assertion = _login(lab, UserCredentials("alice@lab.example", password("alice")))
    assert "ReadOnly" in assertion.roles
    page = requests.get(lab.signon_url, verify=str(lab.ca_file), timeout=10)
    form = find_form(page.text, page.url, lambda f: f.has_field("Password"))
    assert form is not None and form.fields.get("AuthMethod") == "FormsAuthentication"
    assert idp.stats()["requests"] == 3 + 1


def test_wrong_forms_password_carries_the_idps_own_words(lab, idp) -> None:
    with pytest.raises(AuthenticationFailedError, match="Incorrect user ID or password") as failure:
        _login(lab, UserCredentials("LAB\\alice", "guess"))
    assert failure.value.idp_message and "Incorrect user ID" in failure.value.idp_message
    assert "guess" not in str(failure.value)
    assert idp.stats()["failed_attempts"] == {"alice": 1}


def test_disabled_account_message_comes_through(lab, idp, password) -> None:
    with pytest.raises(AuthenticationFailedError, match="disabled"):
        _login(lab, UserCredentials("LAB\\carol", password("carol")))


def test_user_without_roles_is_a_no_roles_error_from_the_login(lab, idp, password) -> None:
    with pytest.raises(NoRolesError, match=r"grants no AWS role to LAB\\dave: it has no Role attribute"):
        _login(lab, UserCredentials("LAB\\dave", password("dave")))


def test_forms_without_credentials_is_a_clear_error(lab) -> None:
    with pytest.raises(AuthenticationFailedError, match="needs a user name and password"):
        _login(lab, None)


def test_forms_authenticator_is_usable_directly(lab, password) -> None:
    controller = SAMLAuthenticationController(authenticator=AdfsFormsAuthenticator(), verify=str(lab.ca_file))
    assertion = controller.get_saml_assertion(lab.signon_url, UserCredentials("bob", password("bob")))
    assert list(assertion.roles) == ["ReadOnly"]
