"""Push polls the IdP holds open until the user answers on the device (``IdPVariant.held_polls``).

The lab keeps such a poll waiting on the device's answer (a threading.Event that the test, acting as the
phone, sets) and notes when the client hangs up on it. A held poll may outlast the per-request timeout;
only the push's own bound may end it.
"""

from __future__ import annotations

import threading

import pytest
from mfa_prompts import Prompt

from samlbroker import SAMLAuthenticationController, UserCredentials
from samlbroker.errors import MFAFailedError
from samlbroker.lab.mfa_pages import AZURE_DENIED

REQUEST_TIMEOUT = 1.5  # each request's own bound in these logins: the phone answers later than that
USER = "mia"  # Azure MFA push, answered on the device by the test


@pytest.fixture
def held(idp):
    """The lab IdP holding push polls open until the device answers."""
    idp.variant = idp.variant.but(held_polls=True)
    return idp


def _sign_in(lab, password, timeout: float = REQUEST_TIMEOUT, **mfa_options):
    controller = SAMLAuthenticationController(
        verify=str(lab.ca_file), timeout=timeout, mfa_prompt=Prompt(), mfa_options=mfa_options
    )
    return controller.get_saml_assertion(
        lab.signon_url, UserCredentials(f"LAB\\{USER}", password(USER)), "forms"
    )


@pytest.fixture
def phone(held):
    """``phone(answer, patience=0)``: the user's phone, on its own thread. Once the poll is held it answers;
    with ``patience`` only after the client has hung up on the held poll or that long has passed, whichever
    comes first (a client bound by the per-request timeout hangs up within it). Stopped with the test, so
    it never answers another test's push."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(answer: str, patience: float = 0) -> threading.Thread:
        def act() -> None:
            while not held.mfa.poll_held.wait(0.05):
                if stop.is_set():
                    return
            if patience:
                held.mfa.poll_abandoned.wait(patience)
            if not stop.is_set():
                held.mfa.respond(USER, answer)

        thread = threading.Thread(target=act, name="phone", daemon=True)
        thread.start()
        threads.append(thread)
        return thread

    yield start
    stop.set()
    for thread in threads:
        thread.join(timeout=30)


def _outcomes(idp) -> list[str]:
    return [e["outcome"] for e in idp.events if e["user"] == USER and e["outcome"].startswith("mfa_")]


def test_held_poll_outlasts_the_request_timeout_until_the_phone_approves(lab, held, phone, password) -> None:
    answered = phone("approve", patience=2 * REQUEST_TIMEOUT)
    assertion = _sign_in(lab, password, push_timeout=120)
    answered.join(timeout=60)
    assert list(assertion.roles) == ["ReadOnly"]
    assert not held.mfa.poll_abandoned.is_set()  # the client kept the held poll open
    assert _outcomes(held) == ["mfa_done"]  # one poll, held until the approval, answered on it


def test_held_poll_refused_on_the_phone_is_an_mfa_failure_in_the_idps_words(
    lab, held, phone, password
) -> None:
    answered = phone("deny")
    with pytest.raises(MFAFailedError) as failure:
        _sign_in(lab, password, push_timeout=120)
    answered.join(timeout=60)
    assert failure.value.idp_message == AZURE_DENIED
    assert _outcomes(held) == ["mfa_refused"]


def test_held_poll_never_answered_ends_at_the_push_bound_as_an_mfa_failure(lab, held, password) -> None:
    # Each request may wait 30 s, the push only 1 s: the held poll is given up at the push's bound and
    # reported as an unapproved push, not as an IdP that did not answer.
    with pytest.raises(MFAFailedError, match=r"no approval of the AzureMfaAuthentication request within 1 s"):
        _sign_in(lab, password, timeout=30, push_timeout=1)
    assert held.mfa.poll_abandoned.wait(30)  # the client hung up on the held poll
    assert _outcomes(held) == ["mfa_abandoned"]
