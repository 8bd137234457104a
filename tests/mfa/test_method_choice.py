"""Several second factors enabled: AD FS's method-choice page, and "Sign in using another method" on an
adapter's page, answered end to end against the lab.

The lab's users ``yuri`` (Duo, Azure MFA code, RSA SecurID), ``zoe`` (Azure MFA push, SecurID v2) and
``amos`` (Duo, an e-mailed code) have several adapters; the page offers each as an action link or a button
(``IdPVariant.mfa_options``), and shows either the choice first or the first adapter's page with the others
(``IdPVariant.mfa_choice``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from mfa_prompts import Prompt

from samlbroker import UserCredentials
from samlbroker.errors import ConfigError, MFAFailedError
from samlbroker.flow import controller_for
from samlbroker.mfa.driver import builtin_handlers
from samlbroker.profiles import load_endpoint

REPO = Path(__file__).resolve().parents[2]
STYLES = ["links", "buttons"]


def _second_factor_events(idp, name: str) -> list[tuple[str, str]]:
    """(AuthMethod, outcome) of each second-factor post the lab saw from ``name``."""
    return [
        (e["scheme"], e["outcome"])
        for e in idp.events
        if e["user"] == name and e["outcome"].startswith("mfa_")
    ]


@pytest.fixture
def variant(idp):
    """``variant(**changes)``: this test's IdP deployment shape."""

    def use(**changes) -> None:
        idp.variant = idp.variant.but(**changes)

    return use


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("first_factor", ["forms", "ntlm"])
def test_choice_page_picks_the_first_offered_method_a_handler_answers(
    idp, variant, login, token, style, first_factor
) -> None:
    variant(mfa_options=style)
    prompt = Prompt(lambda: token("yuri"))
    assert list(login("yuri", prompt, first_factor).roles) == ["ReadOnly"]
    # Duo (first on the page) has no handler: the next offered method, Azure MFA, is picked and answered.
    assert [(q.kind, q.method, q.attempt) for q in prompt.asked] == [("code", "AzureMfaAuthentication", 1)]
    assert _second_factor_events(idp, "yuri") == [
        ("AzureMfaAuthentication", "mfa_chosen"),
        ("AzureMfaAuthentication", "mfa_done"),
    ]


@pytest.mark.parametrize("style", STYLES)
def test_choice_page_picks_the_method_the_endpoint_names(idp, variant, login, token, style) -> None:
    variant(mfa_options=style)
    prompt = Prompt(lambda: token("yuri", with_pin=True))
    assert login("yuri", prompt, method="SecurIDAuthentication").roles
    assert [(q.kind, q.method) for q in prompt.asked] == [("code", "SecurIDAuthentication")]
    assert prompt.asked[0].message == "Enter your RSA SecurID passcode."
    assert _second_factor_events(idp, "yuri") == [
        ("SecurIDAuthentication", "mfa_chosen"),
        ("SecurIDAuthentication", "mfa_done"),
    ]


def test_method_the_page_does_not_offer_is_one_line_listing_what_it_offers(idp, login) -> None:
    prompt = Prompt()
    with pytest.raises(MFAFailedError) as failure:
        login("yuri", prompt, method="SilverfortAdfs")
    message = str(failure.value)
    assert "mfa_method SilverfortAdfs" in message
    assert "DuoAdfsAdapter, AzureMfaAuthentication, SecurIDAuthentication" in message
    assert "\n" not in message
    assert prompt.asked == []
    assert _second_factor_events(idp, "yuri") == []  # nothing picked, nothing started on the user's devices


def test_choice_without_a_method_any_handler_answers_lists_the_offered_ones(idp, login) -> None:
    with pytest.raises(MFAFailedError) as failure:
        login("amos", Prompt(), handlers=builtin_handlers())
    message = str(failure.value)
    assert "DuoAdfsAdapter, EmailOtpAdapter" in message
    assert "no installed MFA handler answers" in message
    assert _second_factor_events(idp, "amos") == []


def test_plugin_handler_declaring_its_method_is_picked_on_the_choice_page(idp, login, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(REPO / "plugins" / "samlbroker-mfa-email"))
    from samlbroker_mfa_email import EmailCodeHandler

    prompt = Prompt(lambda: idp.mfa.outbox["amos"][-1])
    assert login("amos", prompt, handlers=[EmailCodeHandler(), *builtin_handlers()]).roles
    assert [(q.kind, q.method) for q in prompt.asked] == [("code", "EmailOtpAdapter")]
    assert _second_factor_events(idp, "amos") == [
        ("EmailOtpAdapter", "mfa_chosen"),
        ("EmailOtpAdapter", "mfa_done"),
    ]


