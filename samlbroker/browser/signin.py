"""One browser sign-in: open the endpoint, let the user (or the IdP's remembered session) sign in, catch the
SAMLResponse on its way to AWS, answer it locally, close the browser. Bounded by one overall deadline."""

from __future__ import annotations

import base64
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from ..errors import BrowserError, InteractionRequiredError, SAMLBrokerError
from .acs import AcsMatcher, done_page, saml_response_of
from .pipe import CDPPipe, Message, PageMovedOnError

log = logging.getLogger("samlbroker.browser")

DEFAULT_DEADLINE = 300.0
SETTLE = 10.0  # without a user: seconds a loaded page may sit still before it is judged to wait for one
DONE_PAUSE = 1.5  # with a window: how long the "login done" page stays before the browser closes
QUIET_FLAGS = (
    # Nothing but the sign-in: on a closed network these would hang on Google's hosts.
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-features=Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions,"
    "AutofillServerCommunication",
    "--no-startup-window",
)
# Hosts the sign-in browser must never reach: AWS's sign-in pages (the SAMLResponse is answered here, and a
# preconnect would still open a connection) and the update service (nothing is updated in this profile).
UNREACHABLE_HOSTS = (
    "signin.aws.amazon.com",
    "*.signin.aws.amazon.com",
    "signin.amazonaws-us-gov.com",
    "*.signin.amazonaws-us-gov.com",
    "signin.amazonaws.cn",
    "*.signin.amazonaws.cn",
    "update.googleapis.com",
)
# True when the page shows something a person must act on: a visible field or button.
NEEDS_USER_JS = """(() => {
  for (const e of document.querySelectorAll('input:not([type=hidden]), textarea, select, button')) {
    if (e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden') return true;
  }
  return false;
})()"""


@dataclass
class BrowserPage:
    """A loaded page, as a ``page_hook`` sees it (plugins and tests acting for the user)."""

    pipe: CDPPipe
    session: str
    target_id: str
    deadline: float

    def evaluate(self, expression: str) -> Any:
        """Run JavaScript in the page; its value (awaited when it is a promise)."""
        result = self.pipe.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            self.session,
            deadline=self.deadline,
        )
        if "exceptionDetails" in result:
            raise BrowserError("a script in the sign-in page failed")
        return result.get("result", {}).get("value")

    @property
    def url(self) -> str:
        return str(self.evaluate("location.href"))


PageHook = Callable[[BrowserPage], None]


@dataclass
class BrowserSignIn:
    """How to run the browser for one endpoint (see ``samlbroker.authenticators.browser``).

    ``window``: show one (the user signs in); without, the sign-in must go through on remembered cookies and
    a page that needs the user fails at once with ``needs_user_hint``. ``page_hook`` is called on each loaded
    page and counts as the user being there.
    """

    profile_dir: Path
    executable: str | None = None
    window: bool = True
    acs_url: str | None = None
    deadline: float = DEFAULT_DEADLINE
    ca_bundle: str | None = None
    proxy: str | None = None
    page_hook: PageHook | None = None
    needs_user_hint: str = "run `samlbroker login` to sign in with a window"
    settle: float = SETTLE
    extra_args: tuple[str, ...] = ()
    last_pid: int | None = field(default=None, init=False)

    def run(self, endpoint_url: str) -> str:
        """The base64 SAMLResponse the IdP posted, caught before it left the browser."""
        from .locate import find_browser
        from .profile import ProfileLock

        if sys.platform == "win32":
            raise BrowserError(
                "browser sign-in does not run on Windows yet (the DevTools pipe needs fds 3 and 4)"
            )
        if (
            self.window
            and sys.platform.startswith("linux")
            and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        ):
            raise BrowserError(
                "no display to open the browser window on (DISPLAY is not set): set browser_headless = yes "
                "to sign in on remembered cookies only"
            )
        executable = find_browser(self.executable)
        deadline = time.monotonic() + self.deadline
        pins = self._pins(endpoint_url)
        with ProfileLock(self.profile_dir) as folder:
            keep_secrets_off_disk(folder)
            pipe = CDPPipe(self._argv(executable, folder, pins))
            self.last_pid = pipe.process.pid
            log.info("browser %s started (profile %s)", executable, folder)
            try:
                return _Session(self, pipe, deadline).sign_in(endpoint_url)
            finally:
                pipe.close(time.monotonic() + 10)

    def _pins(self, endpoint_url: str) -> list[str]:
        if not self.ca_bundle:
            return []
        from .trust import spki_pins

        urls = [endpoint_url] + ([self.acs_url] if self.acs_url else [])
        return spki_pins(self.ca_bundle, urls, self.proxy)

    def _argv(self, executable: Path, folder: Path, pins: list[str]) -> list[str]:
        argv = [str(executable), f"--user-data-dir={folder}", "--remote-debugging-pipe", *QUIET_FLAGS]
        if not self.window:
            argv += ["--headless=new", "--disable-gpu"]
        if sys.platform.startswith("linux"):
            argv.append("--password-store=basic")  # no keyring prompt; the folder itself is 0700
            if os.geteuid() == 0:
                argv.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        if pins:
            argv.append("--ignore-certificate-errors-spki-list=" + ",".join(pins))
        argv.append(
            "--host-resolver-rules=" + ", ".join(f"MAP {host} ~NOTFOUND" for host in UNREACHABLE_HOSTS)
        )
        if self.proxy:
            # The endpoint's proxy carries every request, loopback too, as it does for the HTTP sign-ins, but
            # not the unreachable hosts (resolved here, to nothing); its user and password (if any) are
            # answered over the pipe, never put on the command line.
            bypass = ";".join(("<-loopback>", *UNREACHABLE_HOSTS))
            argv += [f"--proxy-server={_without_userinfo(self.proxy)}", f"--proxy-bypass-list={bypass}"]
        return [*argv, *self.extra_args]


