"""NTLM, Negotiate and Digest sign-ons through the lab's /adfs/ls/wia, over real sockets."""

from __future__ import annotations

import pytest

from samlbroker import SAMLAuthenticationController, UserCredentials
from samlbroker.errors import AuthenticationFailedError, ConfigError


def _controller(lab: object) -> SAMLAuthenticationController:
    return SAMLAuthenticationController(verify=str(lab.ca_file))  # type: ignore[attr-defined]


def _alice(password) -> UserCredentials:
    return UserCredentials("LAB\\alice", password("alice"))


def test_ntlm_login_takes_five_requests_on_one_connection(lab, idp, password) -> None:
    controller = _controller(lab)
    assertion = controller.get_saml_assertion(lab.signon_url, _alice(password), "ntlm")
    assert set(assertion.roles) == {"111122223333:Developer", "444455556666:Developer", "ReadOnly"}
    stats = idp.stats()
    assert (stats["requests"], stats["connections"]) == (5, 1)
    assert [e["mechanism"] for e in stats["events"] if e["outcome"] == "success"] == ["ntlm"]
    assert controller.last_mechanism == "ntlm"


def test_wrong_ntlm_password_fails_once_and_is_not_retried(lab, idp, password) -> None:
    wrong = "not-" + password("alice")
    with pytest.raises(AuthenticationFailedError) as failure:
        _controller(lab).get_saml_assertion(lab.signon_url, UserCredentials("LAB\\alice", wrong), "ntlm")
    assert "LAB\\alice" in str(failure.value)
    assert wrong not in str(failure.value)
    assert idp.stats()["failed_attempts"] == {"alice": 1}


def _default_identity(tmp_path, monkeypatch, line: str) -> None:
    """The client's default identity: its own NTLM_USER_FILE, apart from the lab acceptor's user store."""
    user_file = tmp_path / "client-ntlm-user"
    user_file.write_text(line + "\n")
    user_file.chmod(0o600)
    monkeypatch.setenv("NTLM_USER_FILE", str(user_file))


def test_default_identity_ntlm_signs_in_from_the_clients_own_user_file(
    lab, idp, password, tmp_path, monkeypatch
) -> None:
    _default_identity(tmp_path, monkeypatch, f"LAB:alice:{password('alice')}")
    assertion = _controller(lab).get_saml_assertion(lab.signon_url, None, "ntlm")
    assert "ReadOnly" in assertion.roles
    assert [e["user"] for e in idp.stats()["events"] if e["outcome"] == "success"] == ["alice"]


def test_a_wrong_default_identity_password_is_refused(lab, idp, password, tmp_path, monkeypatch) -> None:
    """The lab checks against its own users: a client file with a wrong password cannot vouch for itself."""
    _default_identity(tmp_path, monkeypatch, "LAB:alice:not-" + password("alice"))
    with pytest.raises(AuthenticationFailedError):
        _controller(lab).get_saml_assertion(lab.signon_url, None, "ntlm")
    assert idp.stats()["failed_attempts"] == {"alice": 1}
    assert not [e for e in idp.stats()["events"] if e["outcome"] == "success"]


def test_unknown_ntlm_user_is_refused(lab, idp) -> None:
    with pytest.raises(AuthenticationFailedError):
        _controller(lab).get_saml_assertion(lab.signon_url, UserCredentials("LAB\\mallory", "x"), "ntlm")


def test_disabled_account_is_refused_with_a_right_password(lab, idp, password) -> None:
    carol = UserCredentials("LAB\\carol", password("carol"))
    with pytest.raises(AuthenticationFailedError):
        _controller(lab).get_saml_assertion(lab.signon_url, carol, "ntlm")
    assert not [e for e in idp.stats()["events"] if e["outcome"] == "success"]


def test_negotiate_falls_back_to_ntlm_without_kerberos(lab, idp, password, tmp_path, monkeypatch) -> None:
    # No realm known to the client: Kerberos cannot be had (and no DNS lookup is made for one).
    empty = tmp_path / "krb5.conf"
    empty.write_text("")
    monkeypatch.setenv("KRB5_CONFIG", str(empty))
    controller = _controller(lab)
    assertion = controller.get_saml_assertion(lab.signon_url, _alice(password), "negotiate")
    assert "ReadOnly" in assertion.roles
    assert controller.last_mechanism == "ntlm"
    events = [e for e in idp.stats()["events"] if e["outcome"] == "success"]
    assert [(e["scheme"].lower(), e["mechanism"]) for e in events] == [("negotiate", "ntlm")]
    assert idp.stats()["connections"] == 1


def test_wrong_negotiate_password_fails_once(lab, idp, password) -> None:
    with pytest.raises(AuthenticationFailedError):
        _controller(lab).get_saml_assertion(lab.signon_url, UserCredentials("LAB\\bob", "wrong"), "negotiate")
    assert idp.stats()["failed_attempts"] == {"bob": 1}


def test_digest_login_and_wrong_password(lab, idp, password) -> None:
    bob = UserCredentials("bob", password("bob"))
    assertion = _controller(lab).get_saml_assertion(lab.signon_url, bob, "digest")
    assert list(assertion.roles) == ["ReadOnly"]
    with pytest.raises(AuthenticationFailedError):
        _controller(lab).get_saml_assertion(lab.signon_url, UserCredentials("bob", "wrong"), "digest")
    assert idp.stats()["failed_attempts"] == {"bob": 1}


def test_digest_without_credentials_says_it_needs_them(lab) -> None:
    with pytest.raises(AuthenticationFailedError, match="needs a user name and password"):
        _controller(lab).get_saml_assertion(lab.signon_url, None, "digest")


def test_session_cookie_from_wia_is_what_the_signon_page_accepts(lab, idp, password) -> None:
    _controller(lab).get_saml_assertion(lab.signon_url, _alice(password), "ntlm")
    paths = [e["path"] for e in idp.stats()["events"]]
    assert any(p.startswith("/adfs/ls/wia") for p in paths)
    assert idp.stats()["sessions"] == 1


# A Python where gssapi and krb5 cannot be imported, as after `pip install samlbroker` without the
# kerberos extra: a meta-path finder refuses them before anything (pyspnego included) tries.
WITHOUT_KERBEROS_EXTRA = """
import sys


class NoKerberosExtra:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("gssapi", "krb5"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NoKerberosExtra())
from samlbroker import SAMLAuthenticationController
from samlbroker.errors import DependencyMissingError

try:
    SAMLAuthenticationController(verify=sys.argv[2]).get_saml_assertion(sys.argv[1], None, "kerberos")
except DependencyMissingError as exc:
    print("DependencyMissingError:", exc)
print("gssapi imported:", "gssapi" in sys.modules)
"""


def test_kerberos_without_its_extra_names_the_install_command(lab, idp, cli_env) -> None:
    from cli_runner import run_python

    result = run_python(cli_env, "-c", WITHOUT_KERBEROS_EXTRA, lab.signon_url, str(lab.ca_file), timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "DependencyMissingError: Kerberos needs the kerberos extra: pip install 'samlbroker[kerberos]'",
        "gssapi imported: False",
    ]
    assert idp.stats()["events"] == []  # refused before any request


def test_unknown_auth_type_lists_the_known_ones(lab) -> None:
    with pytest.raises(ConfigError, match=r"unknown authenticator 'basic'.*ntlm"):
        _controller(lab).get_saml_assertion(lab.signon_url, None, "basic")
