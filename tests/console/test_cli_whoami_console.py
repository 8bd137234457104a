"""``samlbroker whoami`` and ``samlbroker console`` as a user runs them, against the lab."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

DEV_ARN = "arn:aws:sts::111122223333:assumed-role/Developer/alice@lab.example"
DEPLOY_ARN = "arn:aws:sts::444455556666:assumed-role/Deployer/alice-deploys"


def one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("samlbroker: "), result.stderr
    return lines[0]


def test_whoami_of_a_logged_in_profile_answers_from_the_cache(lab, lab_profiles, samlbroker) -> None:
    lab.idp.reset()
    lab.sts.reset()
    result = samlbroker("whoami", "--profile", "dev")
    assert result.returncode == 0, result.stderr
    assert re.search(r"^Account: 111122223333$", result.stdout, re.M)
    assert re.search(rf"^Arn: +{re.escape(DEV_ARN)}$", result.stdout, re.M)
    assert re.search(r"^Expires: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in (59|60) min\)$", result.stdout, re.M)
    assert lab.idp.requests == 0  # warm: no new sign-in
    assert [c.action for c in lab.sts.calls] == ["GetCallerIdentity"]


def test_whoami_uses_aws_profile_when_no_profile_is_given(lab, lab_profiles, samlbroker) -> None:
    result = samlbroker("whoami", env={"AWS_PROFILE": "dev"})
    assert result.returncode == 0, result.stderr
    assert DEV_ARN in result.stdout


def test_whoami_of_a_plain_credentials_file_profile_shows_the_recorded_expiry(
    lab, lab_profiles, samlbroker, password
) -> None:
    login = samlbroker(
        "login",
        "--endpoint-url",
        lab.signon_url,
        "--auth-type",
        "ntlm",
        "--ca-bundle",
        str(lab.ca_file),
        "--user",
        "LAB\\bob",
        "--password-stdin",
        "--save-as",
        "bob-plain",
        stdin=password("bob") + "\n",
    )
    assert login.returncode == 0, login.stderr
    result = samlbroker("whoami", "--profile", "bob-plain")
    assert result.returncode == 0, result.stderr
    assert "assumed-role/ReadOnly/bob@lab.example" in result.stdout
    assert re.search(r"^Expires: .* UTC \(in \d+ min\)$", result.stdout, re.M)


def test_whoami_of_a_role_chaining_profile_is_the_chained_role(lab, lab_profiles, samlbroker) -> None:
    lab.sts.reset()
    result = samlbroker("whoami", "--profile", "deploy")
    assert result.returncode == 0, result.stderr
    assert re.search(rf"^Arn: +{re.escape(DEPLOY_ARN)}$", result.stdout, re.M)
    assume = lab.sts.calls_for("AssumeRole")[-1]
    assert (assume.external_id, assume.role_session_name, assume.duration) == (
        "tenant-42",
        "alice-deploys",
        1800,
    )


def test_whoami_without_any_credentials_is_one_line(lab, aws_home, samlbroker) -> None:
    line = one_line_error(samlbroker("whoami"))
    assert "no AWS credentials found" in line


def test_whoami_with_credentials_the_sts_does_not_know_is_one_line(lab, aws_home, samlbroker) -> None:
    (aws_home / ".aws" / "credentials").write_text(
        "[stale]\naws_access_key_id = ASIASTALESTALESTALE0\naws_secret_access_key = sekrit-value\n"
        "aws_session_token = tok\n"
    )
    result = samlbroker("whoami", "--profile", "stale")
    line = one_line_error(result)
    assert "InvalidClientTokenId" in line
    assert "sekrit-value" not in result.stderr


def test_console_print_gives_a_url_that_signs_in_as_the_profile_role(lab, lab_profiles, samlbroker) -> None:
    lab.federation.reset()
    result = samlbroker(
        "console", "--profile", "dev", "--print", "--destination", "https://console.aws.amazon.com/iam/"
    )
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    assert url.startswith(lab.federation.federation_url + "?Action=login&")
    page = requests.get(url, verify=str(lab.ca_file), timeout=10)
    assert DEV_ARN in page.text and "https://console.aws.amazon.com/iam/" in page.text
    assert parse_qs(urlsplit(url).query)["Issuer"] == [lab.signon_url]  # the IdP sign-on URL


def test_console_of_a_chained_profile_signs_in_as_the_chained_role(lab, lab_profiles, samlbroker) -> None:
    result = samlbroker("console", "--profile", "deploy", "--print", "--duration", "3600")
    assert result.returncode == 0, result.stderr
    page = requests.get(result.stdout.strip(), verify=str(lab.ca_file), timeout=10)
    assert DEPLOY_ARN in page.text


def test_console_duration_out_of_range_fails_before_any_request(lab, lab_profiles, samlbroker) -> None:
    lab.federation.reset()
    lab.sts.reset()
    lab.idp.reset()
    for duration in ("899", "43201"):
        line = one_line_error(samlbroker("console", "--profile", "dev", "--print", "--duration", duration))
        assert "900 to 43200" in line
    assert lab.federation.calls == [] and lab.sts.calls == [] and lab.idp.requests == 0


def test_console_opens_the_browser_with_the_url(lab, lab_profiles, samlbroker, tmp_path: Path) -> None:
    seen = tmp_path / "opened.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{seen}"\n')
    browser.chmod(browser.stat().st_mode | stat.S_IXUSR)
    result = samlbroker("console", "--profile", "dev", env={"BROWSER": f"{browser} %s", "DISPLAY": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    url = seen.read_text()
    assert url.startswith(lab.federation.federation_url + "?Action=login&")
    assert DEV_ARN in requests.get(url, verify=str(lab.ca_file), timeout=10).text


def test_console_with_long_term_keys_is_refused_in_one_line(lab, aws_home, samlbroker) -> None:
    (aws_home / ".aws" / "credentials").write_text(
        "[static]\naws_access_key_id = AKIASTATICSTATIC0000\naws_secret_access_key = sekrit-value\n"
    )
    line = one_line_error(samlbroker("console", "--profile", "static", "--print"))
    assert "temporary credentials" in line


def test_python_m_samlbroker_runs_what_the_installed_command_runs() -> None:
    """The CLI tests run ``python -m samlbroker``: it calls the installed script's function."""
    import importlib.metadata

    import samlbroker

    scripts = {e.name: e.value for e in importlib.metadata.entry_points(group="console_scripts")}
    assert scripts.get("samlbroker") == "samlbroker.cli:console_main"
    dunder_main = (Path(samlbroker.__file__).parent / "__main__.py").read_text()
    assert "from .cli import console_main" in dunder_main
    assert "sys.exit(console_main())" in dunder_main
