"""The keys of a ``[saml-endpoint NAME]`` section: one list (``ENDPOINT_KEYS``) behind loading, its warnings,
``configure endpoint`` and the README; keys an authenticator plugin declares reach it and never warn.
A profile's misspelt ``saml_*`` key warns the same way."""

from __future__ import annotations

import dataclasses
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from samlbroker.errors import ConfigError
from samlbroker.flow import controller_for
from samlbroker.plugins import available
from samlbroker.profiles import ENDPOINT_KEYS, Endpoint, load_endpoint, load_profile

REPO = Path(__file__).resolve().parents[1]
URL = "https://adfs.corp.example.com/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices"


def _config(tmp_path: Path, body: str, auth_type: str = "kerberos") -> Path:
    path = tmp_path / "config"
    path.write_text(f"[saml-endpoint corp]\nurl = {URL}\nauth_type = {auth_type}\n{body}")
    return path


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_a_misspelt_endpoint_key_is_one_warning_line_naming_the_nearest_known_key(tmp_path, caplog) -> None:
    path = _config(tmp_path, "kerberos_mutal = no\n")
    with caplog.at_level(logging.WARNING, logger="samlbroker.config"):
        endpoint = load_endpoint("corp", path)
        load_endpoint("corp", path)  # loaded again in the same process: said once
    (line,) = _warnings(caplog)
    assert "\n" not in line
    assert line == (
        f"unknown key 'kerberos_mutal' in [saml-endpoint corp] of {path} (did you mean 'kerberos_mutual'?): "
        "it is ignored"
    )
    assert endpoint.kerberos_mutual is True  # the typo changed nothing


def test_a_misspelt_saml_key_in_a_profile_warns_and_the_aws_keys_beside_it_do_not(tmp_path, caplog) -> None:
    path = _config(
        tmp_path,
        "\n[profile dev]\nsaml_endpoint = corp\nsaml_role_ar = arn:aws:iam::123456789012:role/Dev\n"
        "output = json\ncli_pager =\nregion = eu-west-1\n",
    )
    with caplog.at_level(logging.WARNING, logger="samlbroker.config"):
        profile = load_profile("dev", path)
    assert _warnings(caplog) == [
        f"unknown key 'saml_role_ar' in [profile dev] of {path} (did you mean 'saml_role_arn'?): it is ignored"
    ]
    assert profile.role_arn is None


def test_an_unknown_key_like_no_known_one_is_named_without_a_guess(tmp_path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="samlbroker.config"):
        load_endpoint("corp", _config(tmp_path, "colour = blue\n"))
    (line,) = _warnings(caplog)
    assert "'colour'" in line and "did you mean" not in line


def test_known_keys_and_the_shipped_example_load_without_a_warning(tmp_path, caplog) -> None:
    body = "".join(
        f"{key} = no\n" for key in ENDPOINT_KEYS if key not in ("url", "auth_type", "account_names")
    )
    with caplog.at_level(logging.WARNING, logger="samlbroker.config"):
        load_endpoint("corp", _config(tmp_path, body))
        for name in ("corp", "lab"):
            load_endpoint(name, REPO / "config" / "aws-config.example")
    assert _warnings(caplog) == []


def test_endpoint_keys_are_the_endpoint_fields_the_configure_flags_and_the_readme_list() -> None:
    fields = {f.name for f in dataclasses.fields(Endpoint)} - {"name", "options"}
    assert set(ENDPOINT_KEYS) == fields
    from samlbroker.cli.main import build_parser

    parser = build_parser()
    (endpoint_parser,) = [
        action.choices["configure"] for action in parser._actions if getattr(action, "choices", None)
    ]
    flags = {
        option
        for sub in endpoint_parser._actions
        if getattr(sub, "choices", None)
        for option in sub.choices["endpoint"]._option_string_actions
    }
    assert {"--" + key.replace("_", "-") for key in ENDPOINT_KEYS} <= flags
    readme = (REPO / "README.md").read_text()
    listed = dict(
        re.findall(r"^- `(\w+)`: (.+)$", readme.split("### Endpoint keys", 1)[1].split("\n\n", 2)[1], re.M)
    )
    assert listed == dict(ENDPOINT_KEYS)
    example = (REPO / "config" / "aws-config.example").read_text()
    assert [key for key in ENDPOINT_KEYS if not re.search(rf"^#? ?{key} = ", example, re.M)] == []


