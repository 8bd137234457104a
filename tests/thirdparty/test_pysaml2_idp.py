"""``auth_type = forms`` against pysaml2's IdP (``saml2.server.Server``, a second SAML IdP written elsewhere):
the response shapes real IdPs produce, signature checks with ``trusted_certs``, and the lab STS."""

from __future__ import annotations

import base64
import configparser

import pytest
from cli_runner import run_cli
from pysaml2_idp import PROVIDER_ARN, WRONG_PASSWORD, ResponseShape

from samlbroker import SAMLAssertion, SAMLAuthenticationController, UserCredentials
from samlbroker.errors import AuthenticationFailedError, SAMLResponseError, SignatureError
from samlbroker.parsers.adfs import AdfsResponseParser

SIGNED = ("response", "assertion", "both")
# Each signing variant, and the attribute encodings and NameFormats IdPs send (pysaml2 types values by default).
SHAPES = [
    *(ResponseShape(signed=signed) for signed in SIGNED),
    *(ResponseShape(signed=signed, typed_values=False) for signed in SIGNED),
    ResponseShape(signed="assertion", name_format="basic"),
    ResponseShape(signed="response", name_format="unspecified", typed_values=False),
    ResponseShape(signed="both", name_format="basic", typed_values=False),
]


def _shape_id(shape: ResponseShape) -> str:
    typed = "typed" if shape.typed_values else "untyped"
    return f"{shape.signed}-{shape.algorithm}-{typed}-{shape.name_format}" + (
        "-encrypted" if shape.encrypted else ""
    )


def _sign_in(idp, user: str, shape: ResponseShape, trusted_certs: str | None = None) -> SAMLAssertion:
    controller = SAMLAuthenticationController(
        parser=AdfsResponseParser(trusted_certs=trusted_certs), verify=str(idp.ca_file)
    )
    password = idp.users[user].password
    return controller.get_saml_assertion(idp.signon_url(shape), UserCredentials(user, password), "forms")


def test_forms_login_reads_the_roles_pysaml2_grants(pysaml2_idp) -> None:
    carol = pysaml2_idp.users["carol"]
    issued = pysaml2_idp.issued
    assertion = _sign_in(pysaml2_idp, "carol", ResponseShape())
    assert pysaml2_idp.issued == issued + 1
    assert {pair.role_arn for pair in assertion.roles.values()} == set(carol.roles)
    assert {pair.principal_arn for pair in assertion.roles.values()} == {PROVIDER_ARN}
    assert assertion.issuer == pysaml2_idp.entity_id
    assert assertion.role_session_name == carol.session_name
    assert not assertion.signature_verified


def test_the_roles_reach_the_lab_sts(pysaml2_idp, lab, aws_home) -> None:
    dave = pysaml2_idp.users["dave"]
    assertion = _sign_in(pysaml2_idp, "dave", ResponseShape(), trusted_certs=pysaml2_idp.signing_cert_pem)
    assert assertion.session_duration == dave.session_duration
    credentials = assertion.get_role_credentials()
    session = lab.sts.session_for(credentials.access_key_id, credentials.session_token)
    assert session is not None
    assert (session.role_arn, session.principal_arn) == (dave.roles[0], PROVIDER_ARN)
    assert session.session_name == dave.session_name


@pytest.mark.parametrize("shape", SHAPES, ids=_shape_id)
def test_each_response_shape_verifies_and_reaches_the_lab_sts(pysaml2_idp, lab, aws_home, shape) -> None:
    carol = pysaml2_idp.users["carol"]
    assertion = _sign_in(pysaml2_idp, "carol", shape, trusted_certs=pysaml2_idp.signing_cert_pem)
    assert assertion.signature_verified
    assert {pair.role_arn for pair in assertion.roles.values()} == set(carol.roles)
    assert assertion.role_session_name == carol.session_name
    assert assertion.session_duration == carol.session_duration
    credentials = assertion.get_role_credentials(role="ReadOnly")
    session = lab.sts.session_for(credentials.access_key_id, credentials.session_token)
    assert session is not None and session.role_arn == carol.roles[1]


@pytest.mark.parametrize("signed", SIGNED)
def test_a_wrong_certificate_is_refused(pysaml2_idp, lab, signed) -> None:
    with pytest.raises(SignatureError) as failure:
        _sign_in(pysaml2_idp, "carol", ResponseShape(signed=signed), trusted_certs=lab.signing_cert_pem)
    assert "does not verify" in str(failure.value)
    assert "\n" not in str(failure.value)


def _tampered(assertion: SAMLAssertion, old: str, new: str) -> str:
    assert old in assertion.xml
    return base64.b64encode(assertion.xml.replace(old, new).encode("utf-8")).decode("ascii")


@pytest.mark.parametrize("signed", SIGNED)
def test_a_tampered_role_attribute_is_refused(pysaml2_idp, signed) -> None:
    dave = pysaml2_idp.users["dave"]
    genuine = _sign_in(pysaml2_idp, "dave", ResponseShape(signed=signed))
    forged = _tampered(genuine, dave.roles[0], "arn:aws:iam::111122223333:role/Admin")
    unverified = SAMLAssertion.from_base64(forged)  # it still parses: only the signature can tell
    assert unverified.roles["Admin"].role_arn.endswith("role/Admin")
    with pytest.raises(SignatureError):
        SAMLAssertion.from_base64(forged, trusted_certs=pysaml2_idp.signing_cert_pem)
    verified = SAMLAssertion.from_base64(genuine.base64, trusted_certs=pysaml2_idp.signing_cert_pem)
    assert {pair.role_arn for pair in verified.roles.values()} == set(dave.roles)


