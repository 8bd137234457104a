"""The lab's second factors after the first: one-time codes for each code adapter (RFC 6238 TOTP, pyotp,
standing in for the token or app), RSA SecurID's next-tokencode step, pushes approved on a simulated
device, an e-mailed code, and an adapter no built-in handler knows (to show the product's clear error).

Pushes are decided without a clock: ``push = approve`` approves after a few polls, ``deny`` at the first
poll, ``timeout`` never (the client's bound ends it), and ``app`` waits for the test to answer on the
device with :meth:`SecondFactorDesk.respond` (approve, deny, or let it expire), typing the number shown
when the user has number matching. Where the IdP holds a poll open until the device answers
(``IdPVariant.held_polls``), the poll waits on that answer; ``poll_held`` tells a test it is waiting, and
``poll_abandoned`` that the client hung up first.

A user with several methods (``mfa_methods``) first gets the method-choice page (or, with
``IdPVariant.mfa_choice = "default"``, the first method's page with the others under "Sign in using
another method"); posting one of them with the Context starts that adapter.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .mfa_pages import (
    ADAPTERS,
    AZURE_DENIED,
    AZURE_TIMED_OUT,
    AZURE_WRONG_NUMBER,
    CHOOSE_METHOD,
    METHODS,
    NEXT_TOKENCODE,
    PUSH_DENIED,
    PUSH_KINDS,
    SILVERFORT_DENIED,
    SILVERFORT_EXPIRED,
    WRONG_CODE,
    Adapter,
    choice_page,
    mfa_page,
    script_proof,
    securid_start_page,
)

if TYPE_CHECKING:
    from .users import LabUser

__all__ = ["METHODS", "PUSH_DENIED", "WRONG_CODE", "Challenge", "Outcome", "SecondFactorDesk", "render"]

HOLD_STEP = 0.05  # seconds between looks at the client while a held poll waits for the device
HOLD_LIMIT = 1200  # looks before a held poll gives up waiting (a minute): the lab never hangs a test run
_REFUSALS = {  # (denied, expired) in each push adapter's words
    "push": (PUSH_DENIED, "The sign-in request expired."),
    "azure-push": (AZURE_DENIED, AZURE_TIMED_OUT),
    "silverfort": (SILVERFORT_DENIED, SILVERFORT_EXPIRED),
}


@dataclass
class Challenge:
    """One pending second factor, bound to one first-factor session."""

    user: str
    kind: str
    context: str
    polls: int = 0
    failures: int = 0
    email_code: str | None = None
    number: str | None = None  # number matching: what the page shows and the app must be given
    step: str = "code"  # "choose" (several methods), "start" (SecurID v2), "code", "next" (next tokencode)
    passcode_token: str | None = None
    device: str | None = None  # what the user did on the device: approve, deny, expire, or a wrong number
    choices: tuple[str, ...] = ()  # the kinds the user may pick among, when several are enabled
    answered: threading.Event = field(default_factory=threading.Event)  # the device has answered

    @property
    def others(self) -> list[Adapter]:
        """The enabled methods besides the current one (offered under "Sign in using another method")."""
        return [ADAPTERS[kind] for kind in self.choices if kind != self.kind]

    @property
    def adapter(self) -> Adapter:
        return ADAPTERS[self.kind]

    @property
    def method(self) -> str:
        return self.adapter.method


@dataclass
class Outcome:
    """What the IdP does with an answer: ``done``, ``again`` (same page), ``refused`` (error page)."""

    status: str
    message: str | None = None


@dataclass
class SecondFactorDesk:
    """Per-IdP state of the second factors in flight; thread-safe."""

    push_polls: int = 2
    used_codes: set[tuple[str, str]] = field(default_factory=set)
    outbox: dict[str, list[str]] = field(default_factory=dict)
    challenges: dict[str, Challenge] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, list[str]] = field(default_factory=dict)  # every number shown, by user
    poll_held: threading.Event = field(default_factory=threading.Event)  # a held poll waits for the device
    poll_abandoned: threading.Event = field(default_factory=threading.Event)  # ... and its client hung up
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, session: str, user: LabUser, choice_page: bool = True) -> Challenge:
        """Open a challenge for a session whose first factor passed: the method-choice page first when the
        user has several methods (``choice_page``), else the (first) method's page."""
        kinds = user.mfa_methods or (user.mfa,)
        challenge = Challenge(user=user.name, kind=kinds[0], context="", choices=user.mfa_methods)
        if user.mfa_methods and choice_page:
            challenge.step, challenge.context = "choose", secrets.token_urlsafe(24)
        else:
            self._begin(challenge, kinds[0], user)
        with self._lock:
            self.challenges[session] = challenge
        return challenge

    def _begin(self, challenge: Challenge, kind: str, user: LabUser) -> None:
        """Start the adapter ``kind`` on the challenge: its first page, a fresh Context."""
        challenge.kind, challenge.context = kind, secrets.token_urlsafe(24)
        challenge.step = "start" if challenge.adapter.shape == "rsa-v2" else "code"
        challenge.polls, challenge.device, challenge.number, challenge.email_code = 0, None, None, None
        challenge.answered = threading.Event()
        if kind == "email":
            challenge.email_code = f"{secrets.randbelow(10**6):06d}"
        if kind == "azure-push" and user.number_match:
            challenge.number = f"{secrets.randbelow(90) + 10}"
        with self._lock:
            if challenge.email_code:
                self.outbox.setdefault(user.name, []).append(challenge.email_code)
            if challenge.number:
                self.numbers.setdefault(user.name, []).append(challenge.number)

    def pending(self, session: str | None) -> Challenge | None:
        with self._lock:
            return self.challenges.get(session or "")

    def respond(self, user: str, answer: str = "approve", number: str | None = None) -> None:
        """The user's device answers the pending push: ``approve`` (with the number typed, when the page
        shows one), ``deny``, or ``expire`` (the request times out at the IdP)."""
        if answer not in ("approve", "deny", "expire"):
            raise ValueError("answer must be approve, deny or expire")
        with self._lock:
            found = [c for c in self.challenges.values() if c.user == user and c.kind in PUSH_KINDS]
            if not found:
                raise LookupError(f"no push is waiting for {user}")
            for challenge in found:
                if answer == "approve" and challenge.number is not None and number != challenge.number:
                    answer = "wrong-number"
                challenge.device = answer
                challenge.answered.set()

    def answer(
        self,
        session: str,
        form: dict[str, str],
        user: LabUser,
        client_gone: Callable[[], bool] | None = None,
    ) -> Outcome:
        """Check one posted answer; a finished challenge is closed.

        ``client_gone`` (the IdP holds push polls open): a poll waits for the device's answer, looking at
        the client with it, and is abandoned when the client hangs up.
        """
        challenge = self.pending(session)
        if challenge is None or form.get("Context") != challenge.context:
            return Outcome("again", "Your sign-in session expired. Sign in again.")
        method = form.get("AuthMethod")
        picked = next((k for k in challenge.choices if METHODS[k] == method), None)
        if challenge.step == "choose" or (picked is not None and method != challenge.method):
            if picked is None:
                return Outcome("again", CHOOSE_METHOD)
            self._begin(challenge, picked, user)
            return Outcome("chosen")
        if method != challenge.method:
            return Outcome("again", "Your sign-in session expired. Sign in again.")
        if challenge.step == "start":  # SecurID v2: the start page's script posts InitStatus=true
            if form.get("InitStatus") != "true":
                return Outcome("again")
            challenge.step, challenge.context = "code", secrets.token_urlsafe(24)
            return Outcome("started")
        if challenge.kind in PUSH_KINDS:
            return self._poll(session, challenge, user.push, client_gone)
        if challenge.step == "next":
            return self._next_tokencode(session, challenge, user, form.get("NextCode", ""))
        if challenge.kind == "script":
            if secrets.compare_digest(form.get("ScriptProof", ""), script_proof(challenge.context)):
                self._close(session)
                return Outcome("done")
            return self._wrong(challenge, WRONG_CODE)
        adapter = challenge.adapter
        assert adapter.field is not None
        code = form.get(adapter.field, "").strip()
        if challenge.kind == "email":
            ok = secrets.compare_digest(code, challenge.email_code or "-")
        elif challenge.adapter.shape in ("rsa", "rsa-v2"):
            ok = code.startswith(user.pin) and self._totp_ok(user, code[len(user.pin) :])
        else:
            ok = challenge.kind != "duo" and self._totp_ok(user, code)
        if ok and challenge.adapter.shape in ("rsa", "rsa-v2") and user.next_tokencode:
            challenge.step, challenge.passcode_token = "next", code[len(user.pin) :]
            return Outcome("again", None)
        if ok:
            self._close(session)
            return Outcome("done")
        return self._wrong(challenge, WRONG_CODE)

    def _next_tokencode(self, session: str, challenge: Challenge, user: LabUser, code: str) -> Outcome:
        code = code.strip()
        if code != challenge.passcode_token and self._totp_ok(user, code):
            self._close(session)
            return Outcome("done")
        return self._wrong(challenge, WRONG_CODE)

    def _wrong(self, challenge: Challenge, message: str) -> Outcome:
        with self._lock:
            challenge.failures += 1
            self.failed[challenge.user] = self.failed.get(challenge.user, 0) + 1
        return Outcome("again", message)

    def _totp_ok(self, user: LabUser, code: str) -> bool:
        import pyotp

        if not code.isdigit() or not pyotp.TOTP(user.mfa_secret).verify(code, valid_window=1):
            return False
        with self._lock:
            if (user.name, code) in self.used_codes:  # a code works once (RFC 6238 section 5.2)
                return False
            self.used_codes.add((user.name, code))
        return True

    def _poll(
        self, session: str, challenge: Challenge, policy: str, client_gone: Callable[[], bool] | None
    ) -> Outcome:
        denied, expired = _REFUSALS[challenge.kind]
        with self._lock:
            challenge.polls += 1
            polls, device = challenge.polls, challenge.device
        if policy == "approve" and polls >= self.push_polls:
            device = "approve"
        elif policy == "deny":
            device = "deny"
        if device is None and client_gone is not None:
            if not self._hold(challenge, client_gone):
                return Outcome("abandoned")
            with self._lock:
                device = challenge.device
        if device is None:
            return Outcome("again", None)
        self._close(session)
        if device == "approve":
            return Outcome("done")
        words = {"deny": denied, "expire": expired, "wrong-number": AZURE_WRONG_NUMBER}[device]
        return Outcome("refused", words)

    def _hold(self, challenge: Challenge, client_gone: Callable[[], bool]) -> bool:
        """Keep the poll open until the device answers (True); False when the client hangs up first."""
        self.poll_held.set()
        for _ in range(HOLD_LIMIT):
            if challenge.answered.wait(HOLD_STEP):
                return True
            if client_gone():
                self.poll_abandoned.set()
                return False
        return True  # waited a minute: answer with the page again, as an IdP's own timeout would

    def _close(self, session: str) -> None:
        with self._lock:
            self.challenges.pop(session, None)

    def reset(self) -> None:
        with self._lock:
            self.challenges.clear()
            self.used_codes.clear()
            self.outbox.clear()
            self.failed.clear()
            self.numbers.clear()
        self.poll_held.clear()
        self.poll_abandoned.clear()


def render(
    action: str, challenge: Challenge, who: str, message: str | None = None, style: str = "links"
) -> str:
    """The page for the challenge's current step, with the IdP's error text when there is one; other enabled
    methods are offered as ``style`` (links or buttons)."""
    if challenge.step == "choose":
        adapters = [ADAPTERS[kind] for kind in challenge.choices]
        return choice_page(action, adapters, challenge.context, who, style, error=message)
    if challenge.step == "start":
        return securid_start_page(action, challenge.adapter, challenge.context, who)
    if challenge.step == "next":
        return mfa_page(
            action, challenge.adapter, challenge.context, who, error=message, field="NextCode",
            label=NEXT_TOKENCODE, others=challenge.others, style=style,
        )  # fmt: skip
    return mfa_page(
        action, challenge.adapter, challenge.context, who, error=message, number=challenge.number,
        others=challenge.others, style=style,
    )  # fmt: skip
