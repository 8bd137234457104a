"""Talking to the person at the terminal: hidden password prompt, role picker, spinner (all on stderr)."""

from __future__ import annotations

import contextlib
import getpass
import itertools
import sys
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, TextIO

from ..errors import RoleNotFoundError, SAMLBrokerError

if TYPE_CHECKING:
    from ..mfa.base import MFAPrompt
    from ..roles import RolePair


def interactive() -> bool:
    """A person is there: stdin and stderr are terminals."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def ask_password(username: str) -> str:
    """Prompt with hidden input; without a terminal, say how scripts pass the password instead."""
    if not interactive():
        raise SAMLBrokerError(
            f"a password is needed for {username} and there is no terminal: use --password-stdin"
        )
    try:
        return getpass.getpass(f"Password for {username}: ", stream=sys.stderr)
    except EOFError:
        raise SAMLBrokerError("no password given") from None


def read_password_stdin() -> str:
    """The first line of standard input, without its line ending."""
    line = sys.stdin.readline()
    if not line:
        raise SAMLBrokerError("--password-stdin: standard input is empty")
    return line.rstrip("\r\n")


def pick_role(roles: Mapping[str, RolePair], stream: TextIO | None = None) -> RolePair:
    """A numbered list on the terminal; a script gets an error listing the choices instead."""
    names = sorted(roles, key=lambda n: (roles[n].account_id, roles[n].role_name, n))
    if not interactive():
        raise RoleNotFoundError(
            f"the assertion grants {len(names)} roles and none was chosen: give --role with one of: "
            + ", ".join(names),
            choices=tuple(names),
        )
    out = stream or sys.stderr
    for number, name in enumerate(names, 1):
        pair = roles[name]
        out.write(f"  {number:>3}  {pair.account_id}  {pair.role_name:<30}  {pair.role_arn}\n")
    while True:
        out.write(f"Role [1-{len(names)}]: ")
        out.flush()
        answer = sys.stdin.readline()
        if not answer:
            raise SAMLBrokerError("no role chosen")
        answer = answer.strip()
        if answer.isdigit() and 1 <= int(answer) <= len(names):
            return roles[names[int(answer) - 1]]
        if answer in roles:
            return roles[answer]
        out.write("  enter one of the numbers above\n")


def mfa_prompt(question: MFAPrompt) -> str | None:
    """The terminal's second-factor hook: hidden input for a code; a push is announced once."""
    if not interactive():
        raise SAMLBrokerError(
            f"the IdP asks for a second factor ({question.method}) and there is no terminal: "
            "run `samlbroker login` on a terminal"
        )
    _pause_spinners()
    if question.message:
        sys.stderr.write(f"{question.message}\n")
    if question.kind == "push":
        sys.stderr.write(f"Approve the sign-in request on your device ({question.method})...\n")
        sys.stderr.flush()
        return None
    again = f" (attempt {question.attempt})" if question.attempt > 1 else ""
    try:
        return getpass.getpass(f"{question.method} code{again}: ", stream=sys.stderr) or None
    except EOFError:
        return None


_spinners: list[Spinner] = []


def _pause_spinners() -> None:
    for spin in _spinners:
        spin.close()


class Spinner:
    """Says on stderr what we are waiting for; silent when stderr is not a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self._label = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def stage(self, label: str) -> None:
        self._label = label
        if self.enabled and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._spin, daemon=True)
            self._thread.start()

    def _spin(self) -> None:
        for frame in itertools.cycle("|/-\\"):
            if self._stop.wait(0.1):
                break
            self.stream.write(f"\r{frame} {self._label}...\033[K")
            self.stream.flush()
        self.stream.write("\r\033[K")
        self.stream.flush()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
            self._thread = None


@contextlib.contextmanager
def spinner() -> Iterator[Spinner]:
    spin = Spinner()
    _spinners.append(spin)
    try:
        yield spin
    finally:
        spin.close()
        _spinners.remove(spin)
