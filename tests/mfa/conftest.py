"""Fixtures for the second-factor tests: one login of a lab user, its token, the poll clock."""

from __future__ import annotations

import time

import pyotp
import pytest
from mfa_prompts import PollClock

from samlbroker import SAMLAuthenticationController, UserCredentials


@pytest.fixture
def poll_clock() -> PollClock:
    return PollClock()


@pytest.fixture
def login(lab, password, poll_clock):
    """``login(name, prompt, auth="forms")``: one whole sign-on of a lab user, pushes on the poll clock."""

    def run(name: str, prompt, auth: str = "forms", **options):
        options = {**poll_clock.options(), **options}
        controller = SAMLAuthenticationController(
            verify=str(lab.ca_file), mfa_prompt=prompt, mfa_options=options
        )
        return controller.get_saml_assertion(
            lab.signon_url, UserCredentials(f"LAB\\{name}", password(name)), auth
        )

    return run


@pytest.fixture
def token(lab):
    """``token(name)``: what the user's token shows now (SecurID: PIN and tokencode); ``next_code=True``:
    the tokencode after it, as SecurID's next-tokencode step wants; ``with_pin`` says whether the PIN goes
    first (by default: for a SecurID user)."""

    def show(name: str, next_code: bool = False, with_pin: bool | None = None) -> str:
        user = lab.users[name]
        totp = pyotp.TOTP(user.mfa_secret)
        if next_code:
            return totp.at(time.time() + totp.interval)
        if with_pin is None:
            with_pin = user.mfa in ("securid", "securid-v2")
        return f"{user.pin}{totp.now()}" if with_pin else totp.now()

    return show
