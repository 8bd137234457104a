"""SimpleSAMLphp's ``consent:Consent`` page ("Do you want to send these attributes?") with ``auth_type = forms``.

The consent is the user's to give: samlbroker says yes only when the endpoint says so
(``forms_accept_consent = yes``); otherwise the login stops with a one-line error saying how to agree.
"""

from __future__ import annotations

import configparser

import pytest
from cli_runner import run_cli
from simplesamlphp import CONSENT_PROVIDER_ARN

from samlbroker import SAMLAuthenticationController, UserCredentials
from samlbroker.authenticators.forms import AdfsFormsAuthenticator
from samlbroker.authenticators.html import read_forms
from samlbroker.errors import ConfigError
from samlbroker.http import BrokerSession
from samlbroker.parsers.adfs import AdfsResponseParser

DEVELOPER = "arn:aws:iam::111122223333:role/Developer"


def _sign_in(idp, user: str, accept_consent: bool):
    controller = SAMLAuthenticationController(
        authenticator=AdfsFormsAuthenticator(accept_consent=accept_consent),
        parser=AdfsResponseParser(trusted_certs=idp.signing_cert_pem),
        verify=str(idp.ca_file),
    )
    return controller.get_saml_assertion(idp.signon_url, UserCredentials(user, idp.users[user].password))


def _consents_given(idp, remembered: bool = False) -> int:
    """SimpleSAMLphp's own record of a yes on its consent page, remembered or not (its statistics log)."""
    word = "consentResponse remember" if remembered else "consentResponse rememberNot"
    return sum(line.rstrip().endswith(word) for line in idp.log_file.read_text().splitlines())


def test_the_fixture_asks_for_consent_after_the_password(simplesamlphp_consent) -> None:
    """What the fixture proves: a browser-like client that posts the password lands on the consent page."""
    session = BrokerSession(verify=str(simplesamlphp_consent.ca_file), timeout=10)
    page = session.get(simplesamlphp_consent.signon_url)
    (login,) = [f for f in read_forms(page.text, page.url) if f.login_fields()]
    alice = simplesamlphp_consent.users["alice"]
    answer = login.submit(session, {"username": "alice", "password": alice.password})
    assert "consent/getconsent.php" in answer.text and 'name="yes"' in answer.text
    assert "SAMLResponse" not in answer.text


def test_without_opting_in_the_consent_is_a_clear_error(simplesamlphp_consent) -> None:
    before = _consents_given(simplesamlphp_consent)
    with pytest.raises(ConfigError) as failure:
        _sign_in(simplesamlphp_consent, "alice", accept_consent=False)
    message = str(failure.value)
    assert "forms_accept_consent = yes" in message and "consent" in message
    assert "\n" not in message and simplesamlphp_consent.users["alice"].password not in message
    assert _consents_given(simplesamlphp_consent) == before


def test_opted_in_the_consent_is_given_once_not_remembered_and_the_roles_arrive(
    simplesamlphp_consent, lab, aws_home
) -> None:
    before = _consents_given(simplesamlphp_consent)
    bob = simplesamlphp_consent.users["bob"]
    assertion = _sign_in(simplesamlphp_consent, "bob", accept_consent=True)
    assert {pair.role_arn for pair in assertion.roles.values()} == set(bob.roles)
    assert _consents_given(simplesamlphp_consent) == before + 1
    assert _consents_given(simplesamlphp_consent, remembered=True) == 0  # the ticked box was not sent
    credentials = assertion.get_role_credentials()
    session = lab.sts.session_for(credentials.access_key_id, credentials.session_token)
    assert session is not None and session.principal_arn == CONSENT_PROVIDER_ARN


def _profile(aws_home, idp, cert_file, accept: str | None) -> None:
    line = f"forms_accept_consent = {accept}\n" if accept is not None else ""
    (aws_home / ".aws" / "config").write_text(
        f"[saml-endpoint ssp]\nurl = {idp.signon_url}\nauth_type = forms\nca_bundle = {idp.ca_file}\n"
        f"trusted_certs = {cert_file}\n{line}\n"
        f"[profile ssp-dev]\nsaml_endpoint = ssp\nsaml_role_arn = {DEVELOPER}\nsaml_user = alice\n"
    )


@pytest.mark.parametrize("accept", [None, "no"])
def test_cli_without_the_key_fails_in_one_line_and_writes_nothing(
    simplesamlphp_consent, cli_env, aws_home, tmp_path, accept
) -> None:
    cert = tmp_path / "ssp.crt"
    cert.write_text(simplesamlphp_consent.signing_cert_pem)
    _profile(aws_home, simplesamlphp_consent, cert, accept)
    password = simplesamlphp_consent.users["alice"].password
    result = run_cli(cli_env, "login", "--profile", "ssp-dev", "--password-stdin", stdin=password + "\n")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "forms_accept_consent = yes" in lines[0], result.stderr
    assert password not in result.stderr + result.stdout
    assert not (aws_home / ".aws" / "credentials").exists()


def test_cli_with_forms_accept_consent_logs_in(
    simplesamlphp_consent, lab, cli_env, aws_home, tmp_path
) -> None:
    cert = tmp_path / "ssp.crt"
    cert.write_text(simplesamlphp_consent.signing_cert_pem)
    _profile(aws_home, simplesamlphp_consent, cert, "yes")
    password = simplesamlphp_consent.users["alice"].password
    result = run_cli(cli_env, "login", "--profile", "ssp-dev", "--password-stdin", stdin=password + "\n")
    assert result.returncode == 0, result.stderr
    stored = configparser.ConfigParser()
    stored.read(aws_home / ".aws" / "credentials")
    session = lab.sts.session_for(stored["ssp-dev"]["aws_access_key_id"])
    assert session is not None and session.role_arn == DEVELOPER
