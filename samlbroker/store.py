"""Writing INI files (credentials, config): atomic, serialized across processes, every other byte kept."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError
from .ini import decode_ini, read_ini

if TYPE_CHECKING:
    from .sts import Credentials

_SECTION = re.compile(r"^\s*\[([^\]]+)\]")
_KEY = re.compile(r"^\s*([^=:\s;#\[][^=:]*?)\s*[=:]")
# A line as configparser and botocore read the file (universal newlines): not str.splitlines(), which also
# breaks at form feeds, U+2028 and the like inside a value.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def credentials_path() -> Path:
    """``AWS_SHARED_CREDENTIALS_FILE`` or ``~/.aws/credentials``."""
    from .ini import credentials_path as path

    return Path(path())


def atomic_write(path: str | os.PathLike[str], text: str, mode: int = 0o600) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves the old file or the new one, never a torn one.

    A symbolic link is followed: its target is replaced, the link stays.
    """
    path = Path(os.path.realpath(path))
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
def file_lock(path: str | os.PathLike[str]) -> Iterator[None]:
    """An exclusive inter-process lock on ``path``.lock (flock / msvcrt), held for the block."""
    path = Path(path)
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


def replace_section(text: str, section: str, values: Mapping[str, str | None]) -> str:
    """``text`` with ``[section]``'s keys in ``values`` set (in place, else appended); all else untouched.

    A value of None removes that key (with its continuation lines). A missing section is appended.
    """
    lines = _LINE.findall(text)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    start = next((i for i, line in enumerate(lines) if _section_of(line) == section), None)
    if start is None:
        body = "".join(f"{k} = {v}{newline}" for k, v in values.items() if v is not None)
        if not body and values:
            return text  # only removals, and there is nothing to remove from
        prefix = "" if not text or text.endswith(("\n", "\r")) else newline
        blank_before = not text.strip() or lines[-1].strip() == ""
        gap = "" if blank_before else newline
        return f"{text}{prefix}{gap}[{section}]{newline}{body}"
    end = next((i for i in range(start + 1, len(lines)) if _section_of(lines[i]) is not None), len(lines))
    pending = dict(values)
    body: list[str] = []
    skipping = False  # inside the continuation lines of a key being replaced or removed
    for line in lines[start + 1 : end]:
        if skipping and _is_continuation(line):
            continue
        skipping = False
        match = _KEY.match(line)
        if match and match.group(1) in pending:
            skipping = True
            value = pending.pop(match.group(1))
            if value is not None:
                body.append(f"{match.group(1)} = {value}{newline}")
            continue
        body.append(line)
    additions = [f"{k} = {v}{newline}" for k, v in pending.items() if v is not None]
    # New keys go after the section's last key line, before trailing blank lines and comments.
    last_key = max(
        (i for i, line in enumerate(body) if _KEY.match(line) or _is_continuation(line)), default=-1
    )
    head = lines[start]
    if additions:
        if last_key >= 0:
            body[last_key] = _terminated(body[last_key], newline)
        else:
            head = _terminated(head, newline)
    body[last_key + 1 : last_key + 1] = additions
    return "".join([*lines[:start], head, *body, *lines[end:]])


def _is_continuation(line: str) -> bool:
    """An indented, non-blank, non-comment line: configparser reads it as more of the previous value."""
    stripped = line.strip()
    return bool(stripped) and line[:1] in (" ", "\t") and not stripped.startswith(("#", ";"))


def _terminated(line: str, newline: str) -> str:
    return line if line.endswith(("\n", "\r")) else line + newline


def _section_of(line: str) -> str | None:
    match = _SECTION.match(line)
    return match.group(1).strip() if match else None


def check_section_name(section: str) -> None:
    """A ConfigError unless ``[section]`` reads back as the same name (configparser's and botocore's rules).

    Refused: brackets, line-breaking or control characters (a form feed ends a line for ``splitlines``),
    space at either end (configparser strips it), and a comment mark after a space (read as a comment).
    """
    bad = (
        not section.strip()
        or section != section.strip()
        or any(
            ch in "[]" or (ch.isspace() and ch not in " \t") or ord(ch) < 32 or ord(ch) == 127
            for ch in section
        )
        or re.search(r"\s[;#]", section) is not None
    )
    if bad:
        raise ConfigError(f"{section!r} cannot be a section name: it would not read back as the same name")


def write_section(
    path: str | os.PathLike[str], section: str, values: Mapping[str, str | None], mode: int | None = None
) -> Path:
    """Set (or, for None, remove) keys of ``[section]`` in the INI file at ``path``, keeping every other byte.

    Serialized with other writers by a lock file; a file that does not parse is reported (ConfigError with
    path and line) and left as it is. ``mode`` defaults to the file's own, or 0600 for a new file.
    """
    check_section_name(section)
    path = Path(path)
    with file_lock(path):
        read_ini(path)  # refuses to rewrite a file it cannot parse
        try:
            text = decode_ini(path, path.read_bytes())  # bytes: CRLF line ends stay as they are
            current = path.stat().st_mode & 0o777
        except FileNotFoundError:
            text, current = "", 0o600
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
        atomic_write(path, replace_section(text, section, values), current if mode is None else mode)
    return path


def write_credentials(profile: str, credentials: Credentials, path: Path | None = None) -> Path:
    """Store ``credentials`` as ``[profile]`` in the shared credentials file (0600); a malformed file is left alone."""
    values = {
        "aws_access_key_id": credentials.access_key_id,
        "aws_secret_access_key": credentials.secret_access_key,
        "aws_session_token": credentials.session_token,
        "x_security_token_expires": credentials.expiration.isoformat().replace("+00:00", "Z"),
    }
    return write_section(path or credentials_path(), profile, values, mode=0o600)
