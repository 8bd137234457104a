"""Console sign-in URLs against the lab federation endpoint, down to a real headless Chromium."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from samlbroker.console import federation_url_for, partition_of, signin_url
from samlbroker.errors import ConfigError, FederationError, SAMLBrokerError
from samlbroker.sts import Credentials

DEVELOPER = "arn:aws:iam::111122223333:role/Developer"
ASSUMED = "arn:aws:sts::111122223333:assumed-role/Developer/alice@lab.example"


@pytest.fixture
def federation(lab):  # type: ignore[no-untyped-def]
    lab.federation.reset()
    return lab.federation


def url_for(lab, creds: Credentials, **kwargs: object) -> str:  # type: ignore[no-untyped-def]
    kwargs.setdefault("federation_url", lab.federation.federation_url)
    kwargs.setdefault("verify", str(lab.ca_file))
    return signin_url(creds, **kwargs)  # type: ignore[arg-type]


def test_signin_url_is_a_login_url_with_token_destination_and_issuer(lab, federation, lab_login) -> None:
    creds = lab_login().credentials
    url = url_for(
        lab, creds, destination="https://console.aws.amazon.com/s3/", issuer=lab.signon_url, duration=1800
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == federation.federation_url
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["Action"] == "login"
    assert query["Destination"] == "https://console.aws.amazon.com/s3/"
    assert query["Issuer"] == lab.signon_url
    assert query["SigninToken"]
    assert creds.secret_access_key not in url and creds.session_token not in url
    token_call = federation.calls[-1]
    assert (token_call.action, token_call.outcome, token_call.session_duration) == (
        "getSigninToken",
        "ok",
        1800,
    )


def test_login_url_redirects_once_to_a_console_showing_the_role(lab, federation, lab_login) -> None:
    url = url_for(lab, lab_login().credentials)
    with requests.Session() as browser:
        page = browser.get(url, verify=str(lab.ca_file), timeout=10)
        assert page.status_code == 200
        assert ASSUMED in page.text
        again = requests.get(url, verify=str(lab.ca_file), timeout=10)  # a sign-in token works once
    assert again.status_code == 403


def test_duration_is_checked_before_any_request(lab, federation, lab_login) -> None:
    creds = lab_login().credentials
    for bad in (899, 43201, 0):
        with pytest.raises(ConfigError, match="900 to 43200"):
            url_for(lab, creds, duration=bad)
    assert federation.calls == []


def test_without_duration_no_session_duration_is_sent(lab, federation, lab_login) -> None:
    url_for(lab, lab_login().credentials)
    assert federation.calls[-1].session_duration is None


def test_credentials_the_sts_never_issued_are_refused_in_one_line(lab, federation) -> None:
    fake = Credentials("ASIAFAKEFAKEFAKEFAKE", "s" * 40, "token", dt.datetime.now(dt.timezone.utc))
    with pytest.raises(FederationError) as caught:
        url_for(lab, fake)
    message = str(caught.value)
    assert "refused the session (HTTP 403)" in message
    assert "\n" not in message and "s" * 40 not in message


def test_a_wrong_secret_is_refused(lab, federation, lab_login) -> None:
    creds = lab_login().credentials
    with pytest.raises(FederationError, match="HTTP 403"):
        url_for(lab, dataclasses.replace(creds, secret_access_key="x" * 40))


def test_untrusted_tls_is_a_clear_error(lab, federation, lab_login) -> None:
    creds = lab_login().credentials
    with pytest.raises(FederationError, match="not trusted"):
        url_for(lab, creds, verify=True)


def test_unreachable_federation_endpoint_is_a_clear_error(lab_login) -> None:
    creds = lab_login().credentials
    with pytest.raises(FederationError, match="cannot connect"):
        signin_url(creds, federation_url="https://127.0.0.1:1/federation", timeout=5)


def test_role_chained_credentials_get_a_hint_when_asking_over_an_hour(lab, federation, lab_login) -> None:
    import botocore.session

    base = lab_login().credentials
    client = botocore.session.Session().create_client(
        "sts",
        region_name="us-east-1",
        endpoint_url=lab.sts_url,
        verify=str(lab.ca_file),
        aws_access_key_id=base.access_key_id,
        aws_secret_access_key=base.secret_access_key,
        aws_session_token=base.session_token,
    )
    answer = client.assume_role(RoleArn="arn:aws:iam::444455556666:role/Deployer", RoleSessionName="hop")
    raw = answer["Credentials"]
    chained = Credentials(
        raw["AccessKeyId"],
        raw["SecretAccessKey"],
        raw["SessionToken"],
        raw["Expiration"],
        answer["AssumedRoleUser"]["Arn"],
    )
    with pytest.raises(SAMLBrokerError, match="role chaining"):
        url_for(lab, chained, duration=7200)
    assert url_for(lab, chained, duration=3600)


@pytest.mark.parametrize(
    ("arn", "host"),
    [
        ("arn:aws:sts::111122223333:assumed-role/R/s", "signin.aws.amazon.com"),
        ("arn:aws-us-gov:sts::111122223333:assumed-role/R/s", "signin.amazonaws-us-gov.com"),
        ("arn:aws-cn:sts::111122223333:assumed-role/R/s", "signin.amazonaws.cn"),
    ],
)
def test_federation_endpoint_follows_the_partition(arn: str, host: str) -> None:
    creds = Credentials("ASIA", "s", "t", dt.datetime.now(dt.timezone.utc), arn)
    assert federation_url_for(partition_of(creds)) == f"https://{host}/federation"


def test_role_arn_gives_the_partition_when_credentials_do_not_say() -> None:
    creds = Credentials("ASIA", "s", "t", dt.datetime.now(dt.timezone.utc))
    assert partition_of(creds, "arn:aws-us-gov:iam::111122223333:role/R") == "aws-us-gov"
    assert partition_of(creds) == "aws"


def test_a_federation_url_override_wins_and_must_be_a_url() -> None:
    assert federation_url_for("aws-cn", "https://sso.example/federation") == "https://sso.example/federation"
    with pytest.raises(ConfigError):
        federation_url_for("aws", "signin.example/federation")
    with pytest.raises(ConfigError, match="federation_url"):
        federation_url_for("aws-iso")


# -- a real browser ------------------------------------------------------------------------------------


def test_real_headless_chromium_shows_the_assumed_role(lab, federation, lab_login, tmp_path) -> None:
    from chromium import require_chromium

    browser = require_chromium()
    url = url_for(lab, lab_login().credentials, destination="https://console.aws.amazon.com/ec2/")
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-proxy-server",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--ignore-certificate-errors",  # the lab CA is not in Chromium's store; only this test does this
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    match = re.search(r'<span id="assumed-role-arn">([^<]+)</span>', result.stdout)
    assert match, (
        f"no role on the page (exit {result.returncode}): {result.stdout[-500:]} {result.stderr[-500:]}"
    )
    assert match.group(1) == ASSUMED
    assert "https://console.aws.amazon.com/ec2/" in result.stdout
    login_calls = [c for c in federation.calls if c.action == "login"]
    assert [c.outcome for c in login_calls] == ["ok"]
    assert json.dumps(login_calls[0].destination) == '"https://console.aws.amazon.com/ec2/"'
