"""The page shapes real IdPs show between the first GET and the SAMLResponse, with ``auth_type = forms``.

Lab switches (``IdPVariant``): ``home_realms`` (AD FS home realm discovery), ``identifier_first`` (the
PingFederate-style user-name page first), ``first_page`` (a meta refresh or an auto-submitting page before
the login) and ``extra_forms`` (a search form and a language chooser around the login form).
"""

from __future__ import annotations

import pytest

from samlbroker import SAMLAuthenticationController, UserCredentials
from samlbroker.authenticators.forms import AdfsFormsAuthenticator
from samlbroker.errors import AuthenticationFailedError, ConfigError
from samlbroker.lab.pages import INCORRECT
from samlbroker.lab.pingfed import PING_INCORRECT
from samlbroker.lab.variant import AD_REALM, ADFS_PAGES, PARTNER_REALM, IdPVariant

REALMS = (AD_REALM, PARTNER_REALM)


def _login(lab, url: str, who: UserCredentials, **options):
    controller = SAMLAuthenticationController(
        authenticator=AdfsFormsAuthenticator(**options), verify=str(lab.ca_file)
    )
    return controller.get_saml_assertion(url, who, "forms")


def _outcomes(idp) -> list[tuple[str, str]]:
    return [(e["scheme"], e["outcome"]) for e in idp.stats()["events"]]


# --- AD FS home realm discovery -----------------------------------------------------------------------


@pytest.mark.parametrize("page", ADFS_PAGES)
def test_home_realm_discovery_picks_active_directory_by_default(lab, idp, password, page: str) -> None:
    idp.variant = IdPVariant(adfs_page=page, home_realms=REALMS)
    assertion = _login(lab, lab.signon_url, UserCredentials("alice@lab.example", password("alice")))
    assert "ReadOnly" in assertion.roles
    assert _outcomes(idp) == [("hrd", "selected"), ("forms", "success")]
    assert idp.stats()["events"][0]["provider"] == "AD AUTHORITY"


@pytest.mark.parametrize("wanted", [PARTNER_REALM[0], PARTNER_REALM[1], PARTNER_REALM[1].upper()])
def test_the_endpoint_can_name_another_claims_provider(lab, idp, password, wanted: str) -> None:
    idp.variant = IdPVariant(home_realms=REALMS)
    assertion = _login(lab, lab.signon_url, UserCredentials("alice", password("alice")), home_realm=wanted)
    assert "ReadOnly" in assertion.roles
    assert _outcomes(idp) == [("hrd", "selected"), ("shibboleth", "success")]
    assert idp.stats()["events"][0]["provider"] == PARTNER_REALM[0]


def test_without_active_directory_on_offer_the_error_lists_the_providers(lab, idp, password) -> None:
    idp.variant = IdPVariant(home_realms=(PARTNER_REALM, ("urn:federation:other", "Other Org")))
    with pytest.raises(ConfigError) as failure:
        _login(lab, lab.signon_url, UserCredentials("alice", password("alice")))
    message = str(failure.value)
    assert "Active Directory (AD AUTHORITY)" in message and "adfs_home_realm" in message
    assert (
        f"{PARTNER_REALM[1]} ({PARTNER_REALM[0]})" in message
        and "Other Org (urn:federation:other)" in message
    )
    assert "\n" not in message
    assert _outcomes(idp) == []  # nothing chosen, no password posted


def test_an_unknown_adfs_home_realm_is_a_clear_error(lab, idp, password) -> None:
    idp.variant = IdPVariant(home_realms=REALMS)
    with pytest.raises(ConfigError, match=r"adfs_home_realm = Elsewhere; it offers: Active Directory"):
        _login(lab, lab.signon_url, UserCredentials("alice", password("alice")), home_realm="Elsewhere")
    assert _outcomes(idp) == []


def test_a_wrong_password_after_the_realm_choice_is_posted_once(lab, idp) -> None:
    idp.variant = IdPVariant(adfs_page="2019", home_realms=REALMS)
    with pytest.raises(AuthenticationFailedError, match="Incorrect user ID or password"):
        _login(lab, lab.signon_url, UserCredentials("LAB\\alice", "guess"))
    assert _outcomes(idp) == [("hrd", "selected"), ("forms", "bad_password")]
    assert idp.stats()["failed_attempts"] == {"alice": 1}


def test_adfs_home_realm_in_the_config_reaches_the_login(lab, idp, password, cli_env, aws_home) -> None:
    from cli_runner import run_cli

    idp.variant = IdPVariant(home_realms=REALMS)
    (aws_home / ".aws" / "config").write_text(
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = forms\nca_bundle = {lab.ca_file}\n"
        f"adfs_home_realm = {PARTNER_REALM[1]}\n\n"
        "[profile lab-ro]\nsaml_endpoint = lab\nsaml_role_arn = arn:aws:iam::111122223333:role/ReadOnly\n"
        "saml_user = alice\n"
    )
    result = run_cli(
        cli_env, "login", "--profile", "lab-ro", "--password-stdin", stdin=password("alice") + "\n"
    )
    assert result.returncode == 0, result.stderr
    assert _outcomes(idp)[-2:] == [("hrd", "selected"), ("shibboleth", "success")]


