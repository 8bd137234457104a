"""The pty is the child's controlling terminal (``/dev/tty``), and credential-process asks there.

The AWS CLI runs a ``credential_process`` with its stdout and stderr captured as pipes; only ``/dev/tty``
reaches the person. These tests run each child in a session of its own whose controlling terminal is the
test's pty, so a prompt that went to the outer terminal (or to no terminal) is never seen and fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from pty_session import on_terminal

READONLY = "arn:aws:iam::111122223333:role/ReadOnly"
AWS_CLI = "/usr/bin/aws"


def test_the_pty_is_the_childs_controlling_terminal() -> None:
    probe = (
        "import getpass, os, sys\n"
        "with open('/dev/tty', 'w') as tty: tty.write('written to /dev/tty\\n')\n"
        "answer = getpass.getpass('secret: ')\n"
        "print('session leader:', os.getsid(0) == os.getpid(), 'answer:', answer)\n"
    )
    with on_terminal([sys.executable, "-c", probe], dict(os.environ)) as term:
        term.read_until(b"written to /dev/tty")
        term.read_until(b"secret: ")
        term.type(b"typed-on-the-pty\n")
        term.read_until(b"answer: typed-on-the-pty")
        assert term.process.wait(timeout=30) == 0
    assert b"session leader: True" in term.seen


@pytest.fixture
def frank_profile(aws_home: Path, lab: object) -> Path:
    """frank (forms, TOTP) as a credential_process profile in ~/.aws/config."""
    config = aws_home / ".aws" / "config"
    config.write_text(
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = forms\nca_bundle = {lab.ca_file}\n\n"  # type: ignore[attr-defined]
        f"[profile frank]\nsaml_endpoint = lab\nsaml_role_arn = {READONLY}\nsaml_user = LAB\\frank\n"
        "region = eu-west-1\ncredential_process = samlbroker credential-process --profile frank\n"
    )
    return config


def test_credential_process_asks_password_and_code_on_the_terminal_as_the_aws_cli_runs_it(
    lab, idp, cli_env, frank_profile, password
) -> None:
    """The AWS CLI itself runs credential-process (pipes for stdout and stderr); both prompts reach /dev/tty."""
    assert os.access(AWS_CLI, os.X_OK), "the AWS CLI (Debian package awscli) is on CI's machine"
    assert shutil.which("samlbroker", path=str(Path(sys.executable).parent))
    env = {
        **cli_env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{cli_env.get('PATH', '')}",
        "AWS_PAGER": "",
    }
    command = [AWS_CLI, "sts", "get-caller-identity", "--profile", "frank", "--output", "json",
               "--endpoint-url", lab.sts_url]  # fmt: skip
    with on_terminal(command, env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as term:
        term.read_until(b"Password for LAB\\frank (profile frank): ")
        term.type(password("frank").encode() + b"\n")
        term.read_until(b"TOTPAuthenticationProvider code: ")
        code = pyotp.TOTP(lab.users["frank"].mfa_secret).now()
        term.type(code.encode() + b"\n")
        assert term.process.wait(timeout=60) == 0, term.process.stderr.read().decode()
        identity = json.loads(term.process.stdout.read())
    assert identity["Arn"].startswith("arn:aws:sts::111122223333:assumed-role/ReadOnly/")
    assert password("frank").encode() not in term.seen and code.encode() not in term.seen  # hidden input
    assert [e["user"] for e in idp.stats()["events"] if e["outcome"] == "success"] == ["frank"]
