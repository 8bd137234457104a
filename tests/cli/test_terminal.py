"""A person at a terminal: hidden password prompt, numbered role list, spinner; run in a real pseudo-terminal."""

from __future__ import annotations

import sys

from pty_session import on_terminal


def test_terminal_user_types_the_password_and_picks_a_role_by_number(
    lab, cli_env, aws_home, password
) -> None:
    command = [sys.executable, "-m", "samlbroker", "login", "--endpoint-url", lab.signon_url, "--auth-type",
               "ntlm", "--ca-bundle", str(lab.ca_file), "--user", "LAB\\alice", "--save-as", "picked"]  # fmt: skip
    with on_terminal(command, cli_env) as term:
        term.read_until(b"Password for LAB\\alice: ")
        term.type(password("alice").encode() + b"\n")
        term.read_until(b"Role [1-3]: ")
        lines = [line for line in term.screen.splitlines() if "arn:aws:iam::" in line]
        assert len(lines) == 3
        number = next(line.split()[0] for line in lines if "444455556666" in line and "Developer" in line)
        term.type(number.encode() + b"\n")
        term.read_until(b"logged in as arn:aws:iam::444455556666:role/Developer")
        assert term.process.wait(timeout=30) == 0
    assert password("alice").encode() not in term.seen  # hidden input: never echoed
    assert "[picked]" in (aws_home / ".aws" / "credentials").read_text()