# --- user name first, then the password (PingFederate's identifier-first adapter) -----------------------


@pytest.mark.parametrize("mode", ["off", "prefilled", "password-only"])
def test_pingfederate_login_with_and_without_a_user_name_page(lab, idp, password, mode: str) -> None:
    idp.variant = IdPVariant(identifier_first=mode)
    assertion = _login(lab, lab.pingfederate_url, UserCredentials("alice", password("alice")))
    assert "ReadOnly" in assertion.roles
    expected = [("pingfederate", "success")]
    assert _outcomes(idp) == ([] if mode == "off" else [("pingfederate", "identifier")]) + expected


@pytest.mark.parametrize("mode", ["off", "prefilled", "password-only"])
def test_pingfederate_wrong_password_is_posted_once_in_its_words(lab, idp, mode: str) -> None:
    idp.variant = IdPVariant(identifier_first=mode)
    with pytest.raises(AuthenticationFailedError) as failure:
        _login(lab, lab.pingfederate_url, UserCredentials("alice", "guess"))
    assert failure.value.idp_message == PING_INCORRECT
    assert idp.stats()["failed_attempts"] == {"alice": 1}
    assert _outcomes(idp)[-1] == ("pingfederate", "bad_password")


# --- a first page before the login, and other forms around it --------------------------------------------

ENDPOINTS = ["signon_url", "shibboleth_url", "pingfederate_url"]


@pytest.mark.parametrize("extra_forms", [False, True], ids=["alone", "with-other-forms"])
@pytest.mark.parametrize("first_page", ["meta-refresh", "auto-post"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_first_page_before_the_login_is_followed(
    lab, idp, password, endpoint: str, first_page: str, extra_forms: bool
) -> None:
    idp.variant = IdPVariant(first_page=first_page, extra_forms=extra_forms)
    assertion = _login(lab, getattr(lab, endpoint), UserCredentials("alice", password("alice")))
    assert "ReadOnly" in assertion.roles
    assert [outcome for _, outcome in _outcomes(idp)] == ["success"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_login_form_is_found_among_other_forms(lab, idp, password, endpoint: str) -> None:
    idp.variant = IdPVariant(extra_forms=True, identifier_first="password-only")
    assertion = _login(lab, getattr(lab, endpoint), UserCredentials("alice", password("alice")))
    assert "ReadOnly" in assertion.roles
    assert _outcomes(idp)[-1][1] == "success"


def test_among_other_forms_a_wrong_password_is_still_posted_once(lab, idp) -> None:
    idp.variant = IdPVariant(extra_forms=True, first_page="auto-post", home_realms=REALMS)
    with pytest.raises(AuthenticationFailedError, match=INCORRECT.split(".")[0]):
        _login(lab, lab.signon_url, UserCredentials("alice", "guess"))
    assert idp.stats()["failed_attempts"] == {"alice": 1}


# --- the Shibboleth IdP's attribute-release consent ------------------------------------------------------


def test_shibboleth_consent_without_opting_in_is_a_clear_error(lab, idp, password) -> None:
    idp.variant = IdPVariant(shibboleth_consent=True)
    with pytest.raises(ConfigError) as failure:
        _login(lab, lab.shibboleth_url, UserCredentials("alice", password("alice")))
    assert "Shibboleth" in str(failure.value) and "forms_accept_consent = yes" in str(failure.value)
    assert _outcomes(idp) == [("shibboleth", "success")]  # the password once; no answer to the question


def test_shibboleth_consent_opted_in_is_accepted_for_this_sign_in_only(lab, idp, password) -> None:
    idp.variant = IdPVariant(shibboleth_consent=True, extra_forms=True)
    assertion = _login(
        lab, lab.shibboleth_url, UserCredentials("alice", password("alice")), accept_consent=True
    )
    assert "ReadOnly" in assertion.roles
    assert _outcomes(idp) == [("shibboleth", "success"), ("shibboleth", "consent")]
    assert idp.stats()["events"][1]["option"] == "_shib_idp_doNotRememberConsent"


def test_a_partner_chosen_on_the_realm_page_that_asks_consent(lab, idp, password) -> None:
    idp.variant = IdPVariant(home_realms=REALMS, shibboleth_consent=True)
    assertion = _login(
        lab,
        lab.signon_url,
        UserCredentials("alice", password("alice")),
        home_realm=PARTNER_REALM[1],
        accept_consent=True,
    )
    assert "ReadOnly" in assertion.roles
    assert [o for _, o in _outcomes(idp)] == ["selected", "success", "consent"]
