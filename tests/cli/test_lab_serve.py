"""``samlbroker lab`` (serve): a subprocess prints its URLs, a login goes through them, Ctrl-C stops it all."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import run_cli

from samlbroker.lab.users import load_users

STOPPED = "Ctrl-C stops the lab."


@pytest.fixture
def served(cli_env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    """The lab as `samlbroker lab` runs it, and what it printed (``label: value`` lines) once it was ready."""
    process = subprocess.Popen(
        [sys.executable, "-m", "samlbroker", "lab"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
        start_new_session=True,
    )
    assert process.stdout is not None
    printed: dict[str, str] = {}
    try:
        for line in process.stdout:  # ends when it exits: then the assertion below names what it said
            found = re.match(r"lab ([^:]+?):\s+(\S+)", line)
            if found:
                printed[found.group(1)] = found.group(2)
            if line.strip() == STOPPED:
                break
        assert STOPPED in line, f"the lab never said it was ready: {printed}, {process.stderr.read()}"  # type: ignore[union-attr]
        yield process, printed
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
        process.stdout.close()
        process.stderr.close()  # type: ignore[union-attr]


def test_lab_serve_prints_urls_that_a_login_goes_through_and_stops_on_ctrl_c(served, cli_env) -> None:
    process, printed = served
    signon, sts, ca = printed["IdP sign-on URL"], printed["STS"], printed["CA file"]
    assert signon.startswith("https://localhost:") and "/adfs/ls/IdpInitiatedSignOn.aspx" in signon
    env = {**cli_env, "AWS_ENDPOINT_URL_STS": sts, "AWS_CA_BUNDLE": ca}
    alice = load_users().lookup("alice")
    assert alice is not None
    result = run_cli(
        env, "login", "--endpoint-url", signon, "--auth-type", "ntlm", "--ca-bundle", ca, "--user", "LAB\\alice",
        "--password-stdin", "--role", "arn:aws:iam::111122223333:role/Developer", "--save-as", "served",
        stdin=alice.password + "\n", new_session=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "logged in as arn:aws:iam::111122223333:role/Developer" in result.stderr
    assert Path(ca).exists()
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 0
    assert not Path(ca).exists()  # its temp folder (CA, keys, users file) went with it
