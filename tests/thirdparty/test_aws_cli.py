"""The AWS CLI v2 (Debian's /usr/bin/aws, written elsewhere) with samlbroker's credentials.

Through ``credential_process`` (the CLI starts ``samlbroker credential-process`` itself) and through the
container-credentials endpoint of ``exec --server`` and ``serve``; the lab's STS answers, trusted through
AWS_CA_BUNDLE.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from aws_cli import AwsCli, find_aws_cli
from cli_runner import run_cli
from endpoint_runner import serve

from samlbroker import cache
from samlbroker.cache_hit import IDENTITY_VARIABLES
from samlbroker.lab.variant import IdPVariant
from samlbroker.profiles import load_profile
from samlbroker.sts import Credentials

READONLY = "arn:aws:iam::111122223333:role/ReadOnly"
SAMLBROKER = f"{sys.executable} -m samlbroker"


@pytest.fixture(scope="module")
def aws() -> AwsCli:
    """Debian's AWS CLI v2 at /usr/bin/aws (skips, naming `./dev test`, where it is missing)."""
    return find_aws_cli()


@pytest.fixture
def env(cli_env: dict[str, str], aws_home: Path, lab: object, tmp_path: Path, password) -> dict[str, str]:
    """Profile ``domain`` (default identity bob, through NTLM_USER_FILE), used by the CLI through credential_process."""
    (aws_home / ".aws" / "config").write_text(
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = ntlm\nca_bundle = {lab.ca_file}\n\n"  # type: ignore[attr-defined]
        f"[profile domain]\nsaml_endpoint = lab\nsaml_role_arn = {READONLY}\nregion = us-east-1\n"
        f"credential_process = {SAMLBROKER} credential-process --profile domain\n"
    )
    user_file = tmp_path / "ntlm-user"
    user_file.write_text(f"LAB:bob:{password('bob')}\n")
    user_file.chmod(0o600)
    env = {k: v for k, v in cli_env.items() if k != "PYTHONPATH"}  # samlbroker runs from its installed venv
    return {**env, "NTLM_USER_FILE": str(user_file)}


def entry(env: dict[str, str]) -> dict[str, object]:
    """The cache entry of profile ``domain`` as ``env``'s default identity sees it."""
    with pytest.MonkeyPatch.context() as patch:
        for name in IDENTITY_VARIABLES:
            if env.get(name):
                patch.setenv(name, env[name])
        found = cache.load(load_profile("domain").cache_key())
    assert found is not None
    return found


def seed(env: dict[str, str], minutes: float) -> None:
    expiry = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(minutes=minutes)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NTLM_USER_FILE", env["NTLM_USER_FILE"])
        cache.store(load_profile("domain").cache_key(), Credentials("ASIASEEDED", "s", "t", expiry, None))


def sign_ins(idp: object) -> list[str]:
    return [e["user"] for e in idp.stats()["events"] if e["outcome"] == "success"]  # type: ignore[attr-defined]


def caller(aws: AwsCli, env: dict[str, str], lab: object, *args: str) -> dict[str, str]:
    result = aws.run(env, "sts", "get-caller-identity", "--endpoint-url", lab.sts_url, *args)  # type: ignore[attr-defined]
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_cli_runs_our_credential_process_and_gets_the_assumed_role(aws, env, lab, idp) -> None:
    identity = caller(aws, env, lab, "--profile", "domain")
    assert identity["Arn"].startswith("arn:aws:sts::111122223333:assumed-role/ReadOnly/")
    assert identity["Account"] == "111122223333"
    assert sign_ins(idp) == ["bob"]  # the CLI's credential_process call signed in, once
    caller(aws, env, lab, "--profile", "domain")
    assert sign_ins(idp) == ["bob"]  # the second call was a cache hit


def test_export_credentials_gives_what_samlbroker_served(aws, env, lab) -> None:
    result = aws.run(env, "configure", "export-credentials", "--profile", "domain", "--format", "process")
    assert result.returncode == 0, result.stderr
    exported = json.loads(result.stdout)
    cached = entry(env)
    assert exported["AccessKeyId"] == cached["access_key_id"]
    assert exported["SecretAccessKey"] == cached["secret_access_key"]
    assert exported["SessionToken"] == cached["session_token"]
    served = dt.datetime.fromisoformat(exported["Expiration"].replace("Z", "+00:00"))
    assert served.timestamp() == cached["expires_at"]


def test_configure_list_and_get_caller_identity_through_exec_server(aws, env, lab, idp) -> None:
    command = ("exec", "--profile", "domain", "--server", "--", str(aws.path))
    listed = run_cli(aws.env(env), *command, "configure", "list", new_session=True)
    assert listed.returncode == 0, listed.stderr
    key_row = next(line for line in listed.stdout.splitlines() if line.split()[:1] == ["access_key"])
    assert key_row.split()[-1] == "container-role"
    assert key_row.split()[1].endswith(str(entry(env)["access_key_id"])[-4:])
    identity = run_cli(
        aws.env(env),
        *command,
        "sts",
        "get-caller-identity",
        "--endpoint-url",
        lab.sts_url,
        new_session=True,
    )
    assert identity.returncode == 0, identity.stderr
    assert json.loads(identity.stdout)["Arn"].startswith("arn:aws:sts::111122223333:assumed-role/ReadOnly/")
    assert sign_ins(idp) == ["bob"]  # one login for both runs: the second took the cache


def test_a_wrong_token_gets_the_cli_no_credentials(aws, env, lab) -> None:
    seed(env, 50)
    with serve(env) as served:
        wrong = {**served.client_env(env), "AWS_CONTAINER_AUTHORIZATION_TOKEN": "not-the-token"}
        result = aws.run(wrong, "sts", "get-caller-identity", "--endpoint-url", lab.sts_url)
        right = aws.run(served.client_env(env), "configure", "export-credentials")
    assert result.returncode != 0 and result.stdout == ""
    assert "403" in result.stderr
    assert right.returncode == 0 and json.loads(right.stdout)["AccessKeyId"] == "ASIASEEDED"


def test_many_cli_processes_refreshing_at_once_cause_one_login(aws, env, lab, idp) -> None:
    seed(env, 12)  # valid but due: the endpoint and every credential_process refresh
    idp.variant = IdPVariant(delay=0.3)  # the sign-in is slow enough for the processes to meet
    with serve(env) as served, ThreadPoolExecutor(max_workers=10) as pool:
        through_endpoint = [
            pool.submit(aws.run, served.client_env(env), "configure", "export-credentials") for _ in range(5)
        ]
        through_process = [
            pool.submit(aws.run, env, "configure", "export-credentials", "--profile", "domain")
            for _ in range(5)
        ]
        results = [f.result() for f in through_endpoint + through_process]
    assert [r.returncode for r in results] == [0] * 10, [r.stderr for r in results if r.returncode]
    new_key = entry(env)["access_key_id"]
    assert new_key != "ASIASEEDED"
    keys = [json.loads(r.stdout)["AccessKeyId"] for r in results]
    assert set(keys[5:]) == {new_key}  # credential_process waits for the one login
    assert set(keys[:5]) <= {"ASIASEEDED", new_key}  # the endpoint answers at once: old (still valid) or new
    assert sign_ins(idp) == ["bob"]
