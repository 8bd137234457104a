"""Each AD FS second-factor adapter, as real farms serve its page, answered end to end against the lab.

Code adapters: Azure MFA's verification code, RSA SecurID (passcode and the next-tokencode step), Symantec
VIP (``SecurityCode`` and ``security_code``), SafeNet, the generic ``OathCode`` and
``ChallengeQuestionAnswer`` inputs. Push adapters: Azure MFA (approve, decline, time out, number
matching), Azure MFA Server and Silverfort. Pushes are answered by the test acting as the user's device
(``idp.mfa.respond``) and the driver's waits run on a clock that never sleeps.
"""

from __future__ import annotations

import re

import pytest
from mfa_prompts import Prompt

from samlbroker.errors import MFAFailedError
from samlbroker.lab.mfa_pages import (
    AZURE_DENIED,
    AZURE_TIMED_OUT,
    AZURE_WRONG_NUMBER,
    NEXT_TOKENCODE,
    PUSH_DENIED,
    SILVERFORT_DENIED,
    SILVERFORT_EXPIRED,
    WRONG_CODE,
)

CODE_ADAPTERS = [
    ("leo", "AzureMfaAuthentication"),
    ("olga", "SecurIDAuthentication"),
    ("quinn", "SymantecVipAdapter"),
    ("rosa", "VIPAuthenticationProviderWindowsAccountName"),
    ("sven", "SafeNet-MFA"),
    ("uma", "VIPAuthenticationProviderUPN"),
    ("vic", "LabChallengeQuestionAdapter"),
]
FIRST_FACTORS = ["forms", "ntlm"]


@pytest.mark.parametrize("first_factor", FIRST_FACTORS)
@pytest.mark.parametrize(("name", "method"), CODE_ADAPTERS, ids=[m for _, m in CODE_ADAPTERS])
def test_each_code_adapter_completes_the_login(idp, login, token, name, method, first_factor) -> None:
    prompt = Prompt(lambda: token(name))
    assertion = login(name, prompt, first_factor)
    assert list(assertion.roles) == ["ReadOnly"]
    assert [(q.kind, q.method, q.attempt) for q in prompt.asked] == [("code", method, 1)]
    assert not idp.mfa.failed


@pytest.mark.parametrize(("name", "method"), CODE_ADAPTERS, ids=[m for _, m in CODE_ADAPTERS])
def test_each_code_adapter_hands_a_wrong_code_back_with_the_idps_words(idp, login, token, name, method):
    prompt = Prompt("000000", lambda: token(name))
    assert login(name, prompt).roles
    assert [(q.method, q.attempt) for q in prompt.asked] == [(method, 1), (method, 2)]
    assert prompt.asked[1].message == WRONG_CODE
    assert idp.mfa.failed == {name: 1}


def test_securid_page_shows_its_own_words(idp, login, token) -> None:
    prompt = Prompt(lambda: token("olga"))
    login("olga", prompt)
    assert prompt.asked[0].message == "Enter your RSA SecurID passcode."


@pytest.mark.parametrize("first_factor", FIRST_FACTORS)
def test_securid_next_tokencode_step_asks_again_with_the_idps_words(idp, login, token, first_factor) -> None:
    prompt = Prompt(lambda: token("paul"), lambda: token("paul", next_code=True))
    assert login("paul", prompt, first_factor).roles
    assert [(q.kind, q.method, q.attempt) for q in prompt.asked] == [
        ("code", "SecurIDAuthentication", 1),
        ("code", "SecurIDAuthentication", 1),  # a new step, not a retry of the passcode
    ]
    assert prompt.asked[1].message == NEXT_TOKENCODE
    assert not idp.mfa.failed


def test_securid_wrong_next_tokencode_is_handed_back_not_replayed(idp, login, token) -> None:
    prompt = Prompt(lambda: token("paul"), "999999", lambda: token("paul", next_code=True))
    assert login("paul", prompt).roles
    assert [q.attempt for q in prompt.asked] == [1, 1, 2]
    assert prompt.asked[2].message == WRONG_CODE
    assert idp.mfa.failed == {"paul": 1}