PLUGIN = """
from samlbroker.authenticators.base import Authenticator


class TenantAuthenticator(Authenticator):
    name = "tenantidp"
    endpoint_options = {"tenant": "the IdP tenant to sign in to"}

    def __init__(self, tenant: str = "common") -> None:
        self.tenant = tenant

    def authenticate(self, session, endpoint, credentials):
        raise NotImplementedError
"""


@pytest.fixture
def tenant_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A third-party authenticator, found through its entry point as pip would install it."""
    site = tmp_path / "site"
    (site / "tenant_plugin").mkdir(parents=True)
    (site / "tenant_plugin" / "__init__.py").write_text(PLUGIN)
    info = site / "tenant_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tenant-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[samlbroker.authenticators]\ntenantidp = tenant_plugin:TenantAuthenticator\n"
    )
    monkeypatch.syspath_prepend(str(site))
    available.cache_clear()
    yield site
    available.cache_clear()


def test_keys_a_plugin_declares_do_not_warn_and_reach_the_plugin(tenant_plugin, tmp_path, caplog) -> None:
    path = _config(tmp_path, "tenant = contoso\ntenat = typo\n", auth_type="tenantidp")
    with caplog.at_level(logging.WARNING, logger="samlbroker.config"):
        endpoint = load_endpoint("corp", path)
    (line,) = _warnings(caplog)
    assert "'tenat'" in line and "did you mean 'tenant'?" in line
    authenticator = controller_for(endpoint).authenticator
    assert type(authenticator).__name__ == "TenantAuthenticator" and authenticator.tenant == "contoso"


def test_the_cli_says_the_warning_in_one_line_and_goes_on(lab, idp, cli_env, aws_home, password) -> None:
    from cli_runner import run_cli

    config = aws_home / ".aws" / "config"
    config.write_text(
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = ntlm\nca_bundle = {lab.ca_file}\n"
        "kerberos_mutal = no\n"
    )
    result = run_cli(
        cli_env,
        "roles",
        "--endpoint",
        "lab",
        "--user",
        "LAB\\alice",
        "--password-stdin",
        stdin=password("alice"),
    )
    assert result.returncode == 0, result.stderr
    (line,) = [text for text in result.stderr.splitlines() if "kerberos_mutal" in text]
    assert line == (
        f"samlbroker.config: unknown key 'kerberos_mutal' in [saml-endpoint lab] of {config} "
        "(did you mean 'kerberos_mutual'?): it is ignored"
    )


def _configure(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "samlbroker", "configure", "endpoint", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_configure_sets_every_key_checks_flags_and_unsets_a_misspelt_one(cli_env, aws_home) -> None:
    config = aws_home / ".aws" / "config"
    config.write_text(f"[saml-endpoint corp]\nurl = {URL}\nkerberos_mutal = no   ; a typo\n")
    assert _configure(cli_env, "corp", "--kerberos-mutual", "no", "--unset", "kerberos_mutal").returncode == 0
    assert config.read_text() == f"[saml-endpoint corp]\nurl = {URL}\nkerberos_mutual = no\n"
    refused = _configure(cli_env, "corp", "--kerberos-delegate", "maybe")
    assert refused.returncode != 0 and "kerberos_delegate = 'maybe'" in refused.stderr
    unknown = _configure(cli_env, "corp", "--unset", "colour")
    assert unknown.returncode != 0 and "--unset colour: not an endpoint key" in unknown.stderr
    with pytest.raises(ConfigError):
        load_endpoint("corp", _config(aws_home, "kerberos_delegate = maybe\n"))
