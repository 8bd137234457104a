"""Which STS host AssumeRoleWithSAML reaches for each setting: the role's region and partition, botocore's
``sts_regional_endpoints`` / ``AWS_STS_REGIONAL_ENDPOINTS``, ``use_fips_endpoint`` / ``AWS_USE_FIPS_ENDPOINT``,
and endpoint overrides (``AWS_ENDPOINT_URL_STS``, ``AWS_ENDPOINT_URL``, the config file's ``endpoint_url``).

The first tests read the URL botocore resolves (no network); the last ones send the real request through a
CONNECT proxy that routes AWS host names to the lab STS, and read which host the tunnel was opened to.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from samlbroker.lab.proxy import ConnectProxy
from samlbroker.lab.saml import build_saml_response, encode_response
from samlbroker.roles import RolePair
from samlbroker.sts import STSClient

DEV = RolePair("arn:aws:iam::111122223333:role/Developer", "arn:aws:iam::111122223333:saml-provider/lab-adfs")
GOV = RolePair(
    "arn:aws-us-gov:iam::111122223333:role/Developer",
    "arn:aws-us-gov:iam::111122223333:saml-provider/lab-adfs",
)
CN = RolePair(
    "arn:aws-cn:iam::111122223333:role/Developer", "arn:aws-cn:iam::111122223333:saml-provider/lab-adfs"
)


@pytest.fixture
def clean_env(clean_aws_config: Path) -> Path:
    """No AWS_* variables and an empty config file: only what a test sets applies."""
    return clean_aws_config


def host_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[0]


@pytest.mark.parametrize(
    ("env", "pair", "region", "host"),
    [
        ({}, DEV, None, "sts.us-east-1.amazonaws.com"),
        ({}, DEV, "eu-west-1", "sts.eu-west-1.amazonaws.com"),
        ({}, DEV, "ap-southeast-2", "sts.ap-southeast-2.amazonaws.com"),
        ({"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}, DEV, "eu-west-1", "sts.amazonaws.com"),
        ({"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}, DEV, None, "sts.amazonaws.com"),
        ({"AWS_STS_REGIONAL_ENDPOINTS": "regional"}, DEV, "eu-west-1", "sts.eu-west-1.amazonaws.com"),
        ({"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}, GOV, None, "sts.us-gov-west-1.amazonaws.com"),
        ({"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}, CN, None, "sts.cn-north-1.amazonaws.com.cn"),
        ({"AWS_USE_FIPS_ENDPOINT": "true"}, DEV, "us-east-2", "sts-fips.us-east-2.amazonaws.com"),
        ({"AWS_USE_FIPS_ENDPOINT": "true"}, GOV, "us-gov-east-1", "sts.us-gov-east-1.amazonaws.com"),
        ({"AWS_ENDPOINT_URL_STS": "https://sts.corp.example:8443"}, GOV, None, "sts.corp.example:8443"),
        ({"AWS_ENDPOINT_URL": "https://all.corp.example"}, DEV, "eu-west-1", "all.corp.example"),
        (
            {
                "AWS_ENDPOINT_URL": "https://all.corp.example",
                "AWS_ENDPOINT_URL_STS": "https://sts.corp.example",
            },
            DEV,
            None,
            "sts.corp.example",
        ),
    ],
)
def test_environment_settings_choose_the_host(
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    pair: RolePair,
    region: str | None,
    host: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert host_of(STSClient(region=region).endpoint_url_for(pair)) == host


def test_use_fips_flag_overrides_the_environment(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (
        host_of(STSClient(region="us-west-2", use_fips=True).endpoint_url_for(DEV))
        == "sts-fips.us-west-2.amazonaws.com"
    )
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")
    assert (
        host_of(STSClient(region="us-west-2", use_fips=False).endpoint_url_for(DEV))
        == "sts.us-west-2.amazonaws.com"
    )


@pytest.mark.parametrize(
    ("section", "host"),
    [
        ("sts_regional_endpoints = legacy\n", "sts.amazonaws.com"),
        ("use_fips_endpoint = true\n", "sts-fips.us-east-2.amazonaws.com"),
        ("endpoint_url = https://everything.corp.example\n", "everything.corp.example"),
        (
            "services = corp\n\n[services corp]\nsts =\n  endpoint_url = https://sts.corp.example\n",
            "sts.corp.example",
        ),
    ],
)
def test_the_profiles_config_section_is_read_when_the_client_names_it(
    clean_env: Path, section: str, host: str
) -> None:
    clean_env.write_text("[profile dev]\nregion = us-east-2\n" + section)
    assert host_of(STSClient(region="us-east-2", profile="dev").endpoint_url_for(DEV)) == host
    assert host_of(STSClient(region="us-east-2").endpoint_url_for(DEV)) == "sts.us-east-2.amazonaws.com"


def test_default_profile_settings_apply_without_a_profile(clean_env: Path) -> None:
    clean_env.write_text("[default]\nsts_regional_endpoints = legacy\n")
    assert host_of(STSClient(region="eu-central-1").endpoint_url_for(DEV)) == "sts.amazonaws.com"


def test_an_explicit_endpoint_url_wins_over_every_setting(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_env.write_text("[profile dev]\nuse_fips_endpoint = true\nendpoint_url = https://cfg.example\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "https://env.example")
    client = STSClient(endpoint_url="https://explicit.example", profile="dev", use_fips=True)
    assert client.endpoint_url_for(DEV) == "https://explicit.example"


# -- the request really goes there ---------------------------------------------------------------------


def lab_assertion(lab, pair: RolePair) -> str:  # type: ignore[no-untyped-def]
    audience = (
        "urn:amazon:webservices:govcloud" if pair.partition == "aws-us-gov" else "urn:amazon:webservices"
    )
    recipient = (
        "https://signin.amazonaws-us-gov.com/saml"
        if pair.partition == "aws-us-gov"
        else "https://signin.aws.amazon.com/saml"
    )
    xml = build_saml_response(
        subject="alice@lab.example",
        roles=[(pair.role_arn, pair.principal_arn)],
        signing_key_pem=lab.pki.signing_key_pem,
        signing_cert_pem=lab.pki.signing_cert_pem,
        audience=audience,
        recipient=recipient,
    )
    return encode_response(xml)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize(
    ("env", "pair", "region", "host"),
    [
        ({}, DEV, "eu-west-1", "sts.eu-west-1.amazonaws.com:443"),
        ({"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}, DEV, "eu-west-1", "sts.amazonaws.com:443"),
        ({"AWS_USE_FIPS_ENDPOINT": "true"}, DEV, "us-east-1", "sts-fips.us-east-1.amazonaws.com:443"),
        ({}, GOV, None, "sts.us-gov-west-1.amazonaws.com:443"),
    ],
)
def test_assume_role_with_saml_reaches_that_host(
    lab,
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    pair: RolePair,
    region: str | None,
    host: str,
) -> None:  # type: ignore[no-untyped-def]
    added = pair.principal_arn not in lab.sts.providers
    if added:  # the lab's GovCloud user is in another account: trust this provider for this test only
        lab.sts.register_provider(pair.principal_arn, lab.signing_cert_pem)
    proxy = ConnectProxy({host.rsplit(":", 1)[0]: lab.sts.server_address[1]})
    for name, value in {**env, "HTTPS_PROXY": proxy.url}.items():
        monkeypatch.setenv(name, value)
    for name in ("NO_PROXY", "no_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    try:
        # The lab's certificate names localhost, not AWS hosts: verification is off for this test only.
        creds = STSClient(region=region, verify=False, max_attempts=1).assume_role_with_saml(
            lab_assertion(lab, pair), pair, 900
        )
    finally:
        proxy.close()
        if added:
            lab.sts.providers.pop(pair.principal_arn, None)
    assert proxy.tunnels == [host]
    assert lab.sts.issued[creds.access_key_id].role_arn == pair.role_arn
