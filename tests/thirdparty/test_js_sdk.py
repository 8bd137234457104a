"""The AWS SDK for JavaScript v3 (npm's @aws-sdk packages, written elsewhere) on Node.js, with samlbroker's credentials.

Through ``credential_process`` (``fromProcess`` and the default chain start ``samlbroker credential-process``
themselves) and through the container-credentials endpoint of ``exec --server`` and ``serve`` (``fromHttp``
and ``fromContainerMetadata``, the two providers the SDK's default chain tries for
AWS_CONTAINER_CREDENTIALS_FULL_URI); each run ends in a real STS GetCallerIdentity against the lab's STS,
whose CA Node.js trusts through NODE_EXTRA_CA_CERTS.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from cli_runner import run_cli
from endpoint_runner import serve
from js_sdk import JsSdk, find_js_sdk, parse

from samlbroker import cache
from samlbroker.cache_hit import IDENTITY_VARIABLES
from samlbroker.profiles import load_profile

READONLY = "arn:aws:iam::111122223333:role/ReadOnly"
ASSUMED = "arn:aws:sts::111122223333:assumed-role/ReadOnly/"
SAMLBROKER = f"{sys.executable} -m samlbroker"


@pytest.fixture(scope="module")
def js() -> JsSdk:
    return find_js_sdk()


@pytest.fixture
def sts(lab: object):
    """The lab STS; a test may set ``sts.issue_lifetime`` (restored afterwards)."""
    lab.sts.reset()  # type: ignore[attr-defined]
    yield lab.sts  # type: ignore[attr-defined]
    lab.sts.issue_lifetime = None  # type: ignore[attr-defined]


@pytest.fixture
def env(cli_env: dict[str, str], aws_home: Path, lab: object, tmp_path: Path, password, js) -> dict[str, str]:
    """Profile ``domain`` (default identity bob, through NTLM_USER_FILE) whose credential_process is samlbroker."""
    (aws_home / ".aws" / "config").write_text(
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = ntlm\nca_bundle = {lab.ca_file}\n\n"  # type: ignore[attr-defined]
        f"[profile domain]\nsaml_endpoint = lab\nsaml_role_arn = {READONLY}\nregion = us-east-1\n"
        f"credential_process = {SAMLBROKER} credential-process --profile domain\n"
    )
    user_file = tmp_path / "ntlm-user"
    user_file.write_text(f"LAB:bob:{password('bob')}\n")
    user_file.chmod(0o600)
    env = {k: v for k, v in cli_env.items() if k != "PYTHONPATH"}  # samlbroker runs from its installed venv
    return js.env({**env, "NTLM_USER_FILE": str(user_file)}, lab)


def entry(env: dict[str, str]) -> dict[str, object]:
    """The cache entry of profile ``domain`` as ``env``'s default identity sees it."""
    with pytest.MonkeyPatch.context() as patch:
        for name in IDENTITY_VARIABLES:
            if env.get(name):
                patch.setenv(name, env[name])
        found = cache.load(load_profile("domain").cache_key())
    assert found is not None
    return found


def sign_ins(idp: object) -> list[str]:
    return [e["user"] for e in idp.stats()["events"] if e["outcome"] == "success"]  # type: ignore[attr-defined]


def exec_server(js: JsSdk, env: dict[str, str], provider: str, calls: int = 1) -> dict[str, object]:
    """``samlbroker exec --profile domain --server -- node probe.js PROVIDER CALLS`` without a terminal."""
    command = ("exec", "--profile", "domain", "--server", "--", *js.command(provider, calls))
    return parse(run_cli(env, *command, new_session=True))


def assert_served_the_cache(seen: dict[str, object], env: dict[str, str]) -> None:
    """The SDK's credentials are the cache entry's, its Expiration a Date, and STS saw the assumed role."""
    creds = seen["credentials"]
    cached = entry(env)
    assert creds["accessKeyId"] == cached["access_key_id"]  # type: ignore[index]
    assert creds["secretAccessKey"] == cached["secret_access_key"]  # type: ignore[index]
    assert creds["sessionToken"] == cached["session_token"]  # type: ignore[index]
    assert creds["expirationIsDate"] is True  # type: ignore[index]
    assert creds["expiration"] == cached["expires_at"]  # type: ignore[index]
    [call] = seen["calls"]  # type: ignore[misc]
    assert call["arn"].startswith(ASSUMED) and call["account"] == "111122223333"
    assert call["key"] == cached["access_key_id"]