@pytest.mark.parametrize("style", STYLES)
def test_unknown_adapter_page_is_left_through_sign_in_using_another_method(
    idp, variant, login, token, style
) -> None:
    variant(mfa_choice="default", mfa_options=style)  # Duo's page at once, the others behind a link
    prompt = Prompt(lambda: token("yuri"))
    assert login("yuri", prompt).roles
    assert [(q.kind, q.method) for q in prompt.asked] == [("code", "AzureMfaAuthentication")]
    assert _second_factor_events(idp, "yuri") == [
        ("AzureMfaAuthentication", "mfa_chosen"),
        ("AzureMfaAuthentication", "mfa_done"),
    ]


def test_answerable_adapter_page_is_left_for_the_method_the_endpoint_names(
    idp, variant, login, token
) -> None:
    variant(mfa_choice="default")  # Azure MFA's push page at once; SecurID v2 behind "another method"
    prompt = Prompt(lambda: token("zoe", with_pin=True))
    assert login("zoe", prompt, method="SecurIDv2Authentication").roles
    assert [(q.kind, q.method) for q in prompt.asked] == [("code", "SecurIDv2Authentication")]  # no push sent
    assert _second_factor_events(idp, "zoe") == [
        ("SecurIDv2Authentication", "mfa_chosen"),
        ("SecurIDv2Authentication", "mfa_started"),
        ("SecurIDv2Authentication", "mfa_done"),
    ]


def test_adapter_page_the_handlers_answer_is_kept_without_an_mfa_method(idp, variant, login) -> None:
    variant(mfa_choice="default")
    prompt = Prompt(on_push=lambda question: idp.mfa.respond("zoe", "approve"))
    assert login("zoe", prompt).roles
    assert [(q.kind, q.method) for q in prompt.asked] == [("push", "AzureMfaAuthentication")]
    assert all(outcome != "mfa_chosen" for _, outcome in _second_factor_events(idp, "zoe"))


def test_mfa_method_in_the_endpoint_section_picks_the_method(
    lab, idp, clean_aws_config, password, token
) -> None:
    clean_aws_config.write_text(
        f"[saml-endpoint corp]\nurl = {lab.signon_url}\nauth_type = forms\nca_bundle = {lab.ca_file}\n"
        "mfa_method = SecurIDAuthentication\n"
    )
    endpoint = load_endpoint("corp")
    assert endpoint.mfa_method == "SecurIDAuthentication"
    prompt = Prompt(lambda: token("yuri", with_pin=True))
    controller = controller_for(endpoint, mfa_prompt=prompt)
    credentials = UserCredentials("LAB\\yuri", password("yuri"))
    assert controller.get_saml_assertion(endpoint.url, credentials, endpoint.auth_type).roles
    assert [q.method for q in prompt.asked] == ["SecurIDAuthentication"]


def test_malformed_mfa_method_is_a_one_line_config_error(clean_aws_config) -> None:
    clean_aws_config.write_text(
        "[saml-endpoint corp]\nurl = https://adfs.example/adfs/ls/\nmfa_method = Azure MFA\n"
    )
    with pytest.raises(ConfigError, match=r"mfa_method = 'Azure MFA' .* is not an AuthMethod name"):
        load_endpoint("corp")


def test_cli_login_with_a_method_the_idp_does_not_offer_fails_in_one_line(
    lab, cli_env, aws_home, idp, password
):
    (aws_home / ".aws" / "config").write_text(
        f"[saml-endpoint corp]\nurl = {lab.signon_url}\nauth_type = forms\nca_bundle = {lab.ca_file}\n"
        "mfa_method = SilverfortAdfs\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "samlbroker", "login", "--endpoint", "corp", "--user", "LAB\\yuri",
         "--password-stdin"],
        input=password("yuri") + "\n", capture_output=True, text=True, env=cli_env, timeout=60, check=False,
        start_new_session=True,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "it offers DuoAdfsAdapter, AzureMfaAuthentication, SecurIDAuthentication" in result.stderr
    assert password("yuri") not in result.stderr + result.stdout
