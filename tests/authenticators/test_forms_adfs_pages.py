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
    assert len(form.find_all("input", attrs={"name": "UserName"})) == (
        2 if variant.adfs_page in ("2019", "2022") else 1
    )
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


def test_posting_the_2019_pages_hidden_user_name_too_fails_as_aspnet_reads_it(lab, idp, password) -> None:
    """What the switch models: ASP.NET joins a repeated field's values, so 'alice,' is nobody."""
    idp.variant = IdPVariant(adfs_page="2019")
    session = requests.Session()
    page = session.get(lab.signon_url, verify=str(lab.ca_file), timeout=10)
    form = BeautifulSoup(page.text, "html.parser").find("form", id="loginForm")
    data = []
    for field in form.find_all("input"):
        kind, value = field.get("type"), field.get("value", "")
        if kind == "email":
            value = "alice@lab.example"  # typed into the visible UserName; the hidden one stays empty
        elif kind == "password":
            value = password("alice")
        if kind != "checkbox":
            data.append((field["name"], value))
    assert [n for n, _ in data].count("UserName") == 2
    answer = session.post(
        requests.compat.urljoin(page.url, form["action"]), data=data, verify=str(lab.ca_file)
    )
    assert "Incorrect user ID or password" in answer.text
    assert "SAMLResponse" not in answer.text
