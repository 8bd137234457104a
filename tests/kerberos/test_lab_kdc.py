"""The lab's throwaway realm: principals, keytab, the IdP's Kerberos acceptor, and the demo."""

from __future__ import annotations

import base64
import os
import socket
import subprocess

import pytest
import requests
import spnego
from cli_runner import run_cli

from samlbroker.lab.kdc import LabKDC, find_tool
from samlbroker.lab.runner import Lab


def test_every_enabled_lab_user_is_a_principal_with_its_password(lab, kdc, tmp_path) -> None:
    for user in lab.users:
        cache = tmp_path / f"{user.name}.cc"
        if user.disabled:
            with pytest.raises(RuntimeError, match="revoked"):
                kdc.kinit(user.name, cache)
        else:
            kdc.kinit(user.name, cache)
            assert cache.stat().st_size > 0
    with pytest.raises(RuntimeError, match="incorrect"):
        kdc.kinit("alice", tmp_path / "wrong.cc", password="wrong")
    assert kdc.failed_attempts() == {"alice@LAB.EXAMPLE": 1}


def test_realm_lives_in_the_lab_folder_and_touches_no_system_file(lab, kdc) -> None:
    assert kdc.realm == lab.users.realm == "LAB.EXAMPLE"
    for path in (kdc.krb5_config, kdc.kdc_profile, kdc.keytab, kdc.log_file):
        assert lab.workdir in path.parents
    assert os.environ.get("KRB5_KTNAME") == f"FILE:{kdc.keytab}"
    assert "KRB5_KDC_PROFILE" not in os.environ  # only the KDC's own processes get it
    listing = subprocess.run(
        [find_tool("klist") or "klist", "-k", str(kdc.keytab)], capture_output=True, text=True, check=True
    ).stdout
    assert "HTTP/localhost@LAB.EXAMPLE" in listing
    assert oct(kdc.keytab.stat().st_mode & 0o777) == "0o600"


def test_wia_accepts_kerberos_and_answers_the_final_token(lab, idp, kdc, ccache) -> None:
    kdc.kinit("bob", ccache)
    client = spnego.client(hostname="localhost", service="HTTP", protocol="kerberos")
    url = lab.signon_url.replace("IdpInitiatedSignOn.aspx", "wia")
    token = base64.b64encode(client.step()).decode()
    answer = requests.get(
        url, headers={"Authorization": f"Negotiate {token}"}, verify=str(lab.ca_file), allow_redirects=False
    )
    assert answer.status_code == 302
    scheme, _, final = answer.headers["WWW-Authenticate"].partition(" ")
    assert scheme == "Negotiate"
    client.step(base64.b64decode(final))
    assert client.complete  # mutual authentication completed with the IdP's AP-REP
    assert [(e["user"], e["mechanism"], e["outcome"]) for e in idp.stats()["events"]] == [
        ("bob", "kerberos", "success")
    ]


def test_stop_ends_the_kdc_process(lab, kdc, tmp_path) -> None:
    other = LabKDC(lab.users, tmp_path / "realm").start()
    port = other.port
    assert other.running
    other.stop()
    assert not other.running
    with socket.socket() as probe:
        probe.settimeout(1)
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_lab_without_kerberos_says_why_and_still_signs_in_with_ntlm(lab, tmp_path, password) -> None:
    from samlbroker import SAMLAuthenticationController, UserCredentials

    with Lab(workdir=tmp_path / "plain", kerberos=False) as plain:
        assert plain.kdc is None and plain.kdc_unavailable
        controller = SAMLAuthenticationController(verify=str(plain.ca_file))
        assertion = controller.get_saml_assertion(
            plain.signon_url, UserCredentials("LAB\\bob", password("bob")), "ntlm"
        )
        assert list(assertion.roles) == ["ReadOnly"]


def test_lab_demo_kerberos_signs_in_silently_with_a_lab_ticket(kdc, tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KRB5", "AWS_", "NTLM_USER_FILE"))}
    env["HOME"] = str(tmp_path)
    result = run_cli(env, "lab", "demo", "--auth", "kerberos")
    assert result.returncode == 0, result.stderr
    assert "assumed-role/Developer/alice@lab.example" in result.stdout
    assert "mechanism:  kerberos" in result.stdout
    assert "default identity" in result.stderr and "Traceback" not in result.stderr