def _device(idp, name: str, answer: str):
    """The user's device: answers the push it was sent when the prompt announces it."""
    return lambda question: idp.mfa.respond(name, answer)


@pytest.mark.parametrize("first_factor", FIRST_FACTORS)
def test_azure_mfa_push_approved_in_the_app(idp, login, first_factor: str) -> None:
    prompt = Prompt(on_push=_device(idp, "mia", "approve"))
    assert list(login("mia", prompt, first_factor).roles) == ["ReadOnly"]
    assert [(q.kind, q.method, q.attempt) for q in prompt.asked] == [("push", "AzureMfaAuthentication", 1)]


def test_push_waits_while_the_device_has_not_answered(idp, login, poll_clock) -> None:
    answered = []

    def sleep_then_approve(seconds: float) -> None:  # the user approves during the third wait
        poll_clock.sleep(seconds)
        answered.append(seconds)
        if len(answered) == 3:
            idp.mfa.respond("mia", "approve")

    assert login("mia", Prompt(), sleep=sleep_then_approve).roles
    polls = [e for e in idp.events if e["user"] == "mia" and e["outcome"].startswith("mfa_")]
    assert [e["outcome"] for e in polls] == ["mfa_again"] * 3 + ["mfa_done"]


@pytest.mark.parametrize(
    ("name", "answer", "words"),
    [
        ("mia", "deny", AZURE_DENIED),
        ("mia", "expire", AZURE_TIMED_OUT),
        ("tara", "deny", SILVERFORT_DENIED),
        ("tara", "expire", SILVERFORT_EXPIRED),
    ],
    ids=["azure-declined", "azure-timed-out", "silverfort-denied", "silverfort-expired"],
)
def test_refused_push_is_an_mfa_failure_with_the_idps_words(idp, login, name, answer, words) -> None:
    with pytest.raises(MFAFailedError) as failure:
        login(name, Prompt(on_push=_device(idp, name, answer)))
    assert failure.value.idp_message == words
    assert words in str(failure.value)
    polls = [e for e in idp.events if e["user"] == name and e["outcome"].startswith("mfa_")]
    assert len(polls) == 1  # refused at the first answer: no further polling


def test_azure_mfa_server_denied_push_is_an_mfa_failure(idp, login) -> None:
    with pytest.raises(MFAFailedError) as failure:
        login("heidi", Prompt())
    assert failure.value.idp_message == PUSH_DENIED


def test_silverfort_push_approved(idp, login) -> None:
    prompt = Prompt(on_push=_device(idp, "tara", "approve"))
    assert login("tara", prompt).roles
    assert [(q.kind, q.method) for q in prompt.asked] == [("push", "SilverfortAdfs")]


def test_push_never_answered_ends_at_the_bound(idp, login, poll_clock) -> None:
    with pytest.raises(MFAFailedError, match=r"no approval .* within 60 s"):
        login("mia", Prompt())
    polls = [e for e in idp.events if e["user"] == "mia" and e["outcome"] == "mfa_again"]
    assert 1 < len(polls) <= 31  # every 2 s for 60 s, then no more
    assert poll_clock.now <= 62


def test_number_matching_shows_the_number_to_type_in_the_app(idp, login) -> None:
    def type_the_number(question) -> None:
        shown = re.findall(r"\b\d{2}\b", question.message or "")
        assert len(shown) == 1, question.message
        idp.mfa.respond("nick", "approve", number=shown[0])

    prompt = Prompt(on_push=type_the_number)
    assert login("nick", prompt).roles
    assert [(q.kind, q.method) for q in prompt.asked] == [("push", "AzureMfaAuthentication")]
    assert idp.mfa.numbers["nick"][-1] in (prompt.asked[0].message or "")


def test_number_matching_with_the_wrong_number_is_refused(idp, login) -> None:
    def wrong_number(question) -> None:
        shown = re.findall(r"\b\d{2}\b", question.message or "")
        idp.mfa.respond("nick", "approve", number=str((int(shown[0]) + 1) % 100) if shown else "0")

    with pytest.raises(MFAFailedError) as failure:
        login("nick", Prompt(on_push=wrong_number))
    assert failure.value.idp_message == AZURE_WRONG_NUMBER
