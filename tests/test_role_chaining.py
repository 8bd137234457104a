"""botocore's own ``role_arn`` + ``source_profile`` on top of a samlbroker profile, against the lab STS.

The source profile's credentials come from the credentials file written by ``samlbroker login``, or from
``credential_process = samlbroker credential-process``; botocore then calls AssumeRole itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from cli_runner import run_cli

DEPLOYER = "arn:aws:iam::444455556666:role/Deployer"
DEVELOPER = "arn:aws:iam::111122223333:role/Developer"


def samlbroker_login(env: dict[str, str], password: str, profile: str = "dev") -> None:
    result = run_cli(
        env, "login", "--profile", profile, "--password-stdin", stdin=password + "\n", timeout=60
    )
    assert result.returncode == 0, result.stderr


def write_config(home: Path, lab, chained: str, source: str = "") -> None:  # type: ignore[no-untyped-def]
    (home / ".aws" / "config").write_text(
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = ntlm\nca_bundle = {lab.ca_file}\n\n"
        f"[profile dev]\nsaml_endpoint = lab\nsaml_role_arn = {DEVELOPER}\nsaml_user = LAB\\alice\n{source}\n"
        f"[profile deploy]\nrole_arn = {DEPLOYER}\nsource_profile = dev\nregion = eu-west-1\n{chained}"
    )


@pytest.fixture
def external_id(lab):  # type: ignore[no-untyped-def]
    lab.sts.require_external_id(DEPLOYER, "tenant-42")
    yield "tenant-42"
    lab.sts.require_external_id(DEPLOYER, None)


def test_boto3_assumes_the_chained_role_with_external_id_and_session_name(
    lab, aws_home, cli_env, password, external_id
) -> None:
    import boto3

    write_config(
        aws_home, lab, "external_id = tenant-42\nrole_session_name = alice-deploys\nduration_seconds = 900\n"
    )
    samlbroker_login(cli_env, password("alice"))
    lab.sts.reset()
    identity = boto3.Session(profile_name="deploy").client("sts").get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::444455556666:assumed-role/Deployer/alice-deploys"
    assume = lab.sts.calls_for("AssumeRole")
    assert len(assume) == 1 and assume[0].outcome == "ok"
    assert (assume[0].role_arn, assume[0].external_id, assume[0].role_session_name, assume[0].duration) == (
        DEPLOYER,
        "tenant-42",
        "alice-deploys",
        900,
    )
    source = lab.sts.issued[assume[0].source_access_key_id]
    assert source.role_arn == DEVELOPER and not source.chained  # signed by the SAML session samlbroker stored


def test_without_the_external_id_botocore_reports_access_denied(
    lab, aws_home, cli_env, password, external_id
) -> None:
    import botocore.exceptions
    import botocore.session

    write_config(aws_home, lab, "role_session_name = alice-deploys\n")
    samlbroker_login(cli_env, password("alice"))
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        botocore.session.Session(profile="deploy").get_credentials().get_frozen_credentials()
    assert caught.value.response["Error"]["Code"] == "AccessDenied"


def test_the_one_hour_role_chaining_limit_is_enforced(lab, aws_home, cli_env, password) -> None:
    import botocore.exceptions
    import botocore.session

    write_config(aws_home, lab, "duration_seconds = 7200\n")
    samlbroker_login(cli_env, password("alice"))
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        botocore.session.Session(profile="deploy").get_credentials().get_frozen_credentials()
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert "1 hour session limit" in caught.value.response["Error"]["Message"]


def test_botocore_default_session_name_and_one_hour(lab, aws_home, cli_env, password) -> None:
    import botocore.session

    write_config(aws_home, lab, "")
    samlbroker_login(cli_env, password("alice"))
    lab.sts.reset()
    creds = botocore.session.Session(profile="deploy").get_credentials().get_frozen_credentials()
    assert lab.sts.issued[creds.access_key].role_arn == DEPLOYER
    call = lab.sts.calls_for("AssumeRole")[-1]
    assert call.role_session_name.startswith("botocore-session-") and call.duration == 3600


def test_source_profile_with_samlbroker_credential_process(
    lab, aws_home, cli_env, password, external_id
) -> None:
    import boto3

    process = f"credential_process = {sys.executable} -m samlbroker credential-process --profile dev\n"
    write_config(aws_home, lab, "external_id = tenant-42\nrole_session_name = via-process\n", source=process)
    samlbroker_login(cli_env, password("alice"))  # fills the cache; the credentials file stays untouched
    assert not (aws_home / ".aws" / "credentials").exists()
    lab.idp.reset()
    identity = boto3.Session(profile_name="deploy").client("sts").get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::444455556666:assumed-role/Deployer/via-process"
    assert lab.idp.requests == 0  # credential-process answered from the cache
