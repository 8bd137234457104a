"""Parts that are not installed give one clear line naming what to install: the keyring extra, a plugin's needs."""

from __future__ import annotations

import os
from pathlib import Path

from cli_runner import run_cli
from missing_modules import run_cli_without

REPO = Path(__file__).resolve().parents[1]
READONLY = "arn:aws:iam::111122223333:role/ReadOnly"


def _one_line_error(result) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_keyring_profile_without_the_keyring_extra_names_the_install_command(
    lab, cli_env, aws_home: Path, idp, password
) -> None:
    (aws_home / ".aws" / "config").write_text(
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = ntlm\nca_bundle = {lab.ca_file}\n\n"
        f"[profile kr]\nsaml_endpoint = lab\nsaml_role_arn = {READONLY}\nsaml_user = LAB\\bob\n"
        "saml_password_store = keyring\n"
    )
    result = run_cli_without(
        ("keyring",), cli_env, "login", "--profile", "kr", "--password-stdin", stdin=password("bob") + "\n"
    )
    line = _one_line_error(result)
    assert "saml_password_store = keyring needs the keyring extra: pip install 'samlbroker[keyring]'" in line
    assert password("bob") not in result.stderr
    assert idp.stats()["events"] == []  # stopped before the IdP was asked


def _broken_plugin(folder: Path) -> Path:
    """An installed authenticator plugin (entry point ``broken``) whose module needs a library that is missing."""
    dist = folder / "samlbroker_broken_auth-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: samlbroker-broken-auth\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[samlbroker.authenticators]\nbroken = samlbroker_broken_auth:Auth\n"
    )
    (folder / "samlbroker_broken_auth.py").write_text("import samlbroker_missing_vendor_sdk  # noqa: F401\n")
    return folder


def test_a_plugin_that_cannot_be_loaded_says_so_and_why(lab, cli_env, tmp_path: Path, idp) -> None:
    env = {**cli_env, "PYTHONPATH": os.pathsep.join([str(REPO), str(_broken_plugin(tmp_path / "site"))])}
    result = run_cli(
        env, "roles", "--endpoint-url", lab.signon_url, "--auth-type", "broken", "--ca-bundle", str(lab.ca_file),
        "--user", "LAB\\bob", "--password-stdin", stdin="not-needed\n", new_session=True,
    )  # fmt: skip
    line = _one_line_error(result)
    assert "the 'broken' plugin cannot be loaded: No module named 'samlbroker_missing_vendor_sdk'" in line
    assert idp.stats()["events"] == []