@pytest.mark.parametrize("provider", ["process", "chain"])
def test_the_sdk_runs_our_credential_process_and_gets_the_assumed_role(js, env, idp, provider) -> None:
    seen = js.run({**env, "AWS_PROFILE": "domain"}, provider)
    assert_served_the_cache(seen, env)
    assert seen["credentials"]["accountId"] == "111122223333"  # type: ignore[index]
    assert sign_ins(idp) == ["bob"]
    again = js.run({**env, "AWS_PROFILE": "domain"}, provider)
    assert sign_ins(idp) == ["bob"]  # the second run was a cache hit
    assert again["credentials"]["accountId"] == "111122223333"  # type: ignore[index]  # also from the hit


@pytest.mark.parametrize("provider", ["http", "container", "chain"])
def test_the_sdk_takes_the_credentials_of_exec_server(js, env, idp, provider) -> None:
    seen = exec_server(js, env, provider)
    assert_served_the_cache(seen, env)
    if provider == "container":  # fromHttp drops AccountId; fromContainerMetadata keeps it
        assert seen["credentials"]["accountId"] == "111122223333"  # type: ignore[index]
    assert sign_ins(idp) == ["bob"]


@pytest.mark.parametrize("provider", ["http", "container"])
def test_the_sdk_takes_the_credentials_of_serve(js, env, idp, provider) -> None:
    with serve(env) as served:
        seen = js.run(served.client_env(env), provider)
    assert_served_the_cache(seen, env)
    assert sign_ins(idp) == ["bob"]


def test_a_wrong_token_is_refused_and_the_sdk_reads_the_error(js, env, idp) -> None:
    with serve(env) as served:
        wrong = {**served.client_env(env), "AWS_CONTAINER_AUTHORIZATION_TOKEN": "not-the-token"}
        through_http = js.run(wrong, "http")
        through_container = js.run(wrong, "container")
        right = js.run(served.client_env(env), "http")
    assert through_http["error"] == "CredentialsProviderError"
    assert "403" in through_http["message"]
    assert through_http.get("Code") == "AccessDenied"  # fromHttp reads Code and Message from the error body
    assert "token" in through_http.get("Message", "")
    assert through_container["error"] == "ProviderError"
    assert right["credentials"]["accessKeyId"] == entry(env)["access_key_id"]  # type: ignore[index]


def test_a_localhost_url_works_as_both_providers_allow_it(js, env, idp) -> None:
    with serve(env) as served:
        by_name = {
            **served.client_env(env),
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": served.url.replace("127.0.0.1", "localhost"),
        }
        seen = {provider: js.run(by_name, provider) for provider in ("http", "container")}
    for provider, result in seen.items():
        assert "error" not in result, (provider, result)
        assert result["credentials"]["accessKeyId"] == entry(env)["access_key_id"], provider


def test_the_sdk_refreshes_through_the_endpoint_before_each_expiry(js, env, idp, sts) -> None:
    sts.issue_lifetime = 12  # 12-second credentials: the SDK treats anything under 5 minutes as due
    seen = exec_server(js, {**env, "PAUSE_MS": "1000"}, "chain", calls=20)
    calls = seen["calls"]
    assert all(call["arn"].startswith(ASSUMED) for call in calls)  # type: ignore[union-attr]
    keys = [call["key"] for call in calls]  # type: ignore[union-attr]
    assert len(set(keys)) >= 2  # new credentials came through the endpoint; the STS refused none
    first_expiry = seen["credentials"]["expiration"]  # type: ignore[index]
    assert calls[-1]["at"] > first_expiry  # type: ignore[index]  # the calls outlived the first credentials
    runs = [key for i, key in enumerate(keys) if i == 0 or keys[i - 1] != key]
    assert runs == list(dict.fromkeys(keys))  # each new key replaced the old for good: never went back
    assert len(set(keys)) <= len(sign_ins(idp)) <= len(set(keys)) + 1  # (+1: a refresh after the last call)
