"""Sign-ins against a real Active Directory: a Samba DC's KDC issues the tickets, the DC checks NTLM.

The lab IdP (``ad_lab``) accepts Kerberos with the service account's keytab exported from the DC and asks
the DC about every NTLM logon, so NT hashes, account states and ``badPwdCount`` are AD's own. The client
is the product, over real sockets.
"""

from __future__ import annotations

import base64

import pytest
import requests
from samba_dc import LOCKOUT_THRESHOLD, MACHINE_SPN_HOST, SambaDC

from samlbroker import SAMLAuthenticationController, UserCredentials
from samlbroker.errors import AuthenticationFailedError

ROLES = {"Developer", "ReadOnly"}


def login(lab, auth: str, credentials: UserCredentials | None = None):
    controller = SAMLAuthenticationController(verify=str(lab.ca_file))
    assertion = controller.get_saml_assertion(lab.signon_url, credentials, auth)
    return assertion, controller.last_mechanism


def refused(lab, auth: str, credentials: UserCredentials | None) -> str:
    """The one-line reason a sign-in was refused."""
    with pytest.raises(AuthenticationFailedError) as caught:
        login(lab, auth, credentials)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message, message
    return message


def outcomes(idp) -> list[tuple[str | None, str, str]]:
    return [(e["user"], e["mechanism"], e["outcome"]) for e in idp.stats()["events"]]


def as_user(dc: SambaDC, login_name: str, name: str = "alice") -> UserCredentials:
    return UserCredentials(login_name, dc.passwords[name])


# signing in


@pytest.mark.parametrize("auth", ["kerberos", "negotiate"])
def test_default_identity_from_kinit_against_the_samba_kdc(ad_lab, ad_idp, samba_dc, realm_env, auth) -> None:
    samba_dc.kinit("alice", realm_env)
    assertion, mechanism = login(ad_lab, auth)
    assert set(assertion.roles) == ROLES and assertion.subject == "CORP\\alice"
    assert mechanism == "kerberos"
    assert outcomes(ad_idp) == [("alice", "kerberos", "success")]


@pytest.mark.parametrize(
    "spelling", ["alice@corp.example", "CORP\\alice", "corp\\ALICE", "ALICE@CORP.EXAMPLE"]
)
@pytest.mark.parametrize("auth", ["kerberos", "negotiate"])
def test_kerberos_with_a_password_in_memory_in_any_spelling(
    ad_lab, ad_idp, samba_dc, realm_env, auth, spelling
) -> None:
    assertion, mechanism = login(ad_lab, auth, as_user(samba_dc, spelling))
    assert set(assertion.roles) == ROLES and mechanism == "kerberos"
    assert outcomes(ad_idp) == [("alice", "kerberos", "success")]
    assert not realm_env.exists()  # the ticket stayed in memory


@pytest.mark.parametrize("spelling", ["CORP\\alice", "corp\\ALICE", "alice@corp.example"])
def test_ntlm_is_checked_by_the_domain_controller(ad_lab, ad_idp, samba_dc, spelling) -> None:
    assertion, mechanism = login(ad_lab, "ntlm", as_user(samba_dc, spelling))
    assert set(assertion.roles) == ROLES and mechanism == "ntlm"
    assert outcomes(ad_idp) == [("alice", "ntlm", "success")]


def test_negotiate_uses_ntlm_inside_when_no_kdc_is_configured(
    ad_lab, ad_idp, samba_dc, tmp_path, monkeypatch
) -> None:
    no_realm = tmp_path / "krb5.conf"
    no_realm.write_text("[libdefaults]\n    dns_lookup_kdc = false\n    dns_lookup_realm = false\n")
    monkeypatch.setenv("KRB5_CONFIG", str(no_realm))
    assertion, mechanism = login(ad_lab, "negotiate", as_user(samba_dc, "CORP\\alice"))
    assert set(assertion.roles) == ROLES and mechanism == "ntlm"
    assert outcomes(ad_idp) == [("alice", "ntlm", "success")]


# Active Directory's account states


