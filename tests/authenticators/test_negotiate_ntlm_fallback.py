"""``auth_type = negotiate`` at an IdP that offers NTLM and not Negotiate (IIS with only the NTLM provider).

Browsers and curl's --negotiate-or-ntlm answer such an IdP with raw NTLM; so does negotiate, on the same
login: one handshake, the password sent once, one failed attempt at most when it is wrong. Without
either scheme the one-line error stays. Over real sockets against the lab IdP (``IdPVariant.wia_schemes``).
"""

from __future__ import annotations

import logging
import re
import sys

import pytest

from samlbroker import SAMLAuthenticationController, UserCredentials
from samlbroker.errors import AuthenticationFailedError
from samlbroker.lab.variant import IdPVariant

NTLM_ONLY = IdPVariant(wia_schemes=("ntlm",))


@pytest.fixture(autouse=True)
def _ntlm_only_idp(lab, idp, tmp_path, monkeypatch):
    """The shared IdP offers NTLM alone for each test here; no Kerberos realm is known (Negotiate cannot use it)."""
    saved = lab.idp.variant
    idp.variant = NTLM_ONLY
    empty = tmp_path / "no-realm.conf"
    empty.write_text("")
    monkeypatch.setenv("KRB5_CONFIG", str(empty))
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{tmp_path / 'no-ccache'}")
    yield
    lab.idp.variant = saved


def _login(lab, credentials, auth_type: str = "negotiate") -> SAMLAuthenticationController:
    controller = SAMLAuthenticationController(verify=str(lab.ca_file))
    controller.get_saml_assertion(lab.signon_url, credentials, auth_type)
    return controller


def _failure(lab, credentials, auth_type: str = "negotiate") -> str:
    with pytest.raises(AuthenticationFailedError) as caught:
        _login(lab, credentials, auth_type)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message, message
    return message


def _outcomes(idp) -> list[tuple[str | None, str, str, str]]:
    return [(e["user"], e["scheme"], e["mechanism"], e["outcome"]) for e in idp.stats()["events"]]


def test_negotiate_with_a_password_signs_in_with_raw_ntlm_where_only_ntlm_is_offered(
    lab, idp, password, caplog
) -> None:
    with caplog.at_level(logging.INFO, logger="samlbroker.auth"):
        controller = _login(lab, UserCredentials("LAB\\alice", password("alice")))
    assert controller.last_mechanism == "ntlm"
    assert _outcomes(idp) == [("alice", "NTLM", "ntlm", "success")]  # one handshake, raw NTLM
    assert idp.stats()["connections"] == 1  # on the login's one connection
    assert "offers NTLM and not Negotiate" in caplog.text
    assert password("alice") not in caplog.text


def test_a_wrong_password_costs_exactly_one_failed_attempt_and_is_not_retried(lab, idp, password) -> None:
    wrong = "not-" + password("alice")
    message = _failure(lab, UserCredentials("LAB\\alice", wrong))
    assert re.search(
        r"refused the NTLM sign-in for LAB\\alice \(HTTP 401\); the password was not retried", message
    )
    assert wrong not in message
    assert idp.stats()["failed_attempts"] == {"alice": 1}
    assert _outcomes(idp) == [("alice", "NTLM", "ntlm", "bad_password")]


def test_the_default_identity_signs_in_with_raw_ntlm_where_ntlm_has_one(
    lab, idp, password, tmp_path, monkeypatch
) -> None:
    # NTLM's default identity off Windows: NTLM_USER_FILE's first line (the lab's acceptor has its own file).
    user_file = tmp_path / "ntlm-user"
    user_file.write_text(f"LAB:bob:{password('bob')}\n")
    monkeypatch.setenv("NTLM_USER_FILE", str(user_file))
    controller = _login(lab, None)
    assert controller.last_mechanism == "ntlm"
    assert _outcomes(idp) == [("bob", "NTLM", "ntlm", "success")]


@pytest.mark.skipif(sys.platform == "win32", reason="Windows always has NTLM's default identity (SSPI)")
def test_the_default_identity_without_an_ntlm_one_is_a_one_line_error_before_any_token(
    lab, idp, monkeypatch
) -> None:
    monkeypatch.delenv("NTLM_USER_FILE", raising=False)
    message = _failure(lab, None)
    assert re.search(
        r"the IdP offers NTLM and not Negotiate at \S+/adfs/ls/wia: NTLM sign-in with your default identity "
        r"needs Windows \(SSPI\) or NTLM_USER_FILE",
        message,
    ), message
    assert _outcomes(idp) == []


def test_an_idp_offering_neither_keeps_the_one_line_error(lab, idp, password) -> None:
    idp.variant = IdPVariant(wia_schemes=())  # Digest alone
    message = _failure(lab, UserCredentials("LAB\\alice", password("alice")))
    assert re.search(
        r"does not offer Negotiate at \S+/adfs/ls/wia \(it offers: Digest\): set auth_type = digest", message
    )
    assert _outcomes(idp) == [] and idp.stats()["failed_attempts"] == {}


def test_kerberos_never_falls_back_to_ntlm(lab, idp) -> None:
    pytest.importorskip("gssapi", reason="pyspnego's Kerberos backend: pip install 'samlbroker[kerberos]'")
    message = _failure(lab, None, "kerberos")
    assert "does not offer Negotiate" in message and "auth_type = ntlm" in message
    assert _outcomes(idp) == []
