"""The lab's second factors after the first: TOTP (RFC 6238, pyotp), push approval, an e-mailed code,
and an adapter no built-in handler knows (to show the product's clear error)."""

from __future__ import annotations

import html
import secrets
import threading
from dataclasses import dataclass, field

PUSH_METHOD = "AzureMfaServerAuthentication"
TOTP_METHOD = "TOTPAuthenticationProvider"
EMAIL_METHOD = "EmailOtpAdapter"
UNKNOWN_METHOD = "DuoAdfsAdapter"
METHODS = {"totp": TOTP_METHOD, "push": PUSH_METHOD, "email": EMAIL_METHOD, "duo": UNKNOWN_METHOD}

WRONG_CODE = "The code you entered is not valid. Enter the current code from your authenticator app."
PUSH_DENIED = "The sign-in request was denied on your device."
PUSH_WAITING = "We sent a sign-in request to your device. Approve it to continue."


@dataclass
class Challenge:
    """One pending second factor, bound to one first-factor session."""

    user: str
    method: str
    context: str
    polls: int = 0
    failures: int = 0
    email_code: str | None = None


@dataclass
class Outcome:
    """What the IdP does with a second-factor answer: ``done``, ``again`` (same page), or ``denied``."""

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
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, session: str, user: str, kind: str) -> Challenge:
        """Open a challenge for a session whose first factor passed."""
        challenge = Challenge(user=user, method=METHODS[kind], context=secrets.token_urlsafe(24))
        if kind == "email":
            challenge.email_code = f"{secrets.randbelow(10**6):06d}"
            with self._lock:
                self.outbox.setdefault(user, []).append(challenge.email_code)
        with self._lock:
            self.challenges[session] = challenge
        return challenge

    def pending(self, session: str | None) -> Challenge | None:
        with self._lock:
            return self.challenges.get(session or "")

    def answer(self, session: str, form: dict[str, str], secret: str, push: str) -> Outcome:
        """Check one posted answer; a done challenge is closed."""
        challenge = self.pending(session)
        if (
            challenge is None
            or form.get("Context") != challenge.context
            or form.get("AuthMethod") != challenge.method
        ):
            return Outcome("again", "Your sign-in session expired. Sign in again.")
        if challenge.method == PUSH_METHOD:
            return self._poll(session, challenge, push)
        if challenge.method == TOTP_METHOD:
            ok = self._totp_ok(challenge.user, secret, form.get("VerificationCode", ""))
        elif challenge.method == EMAIL_METHOD:
            ok = secrets.compare_digest(form.get("EmailCode", "").strip(), challenge.email_code or "-")
        else:
            ok = False
        if ok:
            self._close(session)
            return Outcome("done")
        with self._lock:
            challenge.failures += 1
            self.failed[challenge.user] = self.failed.get(challenge.user, 0) + 1
        return Outcome("again", WRONG_CODE)

    def _totp_ok(self, user: str, secret: str, code: str) -> bool:
        import pyotp

        code = code.strip()
        if not code.isdigit() or not pyotp.TOTP(secret).verify(code, valid_window=1):
            return False
        with self._lock:
            if (user, code) in self.used_codes:  # a code works once (RFC 6238 section 5.2)
                return False
            self.used_codes.add((user, code))
        return True

    def _poll(self, session: str, challenge: Challenge, push: str) -> Outcome:
        with self._lock:
            challenge.polls += 1
            polls = challenge.polls
        if push == "deny":
            self._close(session)
            return Outcome("denied", PUSH_DENIED)
        if push == "approve" and polls >= self.push_polls:
            self._close(session)
            return Outcome("done")
        return Outcome("again", PUSH_WAITING)

    def _close(self, session: str) -> None:
        with self._lock:
            self.challenges.pop(session, None)

    def reset(self) -> None:
        with self._lock:
            self.challenges.clear()
            self.used_codes.clear()
            self.outbox.clear()
            self.failed.clear()


def mfa_page(action: str, challenge: Challenge, who: str, message: str | None = None) -> str:
    """AD FS's additional-authentication page (form ``options``, AuthMethod, Context) for the challenge."""
    if challenge.method == TOTP_METHOD:
        body = (
            '<label for="verificationCodeInput">Enter the code from your authenticator app</label>'
            '<input id="verificationCodeInput" name="VerificationCode" type="text" autocomplete="off"/>'
        )
    elif challenge.method == EMAIL_METHOD:
        body = (
            '<label for="emailCodeInput">We e-mailed you a code</label>'
            '<input id="emailCodeInput" name="EmailCode" type="text" autocomplete="off"/>'
        )
    elif challenge.method == PUSH_METHOD:
        body = '<div id="instructions">' + html.escape(PUSH_WAITING) + "</div>"
    else:
        body = '<iframe id="duo_iframe" title="Two-factor authentication" src="about:blank"></iframe>'
    error = f'<span id="errorText" class="error">{html.escape(message)}</span>' if message else ""
    return (
        "<!DOCTYPE html><html><head><title>Sign In</title></head><body>"
        f'<div id="mfaGreetingDescription">For security reasons, we require additional information to verify '
        f"your account ({html.escape(who)})</div>{error}"
        f'<form method="post" id="options" autocomplete="off" novalidate="novalidate" action="{html.escape(action)}">'
        f'<input id="authMethod" type="hidden" name="AuthMethod" value="{challenge.method}"/>'
        f'<input id="context" type="hidden" name="Context" value="{challenge.context}"/>'
        f'{body}<input id="submitButton" type="submit" value="Continue"/></form></body></html>'
    )