@pytest.mark.parametrize("auth", ["ntlm", "kerberos"])
def test_each_wrong_password_costs_exactly_one_bad_password_count(
    ad_lab, ad_idp, samba_dc, realm_env, auth
) -> None:
    wrong = UserCredentials("CORP\\dave", "Not-the-password-1")
    before = samba_dc.bad_password_count("dave")
    first = refused(ad_lab, auth, wrong)
    assert samba_dc.bad_password_count("dave") == before + 1
    refused(ad_lab, auth, wrong)
    assert samba_dc.bad_password_count("dave") == before + 2
    if auth == "kerberos":
        assert "refused the password for CORP\\dave" in first and "not retried" in first
    else:
        assert "refused the NTLM sign-in for CORP\\dave" in first and "not retried" in first
        assert [o for _, _, o in outcomes(ad_idp)] == ["bad_password", "bad_password"]  # AD's own verdict
    login(ad_lab, auth, as_user(samba_dc, "CORP\\dave", "dave"))
    assert samba_dc.bad_password_count("dave") == 0  # a good logon clears it, as AD does


def test_the_account_locks_out_at_the_threshold_and_says_so(ad_lab, ad_idp, samba_dc, realm_env) -> None:
    wrong = UserCredentials("CORP\\mallory", "Not-the-password-1")
    for _ in range(LOCKOUT_THRESHOLD):
        refused(ad_lab, "ntlm", wrong)
    assert int(samba_dc.attribute("mallory", "lockoutTime") or 0) > 0
    right = as_user(samba_dc, "CORP\\mallory", "mallory")
    ntlm = refused(ad_lab, "ntlm", right)
    kerberos = refused(ad_lab, "kerberos", right)
    assert "refused the NTLM sign-in for CORP\\mallory" in ntlm
    assert "locked out" in kerberos and "KDC_ERR_CLIENT_REVOKED" in kerberos
    assert outcomes(ad_idp)[-1] == ("mallory", "ntlm", "locked_out")  # the DC's NT_STATUS_ACCOUNT_LOCKED_OUT
    samba_dc.unlock("mallory")
    login(ad_lab, "ntlm", right)


@pytest.mark.parametrize(
    ("name", "words", "outcome"),
    [
        ("bob", ("disabled", "KDC_ERR_CLIENT_REVOKED"), "disabled"),
        ("erin", ("has expired", "KDC_ERR_KEY_EXPIRED"), "password_expired"),
        ("carol", ("must be changed", "KDC_ERR_KEY_EXPIRED"), "must_change_password"),
    ],
)
def test_account_states_are_the_kdcs_and_the_dcs_own(
    ad_lab, ad_idp, samba_dc, realm_env, name, words, outcome
) -> None:
    right = as_user(samba_dc, f"CORP\\{name}", name)
    before = samba_dc.bad_password_count(name)
    kerberos = refused(ad_lab, "kerberos", right)
    assert all(word in kerberos for word in words), kerberos
    assert name in kerberos
    refused(ad_lab, "ntlm", right)
    assert outcomes(ad_idp) == [(name, "ntlm", outcome)]  # NTLM: the DC's NTSTATUS, one attempt
    assert samba_dc.bad_password_count(name) == before  # the password was right: nothing counted


def test_a_malformed_ntlm_token_is_refused_and_the_dc_helper_keeps_serving(ad_lab, ad_idp, samba_dc) -> None:
    junk = base64.b64encode(b"NTLMSSP\x00\x03\x00\x00\x00" + b"\xff" * 40).decode()
    wia = ad_lab.idp_url + "/adfs/ls/wia"
    answer = requests.get(
        wia, headers={"Authorization": f"NTLM {junk}"}, verify=str(ad_lab.ca_file), timeout=30
    )
    assert answer.status_code == 401
    assert [o for _, _, o in outcomes(ad_idp)] == ["bad_token"]
    assertion, _ = login(ad_lab, "ntlm", as_user(samba_dc, "CORP\\alice"))
    assert assertion.subject == "CORP\\alice"


def test_without_a_keytab_the_dc_itself_accepts_kerberos_for_its_machine_account_spn(
    ad_lab, ad_idp, samba_dc, realm_env, monkeypatch
) -> None:
    from samlbroker.lab.samba_bridge import SambaAcceptor

    with SambaAcceptor(samba_dc.smb_conf) as keytab_less:  # Kerberos and NTLM both through Samba's GENSEC
        monkeypatch.setattr(ad_lab.idp, "acceptor", keytab_less)
        url = ad_lab.signon_url.replace("//localhost:", f"//{MACHINE_SPN_HOST}:")
        controller = SAMLAuthenticationController(verify=str(ad_lab.ca_file))
        assertion = controller.get_saml_assertion(url, as_user(samba_dc, "CORP\\alice"), "kerberos")
    assert assertion.subject == "CORP\\alice" and controller.last_mechanism == "kerberos"
    assert outcomes(ad_idp) == [("alice", "kerberos", "success")]