class _Session:
    """The event loop of one sign-in."""

    def __init__(self, settings: BrowserSignIn, pipe: CDPPipe, deadline: float) -> None:
        self.settings = settings
        self.pipe = pipe
        self.deadline = deadline
        self.matcher = AcsMatcher(settings.acs_url)
        self.pages: dict[str, str] = {}  # session id -> target id
        self.urls: dict[str, str] = {}  # session id -> the main frame's address
        self.first = True
        self.user_present = settings.window or settings.page_hook is not None
        self.quiet_until: float | None = None

    def call(self, method: str, params: Message | None = None, session: str | None = None) -> Message:
        return self.pipe.call(method, params, session, deadline=self.deadline)

    def sign_in(self, endpoint_url: str) -> str:
        try:
            return self._sign_in(endpoint_url)
        except BrowserError as exc:
            if time.monotonic() >= self.deadline and not isinstance(exc, InteractionRequiredError):
                raise self._deadline_passed() from None  # whatever was waiting when time ran out
            raise

    def _deadline_passed(self) -> BrowserError:
        return BrowserError(
            f"no SAML response within {self.settings.deadline:g} s: the sign-in was not finished"
        )

    def _sign_in(self, endpoint_url: str) -> str:
        self.endpoint_url = endpoint_url
        self.pipe.early = self._on_reader_thread
        self.call(
            "Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True}
        )
        self.call("Target.createTarget", {"url": "about:blank"})
        while True:
            wake = self.deadline if self.quiet_until is None else min(self.deadline, self.quiet_until)
            event = self.pipe.next_event(wake)
            if event is None:
                if time.monotonic() >= self.deadline:
                    raise self._deadline_passed()
                raise self._needs_user("a page waited for input")
            found = self._handle(event)
            if found is not None:
                return found

    def _handle(self, event: Message) -> str | None:
        method = event.get("method", "")
        params = event.get("params", {})
        session = event.get("sessionId")
        if method == "samlbroker.pipeClosed":
            raise self.pipe.stopped_error()
        if method == "Target.attachedToTarget":
            self._attached(params)
        elif method == "Target.detachedFromTarget":
            self.pages.pop(params.get("sessionId", ""), None)
            if not self.pages:
                raise BrowserError("the browser window was closed before the login finished")
        elif method == "samlbroker.caught":
            return self._caught(event)
        elif method == "Fetch.authRequired":
            self._auth_required(params, session)
        elif method == "Page.frameNavigated" and not params.get("frame", {}).get("parentId"):
            self.urls[session or ""] = params.get("frame", {}).get("url", "")
        elif method == "Page.frameStartedLoading":
            self.quiet_until = None  # a navigation is on its way: not waiting for anyone
        elif method == "Page.loadEventFired" and session in self.pages and self._shows_a_page(session):
            self._loaded(session)
        elif method == "Inspector.targetCrashed" and session in self.pages:
            raise BrowserError(
                "the sign-in page crashed before the login finished (its render process is gone)"
            )
        elif method == "Page.javascriptDialogOpening" and not self.user_present:
            raise self._needs_user("the page opened a dialog")
        return None

    def _attached(self, params: Message) -> None:
        session, info = params["sessionId"], params.get("targetInfo", {})
        if info.get("type") != "page":
            self.pipe.send("Runtime.runIfWaitingForDebugger", session=session)
            return
        self.pages[session] = info.get("targetId", "")
        patterns = [{"urlPattern": p, "requestStage": "Request"} for p in self.matcher.url_patterns()]
        self.call(
            "Fetch.enable", {"patterns": patterns, "handleAuthRequests": bool(self.settings.proxy)}, session
        )
        self.call("Page.enable", {}, session)
        self.call("Inspector.enable", {}, session)  # tells when the page's renderer crashes
        self.call("Runtime.runIfWaitingForDebugger", {}, session)
        if self.first:
            self.first = False
            self.pipe.send(
                "Page.navigate", {"url": self.endpoint_url}, session
            )  # answered only once it commits

    def _shows_a_page(self, session: str) -> bool:
        """The load is of a real page, not the blank one a new window starts on (navigating away at once)."""
        return self.urls.get(session, "about:blank") not in ("about:blank", "")

    def _loaded(self, session: str) -> None:
        page = BrowserPage(self.pipe, session, self.pages[session], self.deadline)
        if self.settings.page_hook is not None:
            self.settings.page_hook(page)
        elif not self.user_present:
            try:
                needs_user = page.evaluate(NEEDS_USER_JS)
            except PageMovedOnError:
                return  # it moved on by itself (an auto-post page): the next page's load is checked
            if needs_user:
                raise self._needs_user("the page shows a form")
            self.quiet_until = time.monotonic() + self.settings.settle

    def _on_reader_thread(self, event: Message) -> bool:
        """Paused requests are answered as they arrive, never behind a busy main thread (a page script the
        hook is running waits for the very navigation that is paused): others go on, the SAML post is read,
        answered with the done page, and handed to the main thread as a ``samlbroker.caught`` event."""
        if event.get("method") != "Fetch.requestPaused":
            return False
        params, session = event.get("params", {}), event.get("sessionId")
        request = params.get("request", {})
        if not self.matcher.matches(request.get("method", ""), request.get("url", "")):
            self.pipe.send("Fetch.continueRequest", {"requestId": params["requestId"]}, session)
            return True
        caught: Message = {"method": "samlbroker.caught"}
        try:
            caught["value"] = saml_response_of(_post_body(request))
            page = done_page(True, "The SAML response was received by samlbroker. You can close this window.")
        except SAMLBrokerError as exc:
            caught["error"] = exc
            page = done_page(False, str(exc))
        self.pipe.send("Fetch.fulfillRequest", _fulfilment(params["requestId"], page), session)
        self.pipe.events.put(caught)
        return True

    def _caught(self, event: Message) -> str:
        if "error" in event:
            raise event["error"]
        if self.settings.window:
            time.sleep(min(DONE_PAUSE, max(0.0, self.deadline - time.monotonic())))
        return str(event["value"])

    def _auth_required(self, params: Message, session: str | None) -> None:
        challenge = params.get("authChallenge", {})
        proxy = urlsplit(self.settings.proxy or "")
        if challenge.get("source") == "Proxy" and proxy.username:
            answer = {
                "response": "ProvideCredentials",
                "username": unquote(proxy.username),
                "password": unquote(proxy.password or ""),
            }
        else:
            answer = {"response": "Default"}
        self.pipe.send(
            "Fetch.continueWithAuth",
            {"requestId": params["requestId"], "authChallengeResponse": answer},
            session,
        )

    def _needs_user(self, why: str) -> InteractionRequiredError:
        return InteractionRequiredError(
            f"the sign-in needs you ({why}) and no window may be shown here: {self.settings.needs_user_hint}"
        )


