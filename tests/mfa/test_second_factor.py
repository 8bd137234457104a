"""Second factors after the first, against the lab: TOTP, push, unknown adapters, prompts, bounds."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from mfa_prompts import PollClock, Prompt

from samlbroker import SAMLAuthenticationController, UserCredentials
from samlbroker.errors import AuthenticationFailedError, MFAFailedError
from samlbroker.lab.mfa import PUSH_DENIED, WRONG_CODE


def _login(lab, name: str, password, prompt, auth: str = "forms", **options):
    options = {**PollClock().options(), **options}
    controller = SAMLAuthenticationController(verify=str(lab.ca_file), mfa_prompt=prompt, mfa_options=options)
    return controller.get_saml_assertion(
        lab.signon_url, UserCredentials(f"LAB\\{name}", password(name)), auth
    )


def _totp(lab) -> pyotp.TOTP:
    return pyotp.TOTP(lab.users["frank"].mfa_secret)


@pytest.mark.parametrize("first_factor", ["forms", "ntlm"])
def test_totp_code_completes_the_login(lab, idp, password, first_factor: str) -> None:
    prompt = Prompt(_totp(lab).now())
    assertion = _login(lab, "frank", password, prompt, first_factor)
    assert list(assertion.roles) == ["ReadOnly"]
    assert [(q.kind, q.method, q.attempt) for q in prompt.asked] == [
        ("code", "TOTPAuthenticationProvider", 1)
    ]
    assert prompt.asked[0].message and "additional information" in prompt.asked[0].message


def test_wrong_code_is_handed_back_once_more_then_right_code_works(lab, idp, password) -> None:
    prompt = Prompt("000000", _totp(lab).now())
    assert _login(lab, "frank", password, prompt).roles
    assert [q.attempt for q in prompt.asked] == [1, 2]
    assert prompt.asked[1].message == WRONG_CODE
    assert idp.mfa.failed == {"frank": 1}


def test_expired_code_is_refused_and_attempts_are_bounded(lab, idp, password) -> None:
    old = _totp(lab).at(dt.datetime.now() - dt.timedelta(minutes=5))
    prompt = Prompt(old, old, old, old)
    with pytest.raises(AuthenticationFailedError, match="refused 3 times"):
        _login(lab, "frank", password, prompt)
    assert len(prompt.asked) == 3
    assert idp.mfa.failed == {"frank": 3}


def test_declined_code_prompt_is_a_clear_error_without_retry(lab, idp, password) -> None:
    prompt = Prompt(None)
    with pytest.raises(AuthenticationFailedError, match="declined"):
        _login(lab, "frank", password, prompt)
    assert len(prompt.asked) == 1


def test_no_prompt_hook_says_a_terminal_is_needed(lab, idp, password) -> None:
    with pytest.raises(AuthenticationFailedError, match="no way to ask you"):
        _login(lab, "frank", password, None)


def test_push_approved_after_polls_is_announced_once(lab, idp, password) -> None:
    prompt = Prompt()
    assert _login(lab, "grace", password, prompt).roles
    assert [(q.kind, q.method) for q in prompt.asked] == [("push", "AzureMfaServerAuthentication")]
    polls = [e["outcome"] for e in idp.events if e["user"] == "grace" and e["outcome"].startswith("mfa_")]
    assert polls == ["mfa_again", "mfa_done"]


def test_push_behind_ntlm(lab, idp, password) -> None:
    assert _login(lab, "grace", password, Prompt(), "ntlm").roles


def test_push_denied_is_an_mfa_failure_with_the_idps_words(lab, idp, password) -> None:
    with pytest.raises(MFAFailedError, match="denied") as failure:
        _login(lab, "heidi", password, Prompt())
    assert failure.value.idp_message == PUSH_DENIED


def test_push_never_answered_times_out(lab, idp, password) -> None:
    with pytest.raises(MFAFailedError, match=r"no approval .* within 60 s"):
        _login(lab, "ivan", password, Prompt())


def test_unknown_second_factor_page_names_its_auth_method(lab, idp, password) -> None:
    with pytest.raises(AuthenticationFailedError, match="AuthMethod DuoAdfsAdapter"):
        _login(lab, "ken", password, Prompt("123456"))


def test_email_code_page_is_unknown_without_its_plugin(lab, idp, password) -> None:
    with pytest.raises(AuthenticationFailedError, match="AuthMethod EmailOtpAdapter"):
        _login(lab, "judy", password, Prompt("123456"))


def test_a_totp_login_takes_few_requests(lab, idp, password) -> None:
    _login(lab, "frank", password, Prompt(_totp(lab).now()))
    stats = idp.stats()
    # GET sign-in page, POST password (302), GET sign-on (MFA page), POST code (302), GET (auto-post form)
    assert (stats["requests"], stats["connections"]) == (5, 1)
