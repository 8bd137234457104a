"""``-v`` on every command, against the lab: the output shows the flow but no secret, from any logger.

Each command runs as a real process. Its SAMLResponses are recorded by wrapping the public
``SAMLAssertion.from_base64`` (behaviour unchanged); the secret keys and tokens are every one the lab STS
issued; the SigninTokens are those that ``console --print`` printed. One run leaves logging as ``-v`` sets
it, the other also turns botocore's, urllib3's and every other library's DEBUG logging on (request bodies,
headers, canonical requests): what ``-v`` prints must hold none of them either way.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, unquote_plus, urlsplit

import pytest
from cli_runner import run_python

ROLE_ARN = "arn:aws:iam::111122223333:role/Developer"

WRAPPER = r"""
import logging, os, sys
for name in os.environ.get("TEST_DEBUG_LOGGERS", "").split():
    logging.getLogger(name).setLevel(logging.DEBUG)
from samlbroker.assertion import SAMLAssertion
_from_base64 = SAMLAssertion.from_base64.__func__
def _recorded(cls, data, *args, **kwargs):
    assertion = _from_base64(cls, data, *args, **kwargs)
    with open(os.environ["TEST_SEEN_SAML"], "a", encoding="ascii") as seen:
        seen.write(assertion.base64 + "\n")
    return assertion
SAMLAssertion.from_base64 = classmethod(_recorded)
from samlbroker.cli.main import main
sys.exit(main())
"""
LIBRARY_LOGGERS = "botocore boto3 urllib3 requests spnego keyring charset_normalizer asyncio"


def pieces(value: str) -> list[str]:
    """What counts as a leak of ``value``: itself, or (for a long one) any 20-character stretch of it."""
    if len(value) < 40:
        return [value]
    return [value[i : i + 20] for i in range(0, len(value) - 19, 10)]


def leaked(text: str, secrets: dict[str, str]) -> list[str]:
    """The names of the secrets that appear in ``text``, as they are or URL-encoded."""
    forms = (text, unquote(text), unquote_plus(text))
    return sorted(
        {name for name, value in secrets.items() if any(p in f for p in pieces(value) for f in forms)}
    )


@pytest.mark.parametrize("debug_loggers", ["", LIBRARY_LOGGERS], ids=["v", "v-and-library-debug"])
def test_verbose_output_of_every_command_holds_no_secret(
    lab, cli_env, aws_home: Path, password, tmp_path: Path, debug_loggers: str
) -> None:
    seen_saml = tmp_path / "saml-responses"
    env = {**cli_env, "TEST_DEBUG_LOGGERS": debug_loggers, "TEST_SEEN_SAML": str(seen_saml)}
    runs: list[tuple[list[str], subprocess.CompletedProcess[str]]] = []

    def samlbroker(*args: str, stdin: str = "", code: int = 0) -> subprocess.CompletedProcess[str]:
        # no controlling terminal: nothing may prompt
        result = run_python(env, "-c", WRAPPER, "-v", *args, stdin=stdin, new_session=True)
        assert result.returncode == code, (args, result.stderr)
        assert "Traceback" not in result.stderr
        runs.append((list(args), result))
        return result

    alice = password("alice") + "\n"
    lab_endpoint = ["--url", lab.signon_url, "--auth-type", "ntlm", "--ca-bundle", str(lab.ca_file)]
    samlbroker("configure", "endpoint", "lab", *lab_endpoint)
    samlbroker(
        "configure", "profile", "dev", "--endpoint", "lab", "--role", ROLE_ARN, "--user", "LAB\\alice",
        "--region", "eu-west-1",
    )  # fmt: skip
    from samlbroker.profiles import write_profile

    write_profile("dev", {"federation_url": lab.federation.federation_url})

    samlbroker("roles", "--profile", "dev", "--password-stdin", stdin=alice)
    login = samlbroker("login", "--profile", "dev", "--password-stdin", stdin=alice)
    process = samlbroker("credential-process", "--profile", "dev")
    exports = samlbroker("env", "--profile", "dev")
    samlbroker(
        "exec", "--profile", "dev", "--", sys.executable, "-c", "import os; os.environ['AWS_SESSION_TOKEN']"
    )
    console = samlbroker("console", "--profile", "dev", "--print")
    samlbroker("whoami", "--profile", "dev")
    plain = ["--endpoint-url", lab.signon_url, "--auth-type", "forms", "--ca-bundle", str(lab.ca_file)]
    samlbroker("login", *plain, "--user", "LAB\\alice", "--password-stdin", "--role", ROLE_ARN, "--save-as",
               "plain", stdin=alice)  # fmt: skip
    samlbroker("whoami", "--profile", "plain")
    wrong = "Wr0ng-Guess-" + password("alice")[::-1]
    samlbroker(
        "login", *plain, "--user", "LAB\\alice", "--password-stdin", "--role", ROLE_ARN, stdin=wrong, code=3
    )
    samlbroker("logout", "--profile", "dev")
    samlbroker("credential-process", "--profile", "dev", code=1)  # no cache, no terminal: a one-line error

    # What the commands are for reaches stdout, and only that.
    assert json.loads(process.stdout)["SessionToken"]
    assert all(line.startswith(("export ", "unset ")) for line in exports.stdout.splitlines())
    (console_url,) = console.stdout.splitlines()
    secrets = {"password": password("alice"), "wrong password": wrong}
    secrets.update(
        {f"SigninToken {i}": t for i, t in enumerate(parse_qs(urlsplit(console_url).query)["SigninToken"])}
    )
    responses = seen_saml.read_text().split()
    assert len(responses) >= 3  # roles, login, the plain login
    secrets.update({f"SAMLResponse {i}": value for i, value in enumerate(responses)})
    for key, issued in lab.sts.issued.items():
        secrets[f"secret key of {key}"] = issued.secret_access_key
        secrets[f"session token of {key}"] = issued.session_token
    products = {
        id(process): "SecretAccessKey",
        id(exports): "AWS_SECRET_ACCESS_KEY",
        id(console): "SigninToken",
    }

    for args, result in runs:
        assert leaked(result.stderr, secrets) == [], (args, result.stderr)
        if id(result) not in products:
            assert leaked(result.stdout, secrets) == [], (args, result.stdout)

    # ... and -v did show the flow: the IdP's legs, STS, the federation endpoint, by path.
    assert "/adfs/ls/IdpInitiatedSignOn.aspx -> 200" in login.stderr
    assert '"GET /federation?<hidden> HTTP/1.1" 200' in console.stderr
    if debug_loggers:
        assert "botocore.endpoint: Making request for" in login.stderr
