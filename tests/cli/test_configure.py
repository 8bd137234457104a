"""``samlbroker configure``: flags for scripts, questions on a terminal; the rest of the file kept byte for byte."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from samlbroker.cli.configure import credential_process_line, suggest_profile_name
from samlbroker.profiles import load_endpoint, load_profile

EXISTING = """\
# my AWS config: hand-written, with comments
[default]
region = us-east-1   ; where I work

[profile static]
# keys come from ~/.aws/credentials
output = json


"""


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "samlbroker", "configure", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        start_new_session=True,
    )


@pytest.fixture
def config(aws_home: Path) -> Path:
    path = aws_home / ".aws" / "config"
    path.write_text(EXISTING)
    path.chmod(0o644)
    return path


def test_new_endpoint_and_profile_are_appended_and_the_rest_kept(cli_env, config: Path) -> None:
    url = "https://adfs.corp.example/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices"
    assert run(cli_env, "endpoint", "corp", "--url", url, "--auth-type", "ntlm").returncode == 0
    result = run(
        cli_env, "profile", "dev", "--endpoint", "corp", "--role", "arn:aws:iam::123456789012:role/Dev",
        "--user", "CORP\\alice", "--duration", "7200", "--region", "eu-west-1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = config.read_text()
    assert text.startswith(EXISTING)
    assert text[len(EXISTING) :] == (
        f"[saml-endpoint corp]\nurl = {url}\nauth_type = ntlm\n\n"
        "[profile dev]\nsaml_endpoint = corp\nsaml_role_arn = arn:aws:iam::123456789012:role/Dev\n"
        "saml_user = CORP\\alice\nduration_seconds = 7200\nregion = eu-west-1\n"
        "credential_process = samlbroker credential-process --profile dev\n"
    )
    profile = load_profile("dev", config)
    assert (profile.user, profile.duration, profile.endpoint.auth_type) == ("CORP\\alice", 7200, "ntlm")
    assert oct(config.stat().st_mode & 0o777) == oct(0o644)  # the file's own mode is kept


def test_editing_changes_keys_in_place_and_unsets_others(cli_env, config: Path) -> None:
    run(cli_env, "endpoint", "corp", "--url", "https://a.example/adfs/ls/", "--ca-bundle", "/etc/ca.pem")
    run(cli_env, "profile", "dev", "--endpoint", "corp", "--user", "CORP\\alice")
    before = config.read_text()
    assert run(cli_env, "endpoint", "corp", "--auth-type", "forms", "--unset", "ca_bundle").returncode == 0
    assert run(cli_env, "profile", "dev", "--default-identity", "--no-credential-process").returncode == 0
    after = config.read_text()
    assert after == before.replace("ca_bundle = /etc/ca.pem\n", "auth_type = forms\n").replace(
        "saml_user = CORP\\alice\n", ""
    )
    assert load_profile("dev", config).user is None
    assert load_endpoint("corp", config).auth_type == "forms"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["endpoint", "corp"], "endpoint 'corp' is new: give its --url"),
        (["profile", "dev", "--endpoint", "nowhere"], "endpoint 'nowhere' is not in"),
        (["profile", "dev"], "profile 'dev' is new: give its --endpoint"),
        (["endpoint", "corp", "--url", "https://x ; y"], "cannot contain ' ;'"),
        (["endpoint", "bad]name", "--url", "https://x"], "cannot be a section name"),
    ],
)
def test_mistakes_are_one_line_and_write_nothing(
    cli_env, config: Path, args: list[str], message: str
) -> None:
    result = run(cli_env, *args)
    assert result.returncode == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert config.read_text() == EXISTING


def test_malformed_config_is_reported_with_path_and_line_and_never_rewritten(cli_env, config: Path) -> None:
    config.write_text(EXISTING + "[profile broken\nkey = value\n")
    before = config.read_bytes()
    result = run(cli_env, "endpoint", "corp", "--url", "https://a.example/")
    assert result.returncode == 1
    assert f"{config}, line 10 is malformed" in result.stderr
    assert config.read_bytes() == before


def test_interactive_needs_a_terminal(cli_env, config: Path) -> None:
    result = run(cli_env)
    assert result.returncode == 1 and "samlbroker configure endpoint NAME --url URL" in result.stderr


def test_profile_name_suggestion_and_credential_process_line() -> None:
    assert suggest_profile_name("Developer", "111122223333") == "111122223333-developer"
    assert suggest_profile_name("Read Only", "444455556666", "444455556666=lab-dev") == "lab-dev-read-only"
    assert credential_process_line("dev") == "samlbroker credential-process --profile dev"
    assert credential_process_line("my dev") == 'samlbroker credential-process --profile "my dev"'


def _converse(env: dict[str, str], steps: list[tuple[str, str]], timeout: float = 60) -> tuple[int, str]:
    """Run ``configure`` on a pseudo-terminal, answering each prompt (substring) in turn."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdin, stdout, stderr and /dev/tty are the terminal
        os.execve(sys.executable, [sys.executable, "-m", "samlbroker", "configure"], env)  # noqa: S606
    seen = ""
    deadline = time.monotonic() + timeout
    pending = list(steps)
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 4096).decode(errors="replace")
        except OSError:
            break  # the child closed the terminal
        if not chunk:
            break
        seen += chunk
        while pending and pending[0][0] in seen:
            prompt, answer = pending.pop(0)
            seen = seen.replace(prompt, f"<{prompt}>", 1)
            os.write(fd, answer.encode() + b"\r")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), seen


def test_interactive_logs_in_once_lists_roles_and_writes_the_profile(
    lab, cli_env, config: Path, idp, password
) -> None:
    code, transcript = _converse(
        cli_env,
        [
            ("Endpoint name", "lab"),
            ("IdP sign-on URL", lab.signon_url),
            ("Sign-on scheme", "ntlm"),
            ("CA file", str(lab.ca_file)),
            ("User, DOMAIN\\user", "LAB\\alice"),
            ("Password for LAB\\alice", password("alice")),
            ("Role [1-3]", "3"),
            ("Profile name [444455556666-developer]", ""),
            ("Region", "eu-west-1"),
        ],
    )
    assert code == 0, transcript
    assert password("alice") not in transcript
    profile = load_profile("444455556666-developer", config)
    assert profile.role_arn == "arn:aws:iam::444455556666:role/Developer"
    assert profile.user == "LAB\\alice" and profile.region == "eu-west-1" and profile.uses_credential_process
    assert profile.endpoint.url == lab.signon_url and profile.endpoint.auth_type == "ntlm"
    assert config.read_text().startswith(EXISTING)
    assert [e["user"] for e in idp.stats()["events"] if e["outcome"] == "success"] == ["alice"]
