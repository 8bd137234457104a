"""A stand-in for the AWS console federation endpoint (``/federation``) and a console page, for the lab.

``Action=getSigninToken`` checks the ``Session`` JSON (sessionId / sessionKey / sessionToken) against the
sessions the lab STS issued and answers ``{"SigninToken": ...}``; ``Action=login`` redeems the token once,
within 15 minutes, sets a console cookie and redirects to ``/console``, which shows the assumed role ARN.
Never a production service; it binds to loopback only.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, urlsplit

from .httpd import LabHandler, LabHTTPServer

if TYPE_CHECKING:
    import ssl

    from .sts import STSServer

FEDERATION_PATH = "/federation"
CONSOLE_PATH = "/console"
COOKIE = "lab-console-session"
TOKEN_LIFETIME = dt.timedelta(minutes=15)  # AWS: a sign-in token must be used within 15 minutes
CHAINED_SESSION_LIMIT = 3600  # AWS: role-chained credentials cannot ask for a console session over 1 hour


@dataclass
class FederationCall:
    """One request to the federation endpoint: its Action and what came of it."""

    action: str
    outcome: str = "ok"
    session_duration: int | None = None
    destination: str | None = None
    issuer: str | None = None


@dataclass
class _Grant:
    assumed_role_arn: str
    seconds: int
    created: dt.datetime
    used: bool = False


@dataclass
class ConsoleSession:
    """A signed-in console: who, until when, and where the login asked to go."""

    assumed_role_arn: str
    expires: dt.datetime
    destination: str


class FederationError(Exception):
    def __init__(self, status: int, outcome: str, message: str) -> None:
        super().__init__(message)
        self.status, self.outcome, self.message = status, outcome, message


class FederationServer(LabHTTPServer):
    """The lab's console federation endpoint, trusting the sessions of ``sts``."""

    def __init__(
        self,
        sts: STSServer,
        ssl_context: ssl.SSLContext | None = None,
        port: int = 0,
        hostname: str = "localhost",
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        super().__init__(_FederationHandler, ssl_context=ssl_context, port=port, hostname=hostname)
        self.sts = sts
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.calls: list[FederationCall] = []
        self.consoles: dict[str, ConsoleSession] = {}
        self._grants: dict[str, _Grant] = {}
        self._state = threading.Lock()

    @property
    def federation_url(self) -> str:
        return self.url + FEDERATION_PATH

    def reset(self) -> None:
        with self._state:
            self.calls.clear()
        self.reset_counters()

    def signin_token(self, params: dict[str, str]) -> str:
        """Check the session of a getSigninToken request and mint its single-use token."""
        try:
            session = json.loads(params.get("Session", ""))
            key, secret, token = (session[k] for k in ("sessionId", "sessionKey", "sessionToken"))
        except (ValueError, KeyError, TypeError):
            raise FederationError(
                400, "MalformedSession", "Session must be JSON with sessionId, sessionKey, sessionToken"
            ) from None
        issued = self.sts.session_for(str(key), str(token))
        if issued is None or not secrets.compare_digest(
            str(secret).encode(), issued.secret_access_key.encode()
        ):
            raise FederationError(403, "InvalidSession", "The session credentials are not valid")
        now = self.clock()
        if now >= issued.expiration:
            raise FederationError(403, "ExpiredSession", "The session credentials have expired")
        seconds = _session_duration(params.get("SessionDuration"))
        if seconds is not None and issued.chained and seconds > CHAINED_SESSION_LIMIT:
            raise FederationError(
                400,
                "InvalidSessionDuration",
                "SessionDuration over 1 hour is not allowed for role-chained credentials",
            )
        if seconds is None:
            seconds = int((issued.expiration - now).total_seconds())
        signin_token = secrets.token_urlsafe(48)
        with self._state:
            self._grants[signin_token] = _Grant(issued.assumed_role_arn, seconds, now)
        return signin_token

    def redeem(self, params: dict[str, str]) -> tuple[str, ConsoleSession]:
        """Redeem a login request's SigninToken once: a new console cookie and its session."""
        destination = params.get("Destination", "")
        if urlsplit(destination).scheme != "https":
            raise FederationError(400, "InvalidDestination", "Destination must be an https URL")
        now = self.clock()
        with self._state:
            grant = self._grants.get(params.get("SigninToken", ""))
            if grant is None or grant.used or now - grant.created > TOKEN_LIFETIME:
                raise FederationError(
                    403, "InvalidSigninToken", "The sign-in token is invalid or has expired"
                )
            grant.used = True
            cookie = secrets.token_urlsafe(24)
            console = ConsoleSession(
                grant.assumed_role_arn, now + dt.timedelta(seconds=grant.seconds), destination
            )
            self.consoles[cookie] = console
        return cookie, console

    def console_for(self, cookie: str | None) -> ConsoleSession | None:
        with self._state:
            console = self.consoles.get(cookie or "")
        return console if console is not None and self.clock() < console.expires else None

    def record(self, call: FederationCall) -> None:
        with self._state:
            self.calls.append(call)


def _session_duration(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or not 900 <= int(value) <= 43200:
        raise FederationError(400, "InvalidSessionDuration", "SessionDuration must be 900 to 43200 seconds")
    return int(value)


class _FederationHandler(LabHandler):
    server: FederationServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if parts.path == FEDERATION_PATH:
            self._federation(params)
        elif parts.path == CONSOLE_PATH:
            self._console()
        else:
            self.reply(404, "not found", content_type="text/plain")

    def _federation(self, params: dict[str, str]) -> None:
        action = params.get("Action", "")
        call = FederationCall(
            action=action or "(none)",
            session_duration=int(params["SessionDuration"])
            if params.get("SessionDuration", "").isdigit()
            else None,
            destination=params.get("Destination"),
            issuer=params.get("Issuer"),
        )
        self.server.record(call)
        try:
            if action == "getSigninToken":
                token = self.server.signin_token(params)
                self.reply(200, json.dumps({"SigninToken": token}), content_type="application/json")
            elif action == "login":
                cookie, console = self.server.redeem(params)
                location = f"{CONSOLE_PATH}?destination={quote(console.destination, safe='')}"
                self.reply(
                    302,
                    b"",
                    headers=[
                        ("Location", location),
                        ("Set-Cookie", f"{COOKIE}={cookie}; Path=/; Secure; HttpOnly; SameSite=Lax"),
                    ],
                )
            else:
                raise FederationError(400, "InvalidAction", "Action must be getSigninToken or login")
        except FederationError as exc:
            call.outcome = exc.outcome
            self.reply(exc.status, f"{exc.outcome}: {exc.message}", content_type="text/plain")

    def _console(self) -> None:
        jar = SimpleCookie(self.headers.get("Cookie", ""))
        console = self.server.console_for(jar[COOKIE].value if COOKIE in jar else None)
        if console is None:
            self.reply(403, "<!DOCTYPE html><html><body><h1>Not signed in</h1></body></html>")
            return
        page = (
            "<!DOCTYPE html><html><head><title>AWS Management Console (lab)</title></head><body>"
            "<h1>AWS Management Console (lab stand-in)</h1>"
            f'<p>Signed in as <span id="assumed-role-arn">{html.escape(console.assumed_role_arn)}</span></p>'
            f'<p>Destination: <span id="destination">{html.escape(console.destination)}</span></p>'
            f'<p>Session ends: <span id="expires">{console.expires.strftime("%Y-%m-%dT%H:%M:%SZ")}</span></p>'
            "</body></html>"
        )
        self.reply(200, page)
