"""Credentials from a real lab login, for the console and whoami tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def lab_login(lab, aws_home, password):  # type: ignore[no-untyped-def]
    """``lab_login(role)``: a full lab login as LAB\\alice (NTLM); returns the LoginResult."""
    from samlbroker.flow import login
    from samlbroker.identity import UserCredentials
    from samlbroker.profiles import Endpoint

    endpoint = Endpoint(name="lab", url=lab.signon_url, auth_type="ntlm", ca_bundle=str(lab.ca_file))

    def run(role: str = "arn:aws:iam::111122223333:role/Developer", **kwargs):  # type: ignore[no-untyped-def]
        return login(endpoint, UserCredentials("LAB\\alice", password("alice")), role=role, **kwargs)

    return run


# Runs the real `samlbroker` entry point in a subprocess; until cli/main.py registers `console` and `whoami`
# itself, they are added to its parser here (the same `register(commands)` main.py will call).
_HARNESS = """
import argparse, sys
from samlbroker.cli import main as m
original = m.build_parser
def build():
    parser = original()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    from samlbroker.cli import console, whoami
    for module, name in ((console, "console"), (whoami, "whoami")):
        if name not in sub.choices:
            module.register(sub)
    return parser
m.build_parser = build
sys.exit(m.main(sys.argv[1:]))
"""


@pytest.fixture
def samlbroker(cli_env):  # type: ignore[no-untyped-def]
    """``samlbroker(*args, stdin="", env=None)``: run the CLI; returns the CompletedProcess."""
    import subprocess
    import sys

    def run(*args: str, stdin: str = "", env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return subprocess.run(
            [sys.executable, "-c", _HARNESS, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**cli_env, **(env or {})},
            timeout=90,
            check=False,
        )

    return run


@pytest.fixture
def lab_profiles(lab, aws_home, samlbroker, password):  # type: ignore[no-untyped-def]
    """A config with role profile ``dev`` (alice, Developer) logged in, and a chained profile ``deploy``."""
    lab.sts.require_external_id("arn:aws:iam::444455556666:role/Deployer", "tenant-42")
    (aws_home / ".aws" / "config").write_text(
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = ntlm\nca_bundle = {lab.ca_file}\n\n"
        "[profile dev]\nsaml_endpoint = lab\nsaml_role_arn = arn:aws:iam::111122223333:role/Developer\n"
        f"saml_user = LAB\\alice\nregion = eu-west-1\nfederation_url = {lab.federation.federation_url}\n\n"
        "[profile deploy]\nrole_arn = arn:aws:iam::444455556666:role/Deployer\nsource_profile = dev\n"
        "external_id = tenant-42\nrole_session_name = alice-deploys\nduration_seconds = 1800\n"
        f"region = eu-west-1\nfederation_url = {lab.federation.federation_url}\n"
    )
    result = samlbroker("login", "--profile", "dev", "--password-stdin", stdin=password("alice") + "\n")
    assert result.returncode == 0, result.stderr
    yield aws_home
    lab.sts.require_external_id("arn:aws:iam::444455556666:role/Deployer", None)
