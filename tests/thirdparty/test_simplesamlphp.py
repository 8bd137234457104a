"""``auth_type = forms`` against SimpleSAMLphp 1.19, a real SAML IdP written elsewhere, to lab STS credentials."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
from cli_runner import run_cli
from simplesamlphp import PROVIDER_ARN, WRONG_PASSWORD_TITLE

from samlbroker import SAMLAuthenticationController, UserCredentials
from samlbroker.errors import AuthenticationFailedError, SignatureError
from samlbroker.parsers.adfs import AdfsResponseParser

DEVELOPER = "arn:aws:iam::111122223333:role/Developer"


def _sign_in(idp, user: str, password: str, trusted_certs: str | None = None):
    controller = SAMLAuthenticationController(
        parser=AdfsResponseParser(trusted_certs=trusted_certs), verify=str(idp.ca_file)
    )
    return controller.get_saml_assertion(idp.signon_url, UserCredentials(user, password), "forms")


def _failed_logins(idp) -> int:
    """SimpleSAMLphp's own count of rejected passwords, from its log."""
    return idp.log_file.read_text().count("Unsuccessful login attempt")


def test_forms_login_reads_the_roles_simplesamlphp_grants(simplesamlphp) -> None:
    alice = simplesamlphp.users["alice"]
    assertion = _sign_in(simplesamlphp, "alice", alice.password)
    assert {pair.role_arn for pair in assertion.roles.values()} == set(alice.roles)
    assert {pair.principal_arn for pair in assertion.roles.values()} == {PROVIDER_ARN}


def test_the_roles_reach_the_lab_sts(simplesamlphp, lab, aws_home) -> None:
    bob = simplesamlphp.users["bob"]
    assertion = _sign_in(simplesamlphp, "bob", bob.password, trusted_certs=simplesamlphp.signing_cert_pem)
    credentials = assertion.get_role_credentials()
    session = lab.sts.session_for(credentials.access_key_id, credentials.session_token)
    assert session is not None
    assert (session.role_arn, session.principal_arn) == (bob.roles[0], PROVIDER_ARN)
    assert session.session_name == bob.session_name


def test_assertion_verifies_against_its_signing_certificate_only(simplesamlphp, lab) -> None:
    alice = simplesamlphp.users["alice"]
    verified = _sign_in(simplesamlphp, "alice", alice.password, trusted_certs=simplesamlphp.signing_cert_pem)
    assert len(verified.roles) == 2
    with pytest.raises(SignatureError):
        _sign_in(simplesamlphp, "alice", alice.password, trusted_certs=lab.signing_cert_pem)


def test_wrong_password_gives_simplesamlphps_own_words_after_one_attempt(simplesamlphp) -> None:
    before = _failed_logins(simplesamlphp)
    with pytest.raises(AuthenticationFailedError) as failure:
        _sign_in(simplesamlphp, "alice", "not-her-password")
    assert failure.value.idp_message and WRONG_PASSWORD_TITLE in failure.value.idp_message
    assert WRONG_PASSWORD_TITLE in str(failure.value)
    assert "not-her-password" not in str(failure.value)
    assert _failed_logins(simplesamlphp) == before + 1


def _profile(aws_home: Path, idp, cert_file: Path) -> None:
    (aws_home / ".aws" / "config").write_text(
        f"[saml-endpoint ssp]\nurl = {idp.signon_url}\nauth_type = forms\nca_bundle = {idp.ca_file}\n"
        f"trusted_certs = {cert_file}\n\n"
        f"[profile ssp-dev]\nsaml_endpoint = ssp\nsaml_role_arn = {DEVELOPER}\nsaml_user = alice\n"
    )


def test_cli_login_stores_lab_sts_credentials(simplesamlphp, lab, cli_env, aws_home, tmp_path) -> None:
    cert = tmp_path / "simplesamlphp.crt"
    cert.write_text(simplesamlphp.signing_cert_pem)
    _profile(aws_home, simplesamlphp, cert)
    password = simplesamlphp.users["alice"].password
    result = run_cli(cli_env, "login", "--profile", "ssp-dev", "--password-stdin", stdin=password + "\n")
    assert result.returncode == 0, result.stderr
    stored = configparser.ConfigParser()
    stored.read(aws_home / ".aws" / "credentials")
    key = stored["ssp-dev"]["aws_access_key_id"]
    session = lab.sts.session_for(key)
    assert session is not None and session.role_arn == DEVELOPER
    assert password not in result.stderr + result.stdout


def test_cli_wrong_password_is_one_line_in_the_idps_words(simplesamlphp, cli_env, aws_home, tmp_path) -> None:
    cert = tmp_path / "simplesamlphp.crt"
    cert.write_text(simplesamlphp.signing_cert_pem)
    _profile(aws_home, simplesamlphp, cert)
    before = _failed_logins(simplesamlphp)
    result = run_cli(cli_env, "login", "--profile", "ssp-dev", "--password-stdin", stdin="wrong-guess\n")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("samlbroker: "), result.stderr
    assert WRONG_PASSWORD_TITLE in lines[0]
    assert "wrong-guess" not in result.stderr + result.stdout
    assert not (aws_home / ".aws" / "credentials").exists()
    assert _failed_logins(simplesamlphp) == before + 1