# The profile's own settings, set before every start: passwords typed into the IdP's page are never saved
# (nor checked against Google's leak service), no autofill, no sign-in to the browser itself.
PROFILE_PREFERENCES: dict[str, Any] = {
    "credentials_enable_service": False,
    "profile": {"password_manager_enabled": False, "password_manager_leak_detection": False},
    "autofill": {"profile_enabled": False, "credit_card_enabled": False},
    "signin": {"allowed": False},
    "browser": {"check_default_browser": False},
}


def keep_secrets_off_disk(folder: Path) -> None:
    """Merge ``PROFILE_PREFERENCES`` into the profile's Preferences file (0600), keeping the rest as it is."""
    import json

    from ..store import atomic_write

    path = folder / "Default" / "Preferences"
    path.parent.mkdir(mode=0o700, exist_ok=True)
    try:
        current = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = {}
    if not isinstance(current, dict):
        current = {}
    atomic_write(path, json.dumps(_merged(current, PROFILE_PREFERENCES)), mode=0o600)


def _merged(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def _post_body(request: Message) -> bytes:
    """The posted form as Fetch hands it over (``postDataEntries``, or the older ``postData``)."""
    entries = request.get("postDataEntries")
    if entries:
        return b"".join(base64.b64decode(e.get("bytes", "")) for e in entries)
    return str(request.get("postData", "")).encode("utf-8")


def _fulfilment(request_id: str, page: bytes) -> Message:
    return {
        "requestId": request_id,
        "responseCode": 200,
        "responseHeaders": [
            {"name": "Content-Type", "value": "text/html; charset=utf-8"},
            {"name": "Cache-Control", "value": "no-store"},
        ],
        "body": base64.b64encode(page).decode("ascii"),
    }


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
