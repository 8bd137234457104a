"""Remembered passwords in a real (encrypted-file) keyring: stored on login, used on refresh, removed when
the IdP rejects them (exactly one failed attempt there), forgotten on logout --forget."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from cli_runner import run_cli
from lab_keyring import KEY_VARIABLE, HeadlessCryptFileKeyring

from samlbroker import FederatedCredentials, MFAFailedError, UserCredentials, passwords

SUPPORT = Path(__file__).resolve().parents[1] / "support"


@pytest.fixture
def keyring_env(
    aws_home: Path, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, lab
) -> dict[str, str]:
    """Config with a keyring profile; this process and its children use the encrypted-file keyring."""
    data = aws_home / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv(KEY_VARIABLE, "test-keyring-unlock-key")
    previous = keyring.get_keyring()
    keyring.set_keyring(HeadlessCryptFileKeyring())
    (aws_home / ".aws" / "config").write_text(
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = forms\nca_bundle = {lab.ca_file}\n\n"
        "[profile kr]\nsaml_endpoint = lab\nsaml_role_arn = arn:aws:iam::111122223333:role/ReadOnly\n"
        "saml_user = LAB\\bob\nsaml_password_store = keyring\n"
        "credential_process = samlbroker credential-process --profile kr\n\n"
        "[profile totp]\nsaml_endpoint = lab\nsaml_role_arn = arn:aws:iam::111122223333:role/ReadOnly\n"
        "saml_user = LAB\\frank\nsaml_password_store = keyring\n"
    )
    env = {
        **cli_env,
        "XDG_DATA_HOME": str(data),
        KEY_VARIABLE: "test-keyring-unlock-key",
        "PYTHON_KEYRING_BACKEND": "lab_keyring.HeadlessCryptFileKeyring",
        "PYTHONPATH": f"{cli_env['PYTHONPATH']}:{SUPPORT}",
    }
    yield env
    keyring.set_keyring(previous)


def cli(env: dict[str, str], *args: str, stdin: str = ""):
    return run_cli(env, *args, stdin=stdin, new_session=True, timeout=60)


def sign_ins(idp) -> list[str]:
    return [e["user"] for e in idp.stats()["events"] if e["outcome"] == "success"]


def test_login_remember_keeps_the_password_encrypted_in_the_keyring(lab, keyring_env, idp, password) -> None:
    result = cli(
        keyring_env, "login", "--profile", "kr", "--password-stdin", "--remember", stdin=password("bob")
    )
    assert result.returncode == 0, result.stderr
    assert passwords.recall(lab.signon_url, "LAB\\bob") == password("bob")
    files = list(Path(keyring_env["XDG_DATA_HOME"]).rglob("*.cfg"))
    assert files and all(password("bob").encode() not in f.read_bytes() for f in files)  # encrypted at rest


def test_refresh_uses_the_remembered_password_silently(lab, keyring_env, idp, password) -> None:
    passwords.remember(lab.signon_url, "LAB\\bob", password("bob"))
    creds = FederatedCredentials("kr", callback=None).authenticate()
    assert creds.access_key_id.startswith("ASIA")
    assert sign_ins(idp) == ["bob"]


def test_credential_process_refreshes_from_the_keyring_without_a_terminal(
    lab, keyring_env, idp, password
) -> None:
    passwords.remember(lab.signon_url, "LAB\\bob", password("bob"))
    result = cli(keyring_env, "credential-process", "--profile", "kr")
    assert result.returncode == 0, result.stderr
    assert '"AccessKeyId": "ASIA' in result.stdout
    assert sign_ins(idp) == ["bob"]


def test_a_rejected_remembered_password_is_removed_at_once_and_the_user_asked(
    lab, keyring_env, idp, password
):
    passwords.remember(lab.signon_url, "LAB\\bob", "an-old-password")
    asked = []

    def callback(request):
        asked.append((request.previous_authentication_failed, passwords.recall(lab.signon_url, "LAB\\bob")))
        return UserCredentials("LAB\\bob", password("bob"))

    FederatedCredentials("kr", callback=callback).authenticate()
    assert asked == [(True, None)]  # asked once, after the stored password was already gone
    assert idp.stats()["failed_attempts"] == {"bob": 1}  # the old password was tried exactly once
    assert passwords.recall(lab.signon_url, "LAB\\bob") == password("bob")  # the new one is remembered


@pytest.mark.parametrize("second_factor", ["declined", "refused"])
def test_a_failed_second_factor_keeps_the_remembered_password_and_asks_for_no_other(
    lab, keyring_env, idp, password, second_factor: str
) -> None:
    passwords.remember(lab.signon_url, "LAB\\frank", password("frank"))
    asked_for_password = []
    codes = []

    def mfa_prompt(step):
        codes.append(step.attempt)
        return None if second_factor == "declined" else "000000"

    credentials = FederatedCredentials("totp", callback=asked_for_password.append, mfa_prompt=mfa_prompt)
    with pytest.raises(MFAFailedError):
        credentials.authenticate()
    assert asked_for_password == []  # the password was right: nobody is asked for another
    assert codes == ([1] if second_factor == "declined" else [1, 2, 3])
    assert passwords.recall(lab.signon_url, "LAB\\frank") == password("frank")
    assert idp.stats()["failed_attempts"] == {}  # the IdP never saw a wrong password


def test_login_without_a_terminal_for_the_code_keeps_the_remembered_password(
    lab, keyring_env, idp, password
) -> None:
    passwords.remember(lab.signon_url, "LAB\\frank", password("frank"))
    result = cli(keyring_env, "login", "--profile", "totp")
    assert result.returncode == 3, result.stderr
    assert "there is no terminal" in result.stderr and "removed from the keyring" not in result.stderr
    assert passwords.recall(lab.signon_url, "LAB\\frank") == password("frank")
    assert idp.stats()["failed_attempts"] == {}


def test_logout_forget_clears_cache_and_keyring(lab, keyring_env, idp, password) -> None:
    assert cli(keyring_env, "login", "--profile", "kr", "--password-stdin", "--remember",
               stdin=password("bob")).returncode == 0  # fmt: skip
    result = cli(keyring_env, "logout", "--profile", "kr", "--forget")
    assert result.returncode == 0, result.stderr
    assert "cached credentials removed" in result.stderr and "removed from the keyring" in result.stderr
    assert passwords.recall(lab.signon_url, "LAB\\bob") is None
    again = cli(keyring_env, "credential-process", "--profile", "kr")
    assert (
        again.returncode != 0 and "samlbroker login --profile kr" in again.stderr
    )  # nothing cached, no password
