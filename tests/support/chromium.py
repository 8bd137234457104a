"""The machine's Chromium (Debian's ``chromium``) for the console and browser sign-in tests, and a user stand-in."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field

import pytest

from samlbroker.lab.proxy import ConnectProxy

INSTALL = "chromium is not installed (Debian package chromium; ./dev test installs it)"


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def require_chromium() -> str:
    """The browser's path, or a skip that says how to install it."""
    path = chromium()
    if path is None:
        print(f"SKIPPED: {INSTALL}")
        pytest.skip(INSTALL)
    return path


FILL_ADFS_FORM = """(() => {{
  const form = document.getElementById('loginForm');
  if (!form || !document.getElementById('passwordInput')) return false;
  document.getElementById('userNameInput').value = {user};
  document.getElementById('passwordInput').value = {password};
  document.getElementById('kmsiInput').checked = {kmsi};
  form.submit();
  return true;
}})()"""
CLICK_APPROVE = """(() => {
  const button = document.getElementById('approveButton');
  if (!button) return false;
  button.click();
  return true;
})()"""


@dataclass
class LabUserAtTheBrowser:
    """Acts for a person in the browser: types the lab user's name and password into AD FS's page (ticking
    "keep me signed in" when ``kmsi``) and clicks "Approve" on a second-factor prompt. Records what it did."""

    user: str
    password: str = field(repr=False)
    kmsi: bool = False
    typed_password: int = 0
    approved: int = 0
    pages: list[str] = field(default_factory=list)

    def __call__(self, page) -> None:  # type: ignore[no-untyped-def]
        import json

        self.pages.append(page.url)
        script = FILL_ADFS_FORM.format(
            user=json.dumps(self.user), password=json.dumps(self.password), kmsi=json.dumps(self.kmsi)
        )
        if page.evaluate(script):
            self.typed_password += 1
        elif page.evaluate(CLICK_APPROVE):
            self.approved += 1


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
