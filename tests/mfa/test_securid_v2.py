"""RSA's SecurID v2 agent for AD FS (``SecurIDv2Authentication``), against the lab: its first page has no
input and must be posted once (its script sends ``InitStatus=true``) before the passcode page appears.

Lab users: ``wes`` (passcode), ``xena`` (passcode, then the next tokencode).
"""

from __future__ import annotations

import pytest
from mfa_prompts import Prompt

from samlbroker.lab.mfa_pages import NEXT_TOKENCODE, WRONG_CODE

METHOD = "SecurIDv2Authentication"


def _second_factor_outcomes(idp, name: str) -> list[str]:
    return [e["outcome"] for e in idp.events if e["user"] == name and e["outcome"].startswith("mfa_")]


@pytest.mark.parametrize("first_factor", ["forms", "ntlm"])
def test_start_page_is_posted_once_then_the_passcode_completes(idp, login, token, first_factor) -> None:
    prompt = Prompt(lambda: token("wes"))
    assert list(login("wes", prompt, first_factor).roles) == ["ReadOnly"]
    # The start page is never shown to the user: one question, on the passcode page, in the agent's words.
    assert [(q.kind, q.method, q.attempt) for q in prompt.asked] == [("code", METHOD, 1)]
    assert prompt.asked[0].message == "Enter your SecurID passcode (PIN and tokencode)."
    assert _second_factor_outcomes(idp, "wes") == ["mfa_started", "mfa_done"]
    assert not idp.mfa.failed


def test_wrong_passcode_is_handed_back_with_the_idps_words(idp, login, token) -> None:
    prompt = Prompt("00000000", lambda: token("wes"))
    assert login("wes", prompt).roles
    assert [(q.method, q.attempt) for q in prompt.asked] == [(METHOD, 1), (METHOD, 2)]
    assert prompt.asked[1].message == WRONG_CODE
    assert _second_factor_outcomes(idp, "wes") == ["mfa_started", "mfa_again", "mfa_done"]  # started once
    assert idp.mfa.failed == {"wes": 1}


def test_next_tokencode_step_after_the_start_page(idp, login, token) -> None:
    prompt = Prompt(lambda: token("xena"), lambda: token("xena", next_code=True))
    assert login("xena", prompt).roles
    assert [(q.method, q.attempt) for q in prompt.asked] == [(METHOD, 1), (METHOD, 1)]
    assert prompt.asked[1].message == NEXT_TOKENCODE
    assert _second_factor_outcomes(idp, "xena") == ["mfa_started", "mfa_again", "mfa_done"]
    assert not idp.mfa.failed
