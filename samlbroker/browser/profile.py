"""The browser's own profile folder under ``~/.aws/samlbroker/browser/``: 0700, one login at a time.

The IdP's cookies live there between logins (remembered sessions); the user's daily profile is never used.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from types import TracebackType
from typing import IO

from ..errors import BrowserError

PROFILE_ROOT = Path("~/.aws/samlbroker/browser")


def profile_folder(endpoint_name: str) -> Path:
    """The folder of one endpoint's browser profile (a name safe on every file system)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", endpoint_name) or "default"
    return PROFILE_ROOT.expanduser() / safe


class ProfileLock:
    """Holds ``folder`` (created 0700) for one sign-in; a second one at the same time is a clear error."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._handle: IO[bytes] | None = None

    def __enter__(self) -> Path:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for part in (self.folder.parent, self.folder):
            os.chmod(part, 0o700)
        handle = open(self.folder / "samlbroker.lock", "a+b")
        try:
            _lock_now(handle)
        except OSError:
            handle.close()
            raise BrowserError(
                f"another samlbroker login is using the browser profile {self.folder}: finish that one first"
            ) from None
        self._handle = handle
        return self.folder

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()  # closing releases the lock


def _lock_now(handle: IO[bytes]) -> None:
    """An exclusive lock without waiting; OSError when another process holds it."""
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
