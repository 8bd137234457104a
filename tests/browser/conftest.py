"""Browser sign-in fixtures: the machine's Chromium, a loopback-only guard proxy, and the authenticator."""

from __future__ import annotations

import pytest

from samlbroker.lab.proxy import ConnectProxy

# Chromium's own Google-account check at start-up (Debian's build has Google API keys compiled in): it
# asks for a tunnel whatever the page is. Refused like everything else, so nothing reaches it; only it is
# not counted against the sign-in. Every other host outside loopback fails the test.
BROWSER_STARTUP_CHECKS = {"accounts.google.com:443"}


class LoopbackGuard(ConnectProxy):
    """The endpoint's proxy in these tests: every request the browser makes comes here (loopback included,
    see ``--proxy-bypass-list=<-loopback>``); loopback is tunnelled, anything else refused and recorded."""

    def __init__(self) -> None:
        self.refused: list[str] = []
        self.startup_checks: list[str] = []
        super().__init__()

    def _target(self, authority: str) -> int | None:
        port = super()._target(authority)
        if port is None:
            (self.startup_checks if authority in BROWSER_STARTUP_CHECKS else self.refused).append(authority)
        return port


@pytest.fixture
def chrome() -> str:
    from chromium import require_chromium

    return require_chromium()


@pytest.fixture
def guard():  # type: ignore[no-untyped-def]
    proxy = LoopbackGuard()
    yield proxy
    proxy.close()
    assert proxy.refused == [], f"the browser tried to leave loopback: {proxy.refused}"


@pytest.fixture
def browser_login(lab, idp, chrome, guard, tmp_path):  # type: ignore[no-untyped-def]
    """``browser_login(url=None, **authenticator_options)``: a headless browser sign-in through the guard;
    returns ``(assertion, authenticator)``. The browser profile is this test's own folder unless given."""
    from samlbroker import SAMLAuthenticationController
    from samlbroker.authenticators.browser import BrowserAuthenticator

    def run(url: str | None = None, **options):  # type: ignore[no-untyped-def]
        options.setdefault("profile_dir", tmp_path / "browser-profile")
        options.setdefault("executable", chrome)
        options.setdefault("window", False)
        options.setdefault("deadline", 60)
        authenticator = BrowserAuthenticator(**options)
        controller = SAMLAuthenticationController(
            authenticator=authenticator, verify=str(lab.ca_file), proxies=guard.url
        )
        try:
            return controller.get_saml_assertion(url or lab.signon_url, None, "browser"), authenticator
        finally:
            run.last = authenticator  # type: ignore[attr-defined]

    return run
