"""``samlbroker exec`` and ``samlbroker env``: credentials into a child's environment, quoted per shell."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import run_cli as run

from samlbroker import cache
from samlbroker.cli.exec_env import export_lines, fish_quote, powershell_quote
from samlbroker.profiles import load_profile
from samlbroker.sts import Credentials

TRICKY = "a'b\"c $HOME `id` \\n \\ ; & | * ? ! {x} \u2018q\u2019 %PATH% $(id)"


def write_config(home: Path) -> None:
    (home / ".aws" / "config").write_text(
        "[saml-endpoint corp]\nurl = https://127.0.0.1:9/adfs/ls/IdpInitiatedSignOn.aspx\nauth_type = ntlm\n\n"
        "[profile dev]\nsaml_endpoint = corp\nsaml_role_arn = arn:aws:iam::111122223333:role/Dev\n"
        "saml_user = CORP\\alice\nregion = eu-west-1\n"
    )


@pytest.fixture
def env(cli_env: dict[str, str], aws_home: Path) -> dict[str, str]:
    """A profile whose fresh credentials are in the cache (its IdP is unreachable: a login would fail)."""
    write_config(aws_home)
    expiry = dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
    cache.store(
        load_profile("dev").cache_key(), Credentials("ASIAEXEC", "exec/secret+key", "tok'en$", expiry)
    )
    return {**cli_env, "AWS_PROFILE": "dev", "AWS_DEFAULT_PROFILE": "dev"}


def test_exec_puts_credentials_and_region_in_the_environment_and_unsets_aws_profile(env) -> None:
    probe = (
        "import json, os; print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('AWS_')}))"
    )
    result = run(env, "exec", "--profile", "dev", "--", sys.executable, "-c", probe)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["AWS_ACCESS_KEY_ID"] == "ASIAEXEC"
    assert seen["AWS_SECRET_ACCESS_KEY"] == "exec/secret+key"
    assert seen["AWS_SESSION_TOKEN"] == "tok'en$"
    assert seen["AWS_CREDENTIAL_EXPIRATION"] == "2031-05-06T07:08:09Z"
    assert seen["AWS_REGION"] == seen["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert "AWS_PROFILE" not in seen and "AWS_DEFAULT_PROFILE" not in seen


@pytest.mark.parametrize("code", [0, 3, 42])
def test_exec_passes_the_exit_code_through(env, code: int) -> None:
    result = run(env, "exec", "--profile", "dev", "--", sys.executable, "-c", f"raise SystemExit({code})")
    assert result.returncode == code


def test_exec_of_a_missing_command_is_127_and_no_command_is_an_error(env) -> None:
    assert run(env, "exec", "--profile", "dev", "--", "no-such-command-here").returncode == 127
    result = run(env, "exec", "--profile", "dev")
    assert result.returncode == 1 and "say what to run" in result.stderr


def test_env_for_sh_round_trips_through_a_real_shell(env) -> None:
    result = run(env, "env", "--profile", "dev")
    assert result.returncode == 0, result.stderr
    shell = subprocess.run(
        [
            "sh",
            "-c",
            result.stdout + 'printf "%s|%s|%s" "$AWS_SESSION_TOKEN" "$AWS_REGION" "${AWS_PROFILE-unset}"',
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert shell.stdout == "tok'en$|eu-west-1|unset"


def test_sh_quoting_survives_any_value() -> None:
    lines = export_lines({"X": TRICKY, "Y": ""}, "sh")
    out = subprocess.run(
        ["sh", "-c", lines + 'printf "%s|%s" "$X" "$Y"'], capture_output=True, text=True, check=True
    )
    assert out.stdout == TRICKY + "|"


def test_fish_and_powershell_lines_quote_their_special_characters() -> None:
    assert fish_quote("it's a \\ path") == "'it\\'s a \\\\ path'"
    assert powershell_quote("it's \u2018x\u2019 $env:HOME") == "'it''s \u2018\u2018x\u2019\u2019 $env:HOME'"
    fish = export_lines({"AWS_REGION": "eu-west-1"}, "fish").splitlines()
    assert fish == ["set -e AWS_PROFILE", "set -e AWS_DEFAULT_PROFILE", "set -gx AWS_REGION 'eu-west-1'"]
    pwsh = export_lines({"AWS_REGION": "eu-west-1"}, "powershell").splitlines()
    assert pwsh[0] == "Remove-Item Env:AWS_PROFILE -ErrorAction SilentlyContinue"
    assert pwsh[-1] == "$env:AWS_REGION = 'eu-west-1'"


def test_env_prints_fish_lines(env) -> None:
    result = run(env, "env", "--profile", "dev", "--shell", "fish")
    assert result.returncode == 0, result.stderr
    assert "set -gx AWS_SESSION_TOKEN 'tok\\'en$'\n" in result.stdout
