"""``samlbroker login`` / ``roles`` as a user or script runs them: real processes, real files, the lab."""

from __future__ import annotations

import configparser
import stat
import subprocess
from pathlib import Path

import pytest
from cli_runner import run_cli as run

ROLE = "111122223333:Developer"


def lab_args(lab, auth: str = "ntlm", user: str = "LAB\\alice") -> list[str]:
    return [
        "--endpoint-url",
        lab.signon_url,
        "--auth-type",
        auth,
        "--ca-bundle",
        str(lab.ca_file),
        "--user",
        user,
        "--password-stdin",
    ]


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *secrets: str) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("samlbroker: "), result.stderr
    for secret in secrets:
        assert secret not in result.stderr + result.stdout
    return lines[0]


def test_login_stores_credentials_0600_and_keeps_other_profiles(lab, cli_env, aws_home, password) -> None:
    creds = aws_home / ".aws" / "credentials"
    creds.write_text("# my static keys\n[prod]\naws_access_key_id = AKIAPROD\naws_secret_access_key = s\n")
    result = run(
        cli_env, "login", *lab_args(lab), "--role", ROLE, "--save-as", "dev", stdin=password("alice") + "\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "logged in as arn:aws:iam::111122223333:role/Developer" in result.stderr
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    text = creds.read_text()
    assert text.startswith("# my static keys\n[prod]\naws_access_key_id = AKIAPROD\n")
    parser = configparser.ConfigParser()
    parser.read_string(text)
    assert parser["dev"]["aws_access_key_id"].startswith("ASIA")
    assert lab.sts.calls[-1].role_arn == "arn:aws:iam::111122223333:role/Developer"
    assert password("alice") not in text


def test_login_from_a_profile_in_the_config_file(lab, cli_env, aws_home, password) -> None:
    (aws_home / ".aws" / "config").write_text(
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = negotiate   ; SPNEGO\nca_bundle = {lab.ca_file}\n\n"
        "[profile dev]\nsaml_endpoint = lab\nsaml_role_arn = arn:aws:iam::444455556666:role/Developer\n"
        "saml_user = LAB\\alice\nduration_seconds = 1800\n"
    )
    result = run(cli_env, "login", "--profile", "dev", "--password-stdin", stdin=password("alice"))
    assert result.returncode == 0, result.stderr
    parser = configparser.ConfigParser()
    parser.read(aws_home / ".aws" / "credentials")
    assert parser["dev"]["aws_session_token"]
    assert lab.sts.calls[-1].duration == 1800


def test_wrong_password_is_one_line_exit_3_and_never_echoed(lab, cli_env, idp) -> None:
    result = run(cli_env, "login", *lab_args(lab), "--role", ROLE, stdin="Sup3r-Secret-Guess\n")
    line = assert_one_line_error(result, 3, "Sup3r-Secret-Guess")
    assert "LAB\\alice" in line
    assert idp.stats()["failed_attempts"] == {"alice": 1}


def test_several_roles_and_no_terminal_lists_the_choices(lab, cli_env, password) -> None:
    result = run(cli_env, "login", *lab_args(lab, "forms"), stdin=password("alice"))
    line = assert_one_line_error(result, 1)
    for name in ("111122223333:Developer", "444455556666:Developer", "ReadOnly"):
        assert name in line


@pytest.mark.parametrize("command", ["login", "roles"])
def test_a_user_the_idp_grants_no_role_is_one_line_saying_why(lab, cli_env, password, command: str) -> None:
    result = run(cli_env, command, *lab_args(lab, "forms", "LAB\\dave"), stdin=password("dave"))
    line = assert_one_line_error(result, 1, password("dave"))
    assert "the SAML assertion grants no AWS role to LAB\\dave: it has no Role attribute" in line


def test_unknown_role_is_named(lab, cli_env, password) -> None:
    result = run(cli_env, "login", *lab_args(lab, "forms"), "--role", "Admin", stdin=password("alice"))
    assert "'Admin' is not in the SAML assertion" in assert_one_line_error(result, 1)


def test_no_terminal_and_no_password_stdin_says_how(lab, cli_env) -> None:
    args = [a for a in lab_args(lab) if a != "--password-stdin"]
    result = run(cli_env, "login", *args)
    assert "--password-stdin" in assert_one_line_error(result, 1)


def test_roles_lists_account_role_and_arn(lab, cli_env, password) -> None:
    result = run(cli_env, "roles", *lab_args(lab, "digest", "alice"), stdin=password("alice"))
    assert result.returncode == 0, result.stderr
    rows = result.stdout.strip().splitlines()
    assert rows[0].split() == ["NAME", "ACCOUNT", "ROLE", "ARN"]
    assert any(r.split()[:2] == ["444455556666:Developer", "444455556666"] for r in rows[1:])
    assert len(rows) == 4


def test_default_identity_ntlm_reads_ntlm_user_file(lab, cli_env, tmp_path: Path, password) -> None:
    user_file = tmp_path / "ntlm-user"
    user_file.write_text(f"LAB:bob:{password('bob')}\n")
    user_file.chmod(0o600)
    env = {**cli_env, "NTLM_USER_FILE": str(user_file)}
    args = ["--endpoint-url", lab.signon_url, "--auth-type", "ntlm", "--ca-bundle", str(lab.ca_file)]
    result = run(env, "roles", *args)
    assert result.returncode == 0, result.stderr
    assert "ReadOnly" in result.stdout


def test_default_identity_without_any_is_a_clear_error(lab, cli_env) -> None:
    args = ["--endpoint-url", lab.signon_url, "--auth-type", "ntlm", "--ca-bundle", str(lab.ca_file)]
    line = assert_one_line_error(run(cli_env, "roles", *args), 3)
    assert "--user" in line


def test_verbose_shows_the_http_flow_without_the_password(lab, cli_env, password) -> None:
    result = run(cli_env, "-v", "roles", *lab_args(lab, "forms"), stdin=password("alice"))
    assert result.returncode == 0, result.stderr
    assert (
        "POST https://localhost" in result.stderr
        and "/adfs/ls/IdpInitiatedSignOn.aspx -> 302" in result.stderr
    )
    assert password("alice") not in result.stderr


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("[profile dev\nsaml_endpoint = x\n", "config, line 1 is malformed"),
        ("[profile dev]\nsaml_endpoint = nowhere\n", "endpoint 'nowhere'"),
    ],
)
def test_bad_config_is_one_line(cli_env, aws_home, config: str, expected: str) -> None:
    (aws_home / ".aws" / "config").write_text(config)
    assert expected in assert_one_line_error(run(cli_env, "login", "--profile", "dev"), 1)


