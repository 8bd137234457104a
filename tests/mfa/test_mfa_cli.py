"""Second factors as people and scripts meet them: the terminal, credential-process, the demo, a plugin."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from pty_session import on_terminal

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "plugins" / "samlbroker-mfa-email"


def test_terminal_login_asks_the_totp_code_with_hidden_input(lab, cli_env, password) -> None:
    command = [sys.executable, "-m", "samlbroker", "login", "--endpoint-url", lab.signon_url, "--auth-type",
               "forms", "--ca-bundle", str(lab.ca_file), "--user", "LAB\\frank", "--save-as", "frank"]  # fmt: skip
    with on_terminal(command, cli_env) as term:
        term.read_until(b"Password for LAB\\frank: ")
        term.type(password("frank").encode() + b"\n")
        term.read_until(b"TOTPAuthenticationProvider code: ")
        code = pyotp.TOTP(lab.users["frank"].mfa_secret).now()
        term.type(code.encode() + b"\n")
        term.read_until(b"logged in as arn:aws:iam::111122223333:role/ReadOnly")
        assert term.process.wait(timeout=30) == 0
    assert code.encode() not in term.seen  # hidden input
    assert b"additional information" in term.seen  # the IdP's own words were shown


def test_credential_process_with_mfa_and_no_terminal_fails_fast(
    lab, cli_env, aws_home, tmp_path, password, idp
):
    user_file = tmp_path / "ntlm-user"
    user_file.write_text(f"LAB:frank:{password('frank')}\n")
    (aws_home / ".aws" / "config").write_text(
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = ntlm\nca_bundle = {lab.ca_file}\n\n"
        "[profile mfa]\nsaml_endpoint = lab\nsaml_role_arn = arn:aws:iam::111122223333:role/ReadOnly\n"
        "credential_process = samlbroker credential-process --profile mfa\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "samlbroker", "credential-process", "--profile", "mfa"],
        capture_output=True, text=True, env={**cli_env, "NTLM_USER_FILE": str(user_file)}, timeout=60,
        check=False, start_new_session=True,
    )  # fmt: skip
    assert result.returncode != 0
    assert result.stdout == ""
    assert "run `samlbroker login --profile mfa`" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not idp.mfa.failed  # nothing was guessed or replayed


@pytest.mark.parametrize("kind", ["totp", "push"])
def test_lab_demo_answers_its_own_second_factor(cli_env, kind: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "samlbroker", "lab", "demo", "--auth", "forms", "--mfa", kind],
        capture_output=True, text=True, env=cli_env, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "assumed-role/ReadOnly/" in result.stdout
    assert ("asks for a code" if kind == "totp" else "push") in result.stderr


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("mfa-plugin")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target",
         str(target), str(PLUGIN)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return target


def test_email_code_plugin_answers_through_the_public_api(lab, cli_env, plugin_site, password) -> None:
    script = f"""
import json, requests
from samlbroker import SAMLAuthenticationController, UserCredentials
def prompt(question):
    assert question.method == "EmailOtpAdapter", question
    outbox = requests.get({lab.idp_url!r} + "/lab/outbox/judy", verify={str(lab.ca_file)!r}, timeout=10).json()
    return outbox[-1]
controller = SAMLAuthenticationController(verify={str(lab.ca_file)!r}, mfa_prompt=prompt)
judy = UserCredentials("LAB\\\\judy", {password("judy")!r})
assertion = controller.get_saml_assertion({lab.signon_url!r}, judy, "forms")
print(json.dumps(sorted(assertion.roles)))
"""
    env = {**cli_env, "PYTHONPATH": f"{plugin_site}:{REPO}"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60,
                            check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["ReadOnly"]


def test_mfa_plugin_uses_only_the_public_api() -> None:
    import ast

    source = (PLUGIN / "samlbroker_mfa_email" / "__init__.py").read_text()
    imported = {n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom) and n.module}
    assert {m for m in imported if m.startswith("samlbroker")} == {"samlbroker.mfa"}


def test_terminal_push_is_announced_and_a_spinner_waits_for_the_approval(lab, cli_env, password) -> None:
    command = [sys.executable, "-m", "samlbroker", "login", "--endpoint-url", lab.signon_url, "--auth-type",
               "forms", "--ca-bundle", str(lab.ca_file), "--user", "LAB\\grace", "--save-as", "grace"]  # fmt: skip
    with on_terminal(command, cli_env) as term:
        term.read_until(b"Password for LAB\\grace: ")
        term.type(password("grace").encode() + b"\n")
        term.read_until(b"Approve the sign-in request on your device (AzureMfaServerAuthentication)")
        term.read_until(b"waiting for your approval...")
        term.read_until(b"logged in as arn:aws:iam::111122223333:role/ReadOnly")
        assert term.process.wait(timeout=30) == 0


def test_terminal_shows_the_number_to_type_in_the_authenticator_app(lab, idp, cli_env, password) -> None:
    command = [sys.executable, "-m", "samlbroker", "login", "--endpoint-url", lab.signon_url, "--auth-type",
               "forms", "--ca-bundle", str(lab.ca_file), "--user", "LAB\\nick", "--save-as", "nick"]  # fmt: skip
    with on_terminal(command, cli_env) as term:
        term.read_until(b"Password for LAB\\nick: ")
        term.type(password("nick").encode() + b"\n")
        term.read_until(b"in your authenticator app to approve the sign-in.")
        shown = re.search(rb"Enter (\d+) in your authenticator app", bytes(term.seen))
        assert shown is not None
        idp.mfa.respond("nick", "approve", number=shown.group(1).decode())  # the user types it in the app
        term.read_until(b"logged in as arn:aws:iam::111122223333:role/ReadOnly")
        assert term.process.wait(timeout=30) == 0
    assert shown.group(1).decode() == idp.mfa.numbers["nick"][-1]
