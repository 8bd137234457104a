"""Role profiles in an isolated AWS config that point at the lab, and a default identity for domain users."""

from __future__ import annotations

from pathlib import Path

import pytest

DEVELOPER = "arn:aws:iam::111122223333:role/Developer"
READONLY = "arn:aws:iam::111122223333:role/ReadOnly"


def lab_config(lab: object) -> str:
    return (
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = ntlm\nca_bundle = {lab.ca_file}\n\n"  # type: ignore[attr-defined]
        f"[profile domain]\nsaml_endpoint = lab\nsaml_role_arn = {READONLY}\n"
        "credential_process = samlbroker credential-process --profile domain\n\n"
        f"[profile alice]\nsaml_endpoint = lab\nsaml_role_arn = {DEVELOPER}\nsaml_user = LAB\\alice\n"
        "region = eu-west-1\n"
        "credential_process = samlbroker credential-process --profile alice\n"
    )


@pytest.fixture
def profiles(aws_home: Path, lab: object) -> Path:
    """``domain`` (bob through the default identity) and ``alice`` (a saml_user) in ~/.aws/config."""
    path = aws_home / ".aws" / "config"
    path.write_text(lab_config(lab))
    return path


def identity_file(path: Path, first_line: str) -> Path:
    """An NTLM_USER_FILE holding only the client's default identity (the lab's acceptor has its own file)."""
    path.write_text(first_line + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def default_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lab: object, password) -> Path:
    """bob as the default identity (NTLM_USER_FILE, which pyspnego reads on Linux)."""
    user_file = identity_file(tmp_path / "ntlm-user", f"LAB:bob:{password('bob')}")
    monkeypatch.setenv("NTLM_USER_FILE", str(user_file))
    return user_file
