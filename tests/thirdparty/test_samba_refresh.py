"""A refresh after the password was changed in Active Directory: the remembered one is tried once, then gone.

The password lives in a real encrypted-file keyring (``lab_keyring``); the administrator resets it on the
Samba DC; the refresh (``FederatedCredentials``, ``samlbroker credential-process``) meets AD's refusal.
The old password is sent once, never again (AD would lock the account): over Kerberos the KDC's
``badPwdCount`` rises by exactly one; over NTLM the IdP sees one refused logon, and AD does not count it
(a logon with one of the two previous passwords leaves ``badPwdCount`` alone, in Samba as in Windows).
"""

from __future__ import annotations

import os
from pathlib import Path

import keyring
import pytest
from cli_runner import run_cli
from lab_keyring import KEY_VARIABLE, HeadlessCryptFileKeyring
from samba_dc import SambaDC, new_password

from samlbroker import FederatedCredentials, UserCredentials, passwords
from samlbroker.errors import CallbackRequiredError

SUPPORT = Path(__file__).resolve().parents[1] / "support"
USER = "CORP\\frank"
# What one refused old password adds to AD's badPwdCount (see the module docstring).
COUNTED = {"ntlm": 0, "negotiate": 1}


@pytest.fixture(params=["ntlm", "negotiate"])
def ad_profile(request, aws_home: Path, monkeypatch: pytest.MonkeyPatch, ad_lab, realm_env) -> dict[str, str]:
    """Profile ``ad`` (frank, password in the keyring) against the AD lab; returns the CLI's environment."""
    data = aws_home / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv(KEY_VARIABLE, "test-keyring-unlock-key")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", ad_lab.sts_url)
    monkeypatch.setenv("AWS_CA_BUNDLE", str(ad_lab.ca_file))
    previous = keyring.get_keyring()
    keyring.set_keyring(HeadlessCryptFileKeyring())
    (aws_home / ".aws" / "config").write_text(
        f"[saml-endpoint corp]\nurl = {ad_lab.signon_url}\nauth_type = {request.param}\n"
        f"ca_bundle = {ad_lab.ca_file}\n\n"
        "[profile ad]\nsaml_endpoint = corp\nsaml_role_arn = arn:aws:iam::111122223333:role/ReadOnly\n"
        f"saml_user = {USER}\nsaml_password_store = keyring\n"
        "credential_process = samlbroker credential-process --profile ad\n"
    )
    env = dict(os.environ)
    env.pop("NTLM_USER_FILE", None)
    env["PYTHONPATH"] = f"{Path(__file__).resolve().parents[2]}:{SUPPORT}"
    env["PYTHON_KEYRING_BACKEND"] = "lab_keyring.HeadlessCryptFileKeyring"
    env["AUTH_TYPE"] = request.param
    yield env
    keyring.set_keyring(previous)


def one_old_password_sent(idp, dc: SambaDC, auth: str, before: int) -> None:
    """The IdP or the KDC saw the old password exactly once."""
    if auth == "ntlm":
        assert [(e["user"], e["outcome"]) for e in idp.stats()["events"]][:1] == [("frank", "bad_password")]
        assert [e["outcome"] for e in idp.stats()["events"]].count("bad_password") == 1
    assert dc.bad_password_count("frank") == before + COUNTED[auth]  # never three


def changed_in_ad(dc: SambaDC, url: str) -> str:
    """Remember frank's current password, then let the administrator reset it on the DC; the old one."""
    old = dc.passwords["frank"]
    passwords.remember(url, USER, old)
    dc.set_password("frank", new_password())
    return old


def test_a_refresh_without_a_callback_tries_the_old_password_once_and_drops_it(
    ad_lab, ad_idp, samba_dc, ad_profile
) -> None:
    changed_in_ad(samba_dc, ad_lab.signon_url)
    before = samba_dc.bad_password_count("frank")
    with pytest.raises(CallbackRequiredError):
        FederatedCredentials("ad", callback=None).get_credentials()
    assert passwords.recall(ad_lab.signon_url, USER) is None
    one_old_password_sent(ad_idp, samba_dc, ad_profile["AUTH_TYPE"], before)


def test_a_refresh_asks_once_after_the_old_password_was_refused(ad_lab, ad_idp, samba_dc, ad_profile) -> None:
    changed_in_ad(samba_dc, ad_lab.signon_url)
    asked = []

    def callback(request):
        asked.append((request.previous_authentication_failed, passwords.recall(ad_lab.signon_url, USER)))
        return UserCredentials(USER, samba_dc.passwords["frank"])

    creds = FederatedCredentials("ad", callback=callback).authenticate()
    assert creds.access_key_id.startswith("ASIA")
    assert asked == [(True, None)]  # asked once, the old password already gone
    assert passwords.recall(ad_lab.signon_url, USER) == samba_dc.passwords["frank"]
    successes = [e for e in ad_idp.stats()["events"] if e["outcome"] == "success"]
    assert [e["user"] for e in successes] == ["frank"]


def test_credential_process_after_a_password_change_fails_in_one_line_and_forgets_it(
    ad_lab, ad_idp, samba_dc, ad_profile
) -> None:
    changed_in_ad(samba_dc, ad_lab.signon_url)
    before = samba_dc.bad_password_count("frank")
    result = run_cli(ad_profile, "credential-process", "--profile", "ad", new_session=True, timeout=60)
    assert result.returncode != 0 and result.stdout == ""
    last = result.stderr.strip().splitlines()[-1]
    assert "there is no terminal" in last and "samlbroker login --profile ad" in last
    assert "Traceback" not in result.stderr
    assert passwords.recall(ad_lab.signon_url, USER) is None
    one_old_password_sent(ad_idp, samba_dc, ad_profile["AUTH_TYPE"], before)
