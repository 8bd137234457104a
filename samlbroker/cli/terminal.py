"""Talking to the person at the terminal: hidden password prompt, role picker, spinner (all on stderr)."""

from __future__ import annotations

import contextlib
import getpass
import itertools
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, TextIO

from ..errors import MFAFailedError, RoleNotFoundError, SAMLBrokerError

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


FILTER_FROM = 20  # more roles than this: the picker filters as the user types
SHOWN = 12


def pick_role(
    roles: Mapping[str, RolePair],
    stream: TextIO | None = None,
    account_names: Mapping[str, str] | None = None,
) -> RolePair:
    """A numbered list on the terminal (filtered as you type when there are many); a script gets an error."""
    names = sorted(roles, key=lambda n: (roles[n].account_id, roles[n].role_name, n))
    if not interactive():
        raise RoleNotFoundError(
            f"the assertion grants {len(names)} roles and none was chosen: give --role with one of: "
            + ", ".join(names),
            choices=tuple(names),
        )
    out = stream or sys.stderr
    _pause_spinners()
    if len(names) > FILTER_FROM and _can_read_keys():
        return roles[_filter_as_you_type(roles, names, out, account_names)]
    for number, name in enumerate(names, 1):
        out.write(_role_line(number, roles[name], account_names))
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


def _role_line(number: int, pair: RolePair, account_names: Mapping[str, str] | None) -> str:
    name = (account_names or {}).get(pair.account_id)
    account = f"{name} ({pair.account_id})" if name else pair.account_id
    return f"  {number:>3}  {account:<28}  {pair.role_name:<30}  {pair.role_arn}\n"


def _can_read_keys() -> bool:
    try:
        import termios  # noqa: F401 - POSIX terminals only; elsewhere the numbered list
        import tty  # noqa: F401
    except ImportError:
        return False
    return True


def _filter_as_you_type(
    roles: Mapping[str, RolePair], names: list[str], out: TextIO, account_names: Mapping[str, str] | None
) -> str:
    """Redraw the best matches after every key; Up/Down move the mark, Enter takes the marked role."""
    import termios
    import tty

    from ..accounts import filter_roles

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    query, cursor, drawn = "", 0, 0
    try:
        tty.setcbreak(fd)
        while True:
            matches = filter_roles(roles, query, account_names) if query.strip() else names
            cursor = min(cursor, max(len(matches), 1) - 1)
            out.write("\r\033[K" + "\033[F\033[K" * drawn)  # back over the last drawing
            lines = [
                (">" if i == cursor else " ") + _role_line(i + 1, roles[n], account_names)[1:]
                for i, n in enumerate(matches[:SHOWN])
            ]
            if len(matches) > SHOWN:
                lines.append(f"  ... {len(matches) - SHOWN} more: type to narrow\n")
            out.write("".join(lines) + f"Filter ({len(matches)} of {len(names)}; Enter picks >): {query}")
            out.flush()
            drawn = len(lines)
            key = _read_key(fd)
            if key == "enter" and matches:
                out.write("\n")
                return matches[cursor]
            if key == "up":
                cursor = max(cursor - 1, 0)
            elif key == "down":
                cursor = min(cursor + 1, min(len(matches), SHOWN) - 1)
            elif key == "backspace":
                query, cursor = query[:-1], 0
            elif key == "quit":
                out.write("\n")
                raise SAMLBrokerError("no role chosen")
            elif len(key) == 1 and key.isprintable():
                query, cursor = query + key, 0
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _read_key(fd: int) -> str:
    """One key press: a character, or enter / backspace / up / down / quit."""
    import select

    char = os.read(fd, 1).decode(errors="ignore")
    if char in ("\r", "\n"):
        return "enter"
    if char in ("\x7f", "\b"):
        return "backspace"
    if char in ("\x03", "\x04", ""):
        return "quit"
    if char == "\x1b":
        if not select.select([fd], [], [], 0.05)[0]:
            return "quit"  # Esc alone
        sequence = os.read(fd, 2).decode(errors="ignore")
        return {"[A": "up", "[B": "down", "OA": "up", "OB": "down"}.get(sequence, "")
    return char


def mfa_prompt(question: MFAPrompt) -> str | None:
    """The terminal's second-factor hook: hidden input for a code; a push is announced once."""
    if not interactive():
        raise MFAFailedError(
            f"the IdP asks for a second factor ({question.method}) and there is no terminal: "
            "run `samlbroker login` on a terminal"
        )
    _pause_spinners()
    if question.message:
        sys.stderr.write(f"{question.message}\n")
    if question.kind == "push":
        sys.stderr.write(f"Approve the sign-in request on your device ({question.method}).\n")
        sys.stderr.flush()
        _resume_spinners("waiting for your approval")
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


def _resume_spinners(label: str) -> None:
    for spin in _spinners:
        spin.stage(label)


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
