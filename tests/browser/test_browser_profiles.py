"""auth_type = browser from the config file: credential-process and FederatedCredentials refresh without a
window on the IdP's remembered session, and fail fast (saying what to run) when the user is needed."""

from __future__ import annotations

import json
import os

import pytest
from chromium import LabUserAtTheBrowser
from cli_runner import run_cli

from samlbroker.errors import BrowserError, InteractionRequiredError

READONLY = "arn:aws:iam::111122223333:role/ReadOnly"


@pytest.fixture
def browser_config(lab, idp, aws_home, chrome, guard, monkeypatch):  # type: ignore[no-untyped-def]
    """``browser_config(endpoint_extra="", profile_extra="")``: endpoint ``lab`` (auth_type = browser, the
    guard as its proxy) and profile ``dev`` (bob's ReadOnly, credential_process) in the AWS config file."""
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)

    def write(endpoint_extra: str = "", profile_extra: str = "") -> None:
        (aws_home / ".aws" / "config").write_text(
            f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = browser\nca_bundle = {lab.ca_file}\n"
            f"proxy = {guard.url}\nbrowser_path = {chrome}\n{endpoint_extra}\n"
            f"[profile dev]\nsaml_endpoint = lab\nsaml_role_arn = {READONLY}\nsaml_user = LAB\\bob\n"
            f"region = eu-west-1\ncredential_process = samlbroker credential-process --profile dev\n{profile_extra}"
        )

    write()
    return write


def remember_bob(lab, aws_home, password) -> None:  # type: ignore[no-untyped-def]
    """Sign bob in once in the endpoint's own browser profile, ticking "keep me signed in"."""
    from samlbroker.credentials import FederatedCredentials
    from samlbroker.flow import browser_authenticator

    credentials = FederatedCredentials("dev", use_cache=False)
    authenticator = browser_authenticator(credentials.profile.endpoint, window=False, profile_name="dev")
    authenticator.page_hook = LabUserAtTheBrowser("LAB\\bob", password("bob"), kmsi=True)
    from samlbroker import SAMLAuthenticationController

    endpoint = credentials.profile.endpoint
    SAMLAuthenticationController(
        authenticator=authenticator, verify=endpoint.verify, proxies=endpoint.proxy
    ).get_saml_assertion(endpoint.url)
    folder = aws_home / ".aws" / "samlbroker" / "browser" / "lab"
    assert folder.is_dir() and folder.stat().st_mode & 0o777 == 0o700


def test_credential_process_refreshes_on_the_remembered_session_without_a_window(
    lab, idp, aws_home, browser_config, cli_env, password
) -> None:
    env = {k: v for k, v in cli_env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    first = run_cli(env, "credential-process", "--profile", "dev", timeout=90)
    assert first.returncode != 0 and first.stdout == ""
    assert first.stderr.strip().splitlines() == [first.stderr.strip()]  # one line
    assert "needs you" in first.stderr and "run `samlbroker login --profile dev`" in first.stderr
    assert idp.events == []  # nothing was posted: no password was asked for or sent

    remember_bob(lab, aws_home, password)
    second = run_cli(env, "credential-process", "--profile", "dev", timeout=90)
    assert second.returncode == 0, second.stderr
    answer = json.loads(second.stdout)
    assert answer["Version"] == 1 and answer["AccessKeyId"]
    assert [e["outcome"] for e in idp.events] == ["success"]  # bob typed his password once, in the browser


def test_headless_endpoint_login_fails_fast_saying_what_to_do(lab, idp, browser_config, cli_env) -> None:
    browser_config(endpoint_extra="browser_headless = yes\n")
    result = run_cli(cli_env, "login", "--profile", "dev", timeout=90)
    assert result.returncode != 0
    assert "run `samlbroker login --profile dev` with browser_headless = no" in result.stderr
    assert "Traceback" not in result.stderr
    assert idp.events == []


def test_a_refresh_opens_a_window_only_when_the_profile_says_so(lab, idp, browser_config) -> None:
    from samlbroker.credentials import FederatedCredentials

    with pytest.raises(InteractionRequiredError, match="run `samlbroker login --profile dev`"):
        FederatedCredentials("dev", use_cache=False).authenticate()
    browser_config(profile_extra="browser_interactive_refresh = yes\n")
    # Now it tries a window; this machine has no display to show one on, which says so.
    with pytest.raises(BrowserError, match="no display to open the browser window on"):
        FederatedCredentials("dev", use_cache=False).authenticate()


def test_password_stdin_is_refused_for_a_browser_endpoint(lab, idp, browser_config, cli_env) -> None:
    result = run_cli(cli_env, "login", "--profile", "dev", "--password-stdin", stdin="secret\n")
    assert result.returncode != 0
    assert "you sign in in the browser" in result.stderr
    assert "secret" not in result.stderr


def test_config_keys_are_read(lab, browser_config, aws_home) -> None:
    from samlbroker.profiles import load_profile

    browser_config(
        endpoint_extra="browser_headless = yes\nacs_url = https://sp.example/acs\n",
        profile_extra="browser_interactive_refresh = yes\n",
    )
    profile = load_profile("dev")
    assert (profile.endpoint.browser_headless, profile.endpoint.acs_url) == (True, "https://sp.example/acs")
    assert profile.browser_interactive_refresh is True
    assert os.path.isabs(profile.endpoint.browser_path or "")
