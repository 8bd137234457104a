"""Find the installed Chrome, Chromium or Edge: ``browser_path``, ``SAMLBROKER_BROWSER``, PATH, usual places."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ..errors import BrowserError

BROWSER_ENV = "SAMLBROKER_BROWSER"
PATH_NAMES = (
    "google-chrome",
    "google-chrome-stable",
    "chromium",
    "chromium-browser",
    "microsoft-edge",
    "microsoft-edge-stable",
    "chrome",
    "msedge",
)
MACOS_APPS = (
    "Google Chrome.app/Contents/MacOS/Google Chrome",
    "Chromium.app/Contents/MacOS/Chromium",
    "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
)
WINDOWS_APPS = (
    r"Google\Chrome\Application\chrome.exe",
    r"Microsoft\Edge\Application\msedge.exe",
    r"Chromium\Application\chrome.exe",
)
LINUX_PLACES = ("/opt/google/chrome/chrome", "/opt/microsoft/msedge/msedge", "/snap/bin/chromium")


def find_browser(explicit: str | None = None) -> Path:
    """The browser to run: ``explicit`` (the endpoint's ``browser_path``), else ``$SAMLBROKER_BROWSER``, else found."""
    chosen = explicit or os.environ.get(BROWSER_ENV)
    if chosen:
        found = shutil.which(os.path.expanduser(chosen))
        if found is None:
            source = "browser_path" if explicit else BROWSER_ENV
            raise BrowserError(f"{source} {chosen!r} is not an executable browser")
        return Path(found)
    for candidate in candidates():
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise BrowserError(
        "no Chrome, Chromium or Edge found: install one, or set browser_path on the endpoint "
        f"(or {BROWSER_ENV}) to its executable"
    )


def candidates() -> list[Path]:
    """Where browsers live on this system, most likely first (PATH, then the platform's usual places)."""
    found = [Path(p) for p in (shutil.which(name) for name in PATH_NAMES) if p]
    if sys.platform == "darwin":
        for root in ("/Applications", os.path.expanduser("~/Applications")):
            found += [Path(root, app) for app in MACOS_APPS]
    elif sys.platform == "win32":
        roots = (os.environ.get(v) for v in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA"))
        found += [Path(root, app) for root in roots if root for app in WINDOWS_APPS]
    else:
        found += [Path(p) for p in LINUX_PLACES]
    return found
