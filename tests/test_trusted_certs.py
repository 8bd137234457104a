"""``trusted_certs`` end to end: a login from a config file verifies the IdP's signature, or refuses."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from samlbroker import FederatedCredentials, UserCredentials
from samlbroker.errors import SignatureError
from samlbroker.lab.saml import generate_signing_identity

DEVELOPER = "arn:aws:iam::111122223333:role/Developer"


def write_profile(aws_home: Path, lab: object, certs: Path) -> None:
    (aws_home / ".aws" / "config").write_text(
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = ntlm\nca_bundle = {lab.ca_file}\n"  # type: ignore[attr-defined]
        f"trusted_certs = {certs}\n\n"
        f"[profile alice]\nsaml_endpoint = lab\nsaml_role_arn = {DEVELOPER}\nsaml_user = LAB\\alice\n"
    )


@pytest.fixture
def alice(password):
    """The profile's callback: alice's password, counting the prompts."""
    asked: list[str] = []

    def answer(request) -> UserCredentials:
        asked.append(request.user_identity)
        return UserCredentials(request.user_identity, password("alice"))

    answer.asked = asked  # type: ignore[attr-defined]
    return answer


def _login(alice) -> object:
    return FederatedCredentials("alice", callback=alice, use_cache=False).get_credentials()


def test_the_idps_certificate_verifies_and_the_login_goes_on(aws_home, lab, idp, alice, tmp_path) -> None:
    certs = tmp_path / "idp-signing.pem"
    certs.write_text(lab.signing_cert_pem)
    write_profile(aws_home, lab, certs)
    creds = _login(alice)
    assert creds.access_key_id.startswith("ASIA")
    assert "assumed-role/Developer/" in (creds.assumed_role_arn or "")


def test_another_certificate_is_refused_before_sts(aws_home, lab, idp, alice, tmp_path) -> None:
    certs = tmp_path / "someone-else.pem"
    certs.write_text(generate_signing_identity("not-the-lab-idp")[1].decode())
    write_profile(aws_home, lab, certs)
    lab.sts.reset()
    with pytest.raises(SignatureError):
        _login(alice)
    assert alice.asked == ["LAB\\alice"]  # signed in once, then refused the answer: no retry
    assert lab.sts.calls_for("AssumeRoleWithSAML") == []  # refused here, never sent on


def test_a_tampered_response_is_refused(aws_home, lab, idp, alice, tmp_path, monkeypatch) -> None:
    certs = tmp_path / "idp-signing.pem"
    certs.write_text(lab.signing_cert_pem)
    write_profile(aws_home, lab, certs)
    signed = idp.saml_response

    def tampered(*args, **kwargs) -> str:
        """The IdP's signed answer with one role changed in transit (the signature left as it was)."""
        xml = base64.b64decode(signed(*args, **kwargs)).decode()
        assert "role/ReadOnly" in xml
        return base64.b64encode(xml.replace("role/ReadOnly", "role/Admin").encode()).decode()

    monkeypatch.setattr(idp, "saml_response", tampered)
    lab.sts.reset()
    with pytest.raises(SignatureError):
        _login(alice)
    assert lab.sts.calls_for("AssumeRoleWithSAML") == []
