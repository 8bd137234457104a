"""Running a command on a real pseudo-terminal, as a person at a terminal would."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager


class Terminal:
    """The leader side of a pty: what the program wrote so far, and a way to type."""

    def __init__(self, fd: int, process: subprocess.Popen[bytes]) -> None:
        self.fd = fd
        self.process = process
        self.seen = bytearray()

    def read_until(self, wanted: bytes, limit: float = 30) -> None:
        """Read the screen until ``wanted`` shows up (a clear failure naming it when it never does)."""
        deadline = time.monotonic() + limit
        while wanted not in self.seen:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"never saw {wanted!r} in {bytes(self.seen)[-400:]!r}"
            if select.select([self.fd], [], [], remaining)[0]:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    chunk = b""
                assert chunk, f"terminal closed before {wanted!r}: {bytes(self.seen)[-400:]!r}"
                self.seen.extend(chunk)

    def drain(self, quiet: float = 0.2) -> None:
        """Read what is left once the program is done (until the pty closes or stays quiet)."""
        while select.select([self.fd], [], [], quiet)[0]:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.seen.extend(chunk)

    def type(self, text: bytes) -> None:
        os.write(self.fd, text)

    @property
    def screen(self) -> str:
        return bytes(self.seen).decode(errors="replace")


# Run in the child before the command: a new session whose controlling terminal is the pty on stdin, so
# /dev/tty (where getpass reads and the AWS CLI's children prompt) is this pty, never the outer terminal.
_TAKE_THE_TERMINAL = (
    "import fcntl, os, sys, termios; os.setsid(); fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execvp(sys.argv[1], sys.argv[1:])"
)


@contextmanager
def on_terminal(
    command: Sequence[str], env: dict[str, str], *, stdout: int | None = None, stderr: int | None = None
) -> Iterator[Terminal]:
    """Start ``command`` with a pty as its controlling terminal and its stdin, stdout and stderr.

    ``stdout``/``stderr`` (e.g. ``subprocess.PIPE``) replace the pty for that stream, as the AWS CLI
    captures a ``credential_process``'s output while ``/dev/tty`` stays the terminal. Kills the command
    if the test leaves early.
    """
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", _TAKE_THE_TERMINAL, *command],
        stdin=follower,
        stdout=follower if stdout is None else stdout,
        stderr=follower if stderr is None else stderr,
        env=env,
    )
    os.close(follower)
    try:
        yield Terminal(leader, process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        os.close(leader)
