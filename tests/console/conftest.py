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


@pytest.fixture
def samlbroker(cli_env):  # type: ignore[no-untyped-def]
    """``samlbroker(*args, stdin="", env=None)``: run the CLI; returns the CompletedProcess."""
    from cli_runner import run_cli

    def run(*args: str, stdin: str = "", env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return run_cli({**cli_env, **(env or {})}, *args, stdin=stdin, timeout=90)

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
