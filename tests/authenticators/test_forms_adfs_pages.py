"""The same forms login across the AD FS sign-in pages deployments serve (lab switch ``IdPVariant.adfs_page``)."""

from __future__ import annotations

import pytest
import requests
from bs4 import BeautifulSoup

from samlbroker import SAMLAuthenticationController, UserCredentials
from samlbroker.errors import AuthenticationFailedError
from samlbroker.lab.variant import ADFS_PAGES, IdPVariant

EXTRA = (("RedirectToIdentityProvider", "AD AUTHORITY"), ("wa", "wsignin1.0"))
SHAPES = {
    "own-path": {},
    "relative-action": {"relative_form_action": True},
    "extra-query": {"extra_query": EXTRA},
}
VARIANTS = [
    pytest.param(IdPVariant(adfs_page=page, **shape), id=f"{page}-{name}")
    for page in ADFS_PAGES
    for name, shape in SHAPES.items()
]


def _login(lab, who: UserCredentials):
    return SAMLAuthenticationController(verify=str(lab.ca_file)).get_saml_assertion(
        lab.signon_url, who, "forms"
    )


def _sign_in_form(lab):
    page = requests.get(lab.signon_url, verify=str(lab.ca_file), timeout=10)
    return BeautifulSoup(page.text, "html.parser").find("form", id="loginForm")


@pytest.mark.parametrize("variant", VARIANTS)
def test_forms_login_on_each_adfs_page(lab, idp, password, variant: IdPVariant) -> None:
    idp.variant = variant
    form = _sign_in_form(lab)
    action = form["action"]
    assert action.startswith("?") == variant.relative_form_action
    assert all(f"{k}=" in action for k, _ in variant.extra_query)
    assert len(form.find_all("input", attrs={"name": "UserName"})) == 1
    holder = form.find_parent("body").find("input", id="userNameInputOptionsHolder")
    assert (holder is not None) == (variant.adfs_page in ("2019", "2022"))
    assert (form.find(id="errorText").name == "label") == (variant.adfs_page == "2012r2")

    assertion = _login(lab, UserCredentials("alice@lab.example", password("alice")))
    assert "ReadOnly" in assertion.roles
    outcomes = [(e["scheme"], e["outcome"]) for e in idp.stats()["events"]]
    assert outcomes == [("forms", "success")]


@pytest.mark.parametrize("variant", VARIANTS)
def test_wrong_password_on_each_adfs_page_is_posted_once(lab, idp, variant: IdPVariant) -> None:
    idp.variant = variant
    with pytest.raises(AuthenticationFailedError, match="Incorrect user ID or password"):
        _login(lab, UserCredentials("LAB\\alice", "guess"))
    assert idp.stats()["failed_attempts"] == {"alice": 1}


@pytest.mark.parametrize("page", ADFS_PAGES)
def test_a_client_posting_every_input_of_the_page_fails_from_2019_on(lab, idp, password, page: str) -> None:
    """What the switch models: AD FS 5.0's options form repeats UserName; AD FS refuses a duplicate post
    parameter with its error page (as saml2aws met it before its fix for issue #283)."""
    idp.variant = IdPVariant(adfs_page=page)
    session = requests.Session()
    sign_in = session.get(lab.signon_url, verify=str(lab.ca_file), timeout=10)
    soup = BeautifulSoup(sign_in.text, "html.parser")
    data = []
    for field in soup.find_all("input"):  # every input of the page, the way a naive scraper collects them
        kind, value = field.get("type"), field.get("value", "")
        if kind == "email":
            value = "alice@lab.example"
        elif kind == "password":
            value = password("alice")
        if kind != "checkbox" and field["name"] != "AuthMethod":
            data.append((field["name"], value))
    data.append(("AuthMethod", "FormsAuthentication"))
    action = requests.compat.urljoin(sign_in.url, soup.find("form", id="loginForm")["action"])
    answer = session.post(action, data=data, verify=str(lab.ca_file), timeout=10)
    outcomes = [e["outcome"] for e in idp.stats()["events"]]
    if page in ("2019", "2022"):
        assert "An error occurred" in answer.text and "SAMLResponse" not in answer.text
        assert outcomes == ["duplicate_parameter"]
    else:
        assert "SAMLResponse" in answer.text
        assert outcomes == ["success"]