@pytest.mark.parametrize("signed", SIGNED)
def test_sha1_signatures_are_read_without_trusted_certs_and_refused_with_them(pysaml2_idp, signed) -> None:
    shape = ResponseShape(signed=signed, algorithm="sha1")
    unverified = _sign_in(pysaml2_idp, "dave", shape)  # AWS itself still accepts SHA-1
    assert unverified.roles["ReadOnly"].principal_arn == PROVIDER_ARN
    with pytest.raises(SignatureError) as failure:
        _sign_in(pysaml2_idp, "dave", shape, trusted_certs=pysaml2_idp.signing_cert_pem)
    message = str(failure.value)
    assert "SHA-1" in message and "SHA-256" in message, message
    assert "\n" not in message


def test_a_sha1_assertion_without_trusted_certs_reaches_the_lab_sts_as_aws_accepts_it(
    pysaml2_idp, lab, aws_home
):
    dave = pysaml2_idp.users["dave"]
    assertion = _sign_in(pysaml2_idp, "dave", ResponseShape(signed="both", algorithm="sha1"))
    assert "xmldsig#rsa-sha1" in assertion.xml
    credentials = assertion.get_role_credentials()
    session = lab.sts.session_for(credentials.access_key_id, credentials.session_token)
    assert session is not None and session.role_arn == dave.roles[0]


@pytest.mark.parametrize("signed", SIGNED)
def test_an_encrypted_assertion_is_one_clear_line_not_no_roles(pysaml2_idp, signed) -> None:
    shape = ResponseShape(signed=signed, encrypted=True)
    for trusted in (None, pysaml2_idp.signing_cert_pem):
        with pytest.raises(SAMLResponseError) as failure:
            _sign_in(pysaml2_idp, "carol", shape, trusted_certs=trusted)
        message = str(failure.value)
        assert "encrypted for the service provider" in message, message
        assert "\n" not in message


def test_cli_login_with_trusted_certs_stores_lab_sts_credentials(
    pysaml2_idp, lab, cli_env, aws_home, tmp_path
):
    cert = tmp_path / "pysaml2.crt"
    cert.write_text(pysaml2_idp.signing_cert_pem)
    shape = ResponseShape(signed="both", typed_values=False, name_format="basic")
    _profile(aws_home, pysaml2_idp.signon_url(shape), pysaml2_idp.ca_file, cert)
    password = pysaml2_idp.users["carol"].password
    result = run_cli(cli_env, "login", "--profile", "p2-dev", "--password-stdin", stdin=password + "\n")
    assert result.returncode == 0, result.stderr
    stored = configparser.ConfigParser()
    stored.read(aws_home / ".aws" / "credentials")
    session = lab.sts.session_for(stored["p2-dev"]["aws_access_key_id"])
    assert session is not None and session.role_arn == pysaml2_idp.users["carol"].roles[0]
    assert password not in result.stderr + result.stdout


def test_cli_encrypted_assertion_is_one_line_and_writes_nothing(pysaml2_idp, cli_env, aws_home, tmp_path):
    cert = tmp_path / "pysaml2.crt"
    cert.write_text(pysaml2_idp.signing_cert_pem)
    _profile(aws_home, pysaml2_idp.signon_url(ResponseShape(encrypted=True)), pysaml2_idp.ca_file, cert)
    password = pysaml2_idp.users["carol"].password
    result = run_cli(cli_env, "login", "--profile", "p2-dev", "--password-stdin", stdin=password + "\n")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("samlbroker: "), result.stderr
    assert "encrypted for the service provider" in lines[0]
    assert not (aws_home / ".aws" / "credentials").exists()


def test_wrong_password_gives_the_idps_words_after_one_attempt(pysaml2_idp) -> None:
    before = pysaml2_idp.failed_logins
    controller = SAMLAuthenticationController(verify=str(pysaml2_idp.ca_file))
    with pytest.raises(AuthenticationFailedError) as failure:
        controller.get_saml_assertion(
            pysaml2_idp.signon_url(), UserCredentials("carol", "not-her-password"), "forms"
        )
    assert WRONG_PASSWORD in str(failure.value)
    assert "not-her-password" not in str(failure.value)
    assert pysaml2_idp.failed_logins == before + 1


def test_tls_is_verified_against_the_ca_file(pysaml2_idp, tmp_path) -> None:
    from samlbroker.errors import IdPUnreachableError

    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_text(pysaml2_idp.signing_cert_pem)  # a certificate that did not issue the TLS one
    controller = SAMLAuthenticationController(verify=str(other_ca))
    with pytest.raises(IdPUnreachableError):
        controller.get_saml_assertion(
            pysaml2_idp.signon_url(), UserCredentials("carol", pysaml2_idp.users["carol"].password), "forms"
        )


def _profile(aws_home, url: str, ca_file, cert) -> None:
    (aws_home / ".aws" / "config").write_text(
        f"[saml-endpoint p2]\nurl = {url}\nauth_type = forms\nca_bundle = {ca_file}\ntrusted_certs = {cert}\n\n"
        "[profile p2-dev]\nsaml_endpoint = p2\nsaml_role_arn = arn:aws:iam::111122223333:role/Developer\n"
        "saml_user = carol\n"
    )
