"""Browser sign-in fixtures: the machine's Chromium, a loopback-only guard proxy, and the authenticator."""

from __future__ import annotations

import pytest
from chromium import LoopbackGuard


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
