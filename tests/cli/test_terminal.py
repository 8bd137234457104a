"""A person at a terminal: hidden password prompt, numbered role list, spinner; run in a real pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time


def _read_until(fd: int, wanted: bytes, seen: bytearray, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while wanted not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"never saw {wanted!r} in {bytes(seen)[-400:]!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            assert chunk, f"terminal closed before {wanted!r}: {bytes(seen)[-400:]!r}"
            seen.extend(chunk)


def test_terminal_user_types_the_password_and_picks_a_role_by_number(
    lab, cli_env, aws_home, password
) -> None:
    leader, follower = pty.openpty()
    command = [
        sys.executable,
        "-m",
        "samlbroker",
        "login",
        "--endpoint-url",
        lab.signon_url,
        "--auth-type",
        "ntlm",
        "--ca-bundle",
        str(lab.ca_file),
        "--user",
        "LAB\\alice",
        "--save-as",
        "picked",
    ]
    process = subprocess.Popen(
        command, stdin=follower, stdout=follower, stderr=follower, env=cli_env, close_fds=True
    )
    os.close(follower)
    seen = bytearray()
    try:
        _read_until(leader, b"Password for LAB\\alice: ", seen)
        os.write(leader, password("alice").encode() + b"\n")
        _read_until(leader, b"Role [1-3]: ", seen)
        listing = bytes(seen).decode(errors="replace")
        lines = [line for line in listing.splitlines() if "arn:aws:iam::" in line]
        assert len(lines) == 3
        number = next(line.split()[0] for line in lines if "444455556666" in line and "Developer" in line)
        os.write(leader, number.encode() + b"\n")
        _read_until(leader, b"logged in as arn:aws:iam::444455556666:role/Developer", seen)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
    assert password("alice").encode() not in bytes(seen)  # hidden input: never echoed
    assert "[picked]" in (aws_home / ".aws" / "credentials").read_text()