@pytest.mark.parametrize("command", ["login", "whoami"])
def test_a_credentials_file_saved_with_a_byte_order_mark_is_one_line_naming_it(
    lab, cli_env, aws_home, idp, password, command: str
) -> None:
    creds = aws_home / ".aws" / "credentials"
    creds.write_bytes(
        "[plain]\r\naws_access_key_id = AKIAPLAIN\r\naws_secret_access_key = s\r\n".encode("utf-8-sig")
    )
    before = creds.read_bytes()
    if command == "login":
        args = ["login", *lab_args(lab), "--role", ROLE, "--save-as", "dev"]
    else:
        args = ["whoami", "--profile", "plain"]
    line = assert_one_line_error(run(cli_env, *args, stdin=password("alice")), 1)
    assert f"{creds} starts with a UTF-8 byte-order mark" in line and "save it as UTF-8 without BOM" in line
    assert creds.read_bytes() == before
    assert idp.requests == 0  # found out before the IdP is asked


def test_a_config_saved_with_a_byte_order_mark_is_one_line_naming_it(cli_env, aws_home) -> None:
    (aws_home / ".aws" / "config").write_bytes(b"\xef\xbb\xbf[profile dev]\nsaml_endpoint = x\n")
    for args in (["login", "--profile", "dev"], ["credential-process", "--profile", "dev"], ["whoami"]):
        line = assert_one_line_error(run(cli_env, *args), 1)
        assert "config starts with a UTF-8 byte-order mark (BOM), which botocore cannot read" in line, args


def test_corrupt_credentials_file_is_left_as_it_was(lab, cli_env, aws_home, password) -> None:
    creds = aws_home / ".aws" / "credentials"
    creds.write_text("[prod]\naws_access_key_id\n  = broken = \n[[\n")
    before = creds.read_bytes()
    result = run(
        cli_env, "login", *lab_args(lab), "--role", ROLE, "--save-as", "dev", stdin=password("alice")
    )
    assert "credentials, line" in assert_one_line_error(result, 1)
    assert creds.read_bytes() == before


def test_unreachable_idp_is_one_line(cli_env) -> None:
    result = run(
        cli_env,
        "roles",
        "--endpoint-url",
        "https://127.0.0.1:9/adfs/ls/",
        "--auth-type",
        "forms",
        "--user",
        "a",
        "--password-stdin",
        stdin="x\n",
    )
    assert "cannot connect to 127.0.0.1:9" in assert_one_line_error(result, 1)


def test_sts_refusal_is_one_line(lab, cli_env, password) -> None:
    lab.sts.throttle_next(10)
    try:
        result = run(cli_env, "login", *lab_args(lab, "forms"), "--role", "ReadOnly", stdin=password("alice"))
    finally:
        lab.sts.throttle_next(0)
    assert "Throttling" in assert_one_line_error(result, 1)
