"""The credentials file: atomic, 0600, serialized across processes, every other section and comment kept."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError
from .profiles import read_ini

if TYPE_CHECKING:
    from .sts import Credentials

_SECTION = re.compile(r"^\s*\[([^\]]+)\]")
_KEY = re.compile(r"^\s*([^=:\s;#\[][^=:]*?)\s*[=:]")


def credentials_path() -> Path:
    """``AWS_SHARED_CREDENTIALS_FILE`` or ``~/.aws/credentials``."""
    return Path(os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials").expanduser()


def atomic_write(path: Path, text: str, mode: int = 0o600) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves the old file or the new one, never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive inter-process lock on ``path``.lock (flock / msvcrt), held for the block."""
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.name == "nt":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def replace_section(text: str, section: str, values: Mapping[str, str]) -> str:
    """``text`` with ``[section]``'s keys in ``values`` set (in place, else appended); all else untouched."""
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    start = next((i for i, line in enumerate(lines) if _section_of(line) == section), None)
    if start is None:
        prefix = "" if not text or text.endswith(("\n", "\r")) else newline
        gap = newline if text.strip() else ""
        body = "".join(f"{k} = {v}{newline}" for k, v in values.items())
        return f"{text}{prefix}{gap}[{section}]{newline}{body}"
    end = next((i for i in range(start + 1, len(lines)) if _section_of(lines[i]) is not None), len(lines))
    pending = dict(values)
    body = lines[start + 1 : end]
    for i, line in enumerate(body):
        match = _KEY.match(line)
        if match and match.group(1) in pending:
            body[i] = f"{match.group(1)} = {pending.pop(match.group(1))}{newline}"
    # New keys go after the section's last key line, before trailing blank lines and comments.
    last_key = max((i for i, line in enumerate(body) if _KEY.match(line)), default=-1)
    head = lines[start]
    if pending:
        if last_key >= 0:
            body[last_key] = _terminated(body[last_key], newline)
        else:
            head = _terminated(head, newline)
    body[last_key + 1 : last_key + 1] = [f"{k} = {v}{newline}" for k, v in pending.items()]
    return "".join([*lines[:start], head, *body, *lines[end:]])


def _terminated(line: str, newline: str) -> str:
    return line if line.endswith(("\n", "\r")) else line + newline


def _section_of(line: str) -> str | None:
    match = _SECTION.match(line)
    return match.group(1).strip() if match else None


def write_credentials(profile: str, credentials: Credentials, path: Path | None = None) -> Path:
    """Store ``credentials`` as ``[profile]`` in the shared credentials file; a malformed file is left alone."""
    path = path or credentials_path()
    values = {
        "aws_access_key_id": credentials.access_key_id,
        "aws_secret_access_key": credentials.secret_access_key,
        "aws_session_token": credentials.session_token,
        "x_security_token_expires": credentials.expiration.isoformat().replace("+00:00", "Z"),
    }
    with file_lock(path):
        read_ini(path)  # refuses (ConfigError with path and line) to rewrite a file it cannot parse
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from None
        atomic_write(path, replace_section(text, profile, values))
    return path
