"""STSClient against the lab STS over real sockets (HTTPS with a CA made for the test run)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from samlbroker.errors import ConfigError, STSError
from samlbroker.lab.pki import LabPKI, create_pki
from samlbroker.lab.saml import build_saml_response, encode_response, generate_signing_identity
from samlbroker.lab.sts import STSServer
from samlbroker.roles import RolePair
from samlbroker.sts import Credentials, STSClient, resolve_duration

PROVIDER = "arn:aws:iam::111122223333:saml-provider/lab-adfs"
DEV = RolePair("arn:aws:iam::111122223333:role/Developer", PROVIDER)
LONG = RolePair("arn:aws:iam::111122223333:role/LongSessions", PROVIDER)
OTHER = RolePair("arn:aws:iam::111122223333:role/Admin", PROVIDER)
GOV = RolePair(
    "arn:aws-us-gov:iam::111122223333:role/Developer",
    "arn:aws-us-gov:iam::111122223333:saml-provider/lab-adfs",
)
CN = RolePair(
    "arn:aws-cn:iam::111122223333:role/Developer", "arn:aws-cn:iam::111122223333:saml-provider/lab-adfs"
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LabPKI:
    return create_pki(tmp_path_factory.mktemp("sts-pki"))


@pytest.fixture(scope="module")
def sts_server(pki: LabPKI) -> Iterator[STSServer]:
    server = STSServer(
        {PROVIDER: pki.signing_cert_pem.decode()},
        ssl_context=pki.server_context(),
        max_session_duration={LONG.role_arn: 43200},
    ).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def clean_aws_env(clean_aws_config: Path) -> None:
    """No AWS_* variable from the outside world, and an empty config file."""


@pytest.fixture
def server(sts_server: STSServer) -> STSServer:
    sts_server.reset()
    sts_server.clock = lambda: dt.datetime.now(dt.timezone.utc)
    return sts_server


@pytest.fixture
def client(server: STSServer, pki: LabPKI) -> STSClient:
    return STSClient(endpoint_url=server.url, verify=str(pki.ca_file), timeout=5)


def saml(pki: LabPKI, roles: tuple[RolePair, ...] = (DEV,), **kwargs: object) -> str:
    """A signed, base64 SAMLResponse granting ``roles``."""
    kwargs.setdefault("signing_key_pem", pki.signing_key_pem)
    kwargs.setdefault("signing_cert_pem", pki.signing_cert_pem)
    kwargs.setdefault("subject", "alice@lab.example")
    xml = build_saml_response(roles=[(p.role_arn, p.principal_arn) for p in roles], **kwargs)  # type: ignore[arg-type]
    return encode_response(xml)


def refused(client: STSClient, assertion: str, pair: RolePair = DEV, duration: int | None = None) -> STSError:
    with pytest.raises(STSError) as caught:
        client.assume_role_with_saml(assertion, pair, duration)
    assert assertion not in str(caught.value)
    assert "\n" not in str(caught.value)
    return caught.value


# -- success ----------------------------------------------------------------------------------------------


def test_assume_role_returns_the_issued_credentials(
    client: STSClient, server: STSServer, pki: LabPKI
) -> None:
    creds = client.assume_role_with_saml(saml(pki), DEV, None)
    issued = server.issued[creds.access_key_id]
    assert creds.access_key_id.startswith("ASIA")
    assert creds.secret_access_key == issued.secret_access_key
    assert creds.session_token == issued.session_token
    assert creds.assumed_role_arn == "arn:aws:sts::111122223333:assumed-role/Developer/alice@lab.example"


def test_expiration_is_an_aware_utc_datetime(client: STSClient, pki: LabPKI) -> None:
    creds = client.assume_role_with_saml(saml(pki), DEV, None)
    assert creds.expiration.tzinfo is not None
    assert creds.expiration.utcoffset() == dt.timedelta(0)
    assert creds.expiration.tzinfo is dt.timezone.utc


def test_repr_and_str_of_credentials_hide_secret_and_token(client: STSClient, pki: LabPKI) -> None:
    creds = client.assume_role_with_saml(saml(pki), DEV, None)
    for text in (repr(creds), str(creds), f"{creds}"):
        assert creds.access_key_id in text
        assert creds.secret_access_key not in text
        assert creds.session_token not in text


def test_credentials_are_immutable() -> None:
    creds = Credentials("ASIAEXAMPLE", "secret", "token", dt.datetime.now(dt.timezone.utc))
    with pytest.raises(AttributeError):
        creds.secret_access_key = "other"  # type: ignore[misc]


def test_policy_and_policy_arns_reach_sts(server: STSServer, pki: LabPKI) -> None:
    policy = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    )
    arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::111122223333:policy/team/Extra"]
    client = STSClient(endpoint_url=server.url, verify=str(pki.ca_file), policy=policy, policy_arns=arns)
    client.assume_role_with_saml(saml(pki), DEV, None)
    (call,) = server.calls
    assert call.outcome == "ok"
    assert json.loads(call.policy) == json.loads(policy)
    assert call.policy_arns == tuple(arns)


def test_pretty_printed_policy_is_sent_compacted(server: STSServer, pki: LabPKI) -> None:
    statements = [{"Effect": "Allow", "Action": f"s3:Get{i}", "Resource": "*"} for i in range(20)]
    pretty = json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=8)
    assert len(pretty) > 2048
    client = STSClient(endpoint_url=server.url, verify=str(pki.ca_file), policy=pretty)
    client.assume_role_with_saml(saml(pki), DEV, None)
    (call,) = server.calls
    assert len(call.policy) <= 2048
    assert json.loads(call.policy) == json.loads(pretty)


# -- duration -------------------------------------------------------------------------------------------


def frozen(server: STSServer, monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """Stop the lab STS's clock at now (whole seconds): expirations are then exact, whatever the machine's load."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    monkeypatch.setattr(server, "clock", lambda: now)
    return now


def test_default_duration_is_one_hour(
    client: STSClient, server: STSServer, pki: LabPKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = frozen(server, monkeypatch)
    creds = client.assume_role_with_saml(saml(pki, session_duration=None), DEV, None)
    assert server.calls[0].duration == 3600
    assert creds.expiration == now + dt.timedelta(seconds=3600)


def test_requested_duration_is_capped_at_session_duration_with_a_warning(
    client: STSClient, server: STSServer, pki: LabPKI, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="samlbroker.sts"):
        client.assume_role_with_saml(
            saml(pki, roles=(LONG,), session_duration=1800), LONG, 7200, session_duration=1800
        )
    assert server.calls[0].duration == 1800
    assert any("SessionDuration" in r.getMessage() for r in caplog.records)


def test_default_duration_is_capped_at_a_shorter_session_duration_quietly(
    client: STSClient, server: STSServer, pki: LabPKI, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="samlbroker.sts"):
        client.assume_role_with_saml(saml(pki, session_duration=1200), DEV, None, session_duration=1200)
    assert server.calls[0].duration == 1200
    assert not caplog.records


def test_credentials_last_the_lesser_of_duration_and_session_duration(
    client: STSClient, server: STSServer, pki: LabPKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = frozen(server, monkeypatch)
    # The caller did not pass session_duration: STS itself caps at the assertion's SessionDuration.
    creds = client.assume_role_with_saml(saml(pki, roles=(LONG,), session_duration=1000), LONG, 7200)
    assert creds.expiration == now + dt.timedelta(seconds=1000)


@pytest.mark.parametrize("duration", [60, 899, 43201, 100000])
def test_out_of_range_duration_is_a_config_error_before_any_call(
    client: STSClient, server: STSServer, pki: LabPKI, duration: int
) -> None:
    with pytest.raises(ConfigError, match=rf"duration {duration} s is out of range: AWS allows 900 to 43200"):
        client.assume_role_with_saml(saml(pki), DEV, duration)
    assert server.calls == []
    assert server.requests == 0


@pytest.mark.parametrize(
    ("requested", "session", "expected"),
    [
        (None, None, 3600),
        (None, 7200, 3600),
        (None, 1800, 1800),
        (900, None, 900),
        (43200, None, 43200),
        (43200, 28800, 28800),
        (7200, 7200, 7200),
        (3600, 600, 900),  # never below AWS's minimum, even for an odd SessionDuration
    ],
)
def test_resolve_duration(requested: int | None, session: int | None, expected: int) -> None:
    assert resolve_duration(requested, session) == expected


def test_resolve_duration_uses_the_given_default() -> None:
    assert resolve_duration(None, None, default=900) == 900


# -- errors from STS ------------------------------------------------------------------------------------


def test_expired_assertion_says_to_log_in_again(client: STSClient, pki: LabPKI) -> None:
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    error = refused(client, saml(pki, not_on_or_after=past))
    assert error.code == "ExpiredTokenException"
    assert str(error).startswith("AWS STS refused AssumeRoleWithSAML: ExpiredTokenException: ")
    assert "the SAML assertion expired: log in again" in str(error)


def test_wrong_audience_is_idp_rejected_claim(client: STSClient, pki: LabPKI) -> None:
    error = refused(client, saml(pki, audience="urn:example:other-sp"))
    assert error.code == "IDPRejectedClaim"
    assert "IDPRejectedClaim: " in str(error)


def test_wrong_recipient_is_idp_rejected_claim(client: STSClient, pki: LabPKI) -> None:
    error = refused(client, saml(pki, recipient="https://evil.example/saml"))
    assert error.code == "IDPRejectedClaim"


def test_role_not_in_the_assertion_is_access_denied(client: STSClient, pki: LabPKI) -> None:
    error = refused(client, saml(pki, roles=(DEV,)), pair=OTHER)
    assert error.code == "AccessDenied"
    assert "Not authorized to perform sts:AssumeRoleWithSAML" in str(error)


def test_unknown_provider_is_invalid_identity_token(client: STSClient, pki: LabPKI) -> None:
    stranger = RolePair(DEV.role_arn, "arn:aws:iam::111122223333:saml-provider/unknown")
    error = refused(client, saml(pki, roles=(stranger,)), pair=stranger)
    assert error.code == "InvalidIdentityToken"
    assert "saml-provider/unknown does not exist" in str(error)


def test_assertion_signed_by_another_key_is_invalid_identity_token(client: STSClient, pki: LabPKI) -> None:
    key, cert = generate_signing_identity("impostor")
    error = refused(client, saml(pki, signing_key_pem=key, signing_cert_pem=cert))
    assert error.code == "InvalidIdentityToken"


def test_unsigned_assertion_is_invalid_identity_token(client: STSClient, pki: LabPKI) -> None:
    error = refused(client, saml(pki, sign="none"))
    assert error.code == "InvalidIdentityToken"


def test_duration_over_the_roles_max_session_duration_is_validation_error(
    client: STSClient, pki: LabPKI
) -> None:
    error = refused(client, saml(pki, session_duration=43200), duration=7200)
    assert error.code == "ValidationError"
    assert "MaxSessionDuration" in str(error)
    assert "shorter duration" in str(error)


def test_role_with_a_twelve_hour_max_session_duration_grants_it(
    client: STSClient, server: STSServer, pki: LabPKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = frozen(server, monkeypatch)
    creds = client.assume_role_with_saml(saml(pki, roles=(LONG,), session_duration=43200), LONG, 43200)
    assert creds.expiration == now + dt.timedelta(seconds=43200)


def test_throttling_is_retried_within_max_attempts(server: STSServer, pki: LabPKI) -> None:
    client = STSClient(endpoint_url=server.url, verify=str(pki.ca_file), max_attempts=3)
    server.throttle_next(2)
    creds = client.assume_role_with_saml(saml(pki), DEV, None)
    assert creds.access_key_id in server.issued
    assert [c.outcome for c in server.calls] == ["Throttling", "Throttling", "ok"]


def test_throttling_beyond_max_attempts_fails_after_exactly_max_attempts(
    server: STSServer, pki: LabPKI
) -> None:
    client = STSClient(endpoint_url=server.url, verify=str(pki.ca_file), max_attempts=2)
    server.throttle_next(10)
    error = refused(client, saml(pki))
    assert error.code == "Throttling"
    assert "after 2 attempts" in str(error)
    assert len(server.calls) == 2


def test_error_message_never_contains_the_assertion(client: STSClient, pki: LabPKI) -> None:
    assertion = saml(pki, audience="urn:example:other-sp")
    error = refused(client, assertion)
    assert assertion[:40] not in str(error)
    assert assertion[-40:] not in str(error)


# -- transport errors -----------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_sts_error(pki: LabPKI) -> None:
    client = STSClient(endpoint_url=f"https://127.0.0.1:{_closed_port()}", max_attempts=1, timeout=2)
    error = refused(client, saml(pki))
    assert str(error).startswith("cannot reach AWS STS at https://127.0.0.1:")
    assert error.code is None


def test_untrusted_tls_certificate_is_sts_error(server: STSServer, pki: LabPKI) -> None:
    client = STSClient(endpoint_url=server.url, max_attempts=1, timeout=5)  # system trust: lab CA unknown
    error = refused(client, saml(pki))
    assert str(error).startswith("cannot reach AWS STS at ")
    assert "SSL" in str(error) or "certificate" in str(error)
    assert server.calls == []


def test_silent_server_times_out_as_sts_error(pki: LabPKI) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        client = STSClient(endpoint_url=f"http://127.0.0.1:{port}", max_attempts=1, timeout=0.5)
        error = refused(client, saml(pki))
        assert str(error).startswith(f"cannot reach AWS STS at http://127.0.0.1:{port}")
        assert "timeout" in str(error).lower() or "timed out" in str(error).lower()
    finally:
        for sock in accepted:
            sock.close()
        listener.close()


def test_ca_bundle_from_aws_ca_bundle_is_honoured_with_default_verify(
    server: STSServer, pki: LabPKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", str(pki.ca_file))
    creds = STSClient(endpoint_url=server.url).assume_role_with_saml(saml(pki), DEV, None)
    assert creds.access_key_id in server.issued


# -- endpoints --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pair", "region", "expected"),
    [
        (DEV, None, "https://sts.us-east-1.amazonaws.com"),
        (DEV, "eu-west-1", "https://sts.eu-west-1.amazonaws.com"),
        (DEV, "us-gov-east-1", "https://sts.us-east-1.amazonaws.com"),
        (GOV, None, "https://sts.us-gov-west-1.amazonaws.com"),
        (GOV, "us-gov-east-1", "https://sts.us-gov-east-1.amazonaws.com"),
        (GOV, "eu-west-1", "https://sts.us-gov-west-1.amazonaws.com"),
        (CN, None, "https://sts.cn-north-1.amazonaws.com.cn"),
        (CN, "cn-northwest-1", "https://sts.cn-northwest-1.amazonaws.com.cn"),
        (
            RolePair("arn:aws-iso:iam::111122223333:role/R", "arn:aws-iso:iam::111122223333:saml-provider/P"),
            None,
            "https://sts.us-iso-east-1.c2s.ic.gov",
        ),
        (
            RolePair(
                "arn:aws-iso-b:iam::111122223333:role/R", "arn:aws-iso-b:iam::111122223333:saml-provider/P"
            ),
            None,
            "https://sts.us-isob-east-1.sc2s.sgov.gov",
        ),
    ],
)
def test_endpoint_follows_the_roles_partition(pair: RolePair, region: str | None, expected: str) -> None:
    assert STSClient(region=region).endpoint_url_for(pair) == expected


def test_legacy_sts_regional_endpoints_setting_gives_the_global_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy")
    assert STSClient().endpoint_url_for(DEV) == "https://sts.amazonaws.com"


def test_aws_endpoint_url_sts_is_honoured(
    server: STSServer, pki: LabPKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", server.url)
    client = STSClient(verify=str(pki.ca_file))
    assert client.endpoint_url_for(DEV) == server.url
    creds = client.assume_role_with_saml(saml(pki), DEV, None)
    assert creds.access_key_id in server.issued


def test_aws_endpoint_url_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://sts.proxy.example")
    assert STSClient().endpoint_url_for(GOV) == "https://sts.proxy.example"


def test_config_file_endpoint_url_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config-with-endpoint"
    config.write_text(
        "[default]\nservices = corp\n\n[services corp]\nsts =\n  endpoint_url = https://sts.corp.example\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    assert STSClient().endpoint_url_for(DEV) == "https://sts.corp.example"


def test_explicit_endpoint_url_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "https://from-env.example")
    assert (
        STSClient(endpoint_url="https://explicit.example").endpoint_url_for(DEV) == "https://explicit.example"
    )


def test_missing_aws_profile_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    with pytest.raises(ConfigError, match="no-such-profile"):
        STSClient().endpoint_url_for(DEV)


# -- local policy validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"policy": "{not json"}, "not valid JSON"),
        ({"policy": "[1, 2]"}, "must be a JSON object"),
        ({"policy": '{"a": 1, "a": 2}'}, "repeats a key"),
        ({"policy": json.dumps({"Version": "2012-10-17", "Sid": "x" * 2100})}, "AWS allows at most 2048"),
        ({"policy": json.dumps({"Sid": "\u20ac"}, ensure_ascii=False)}, "characters AWS does not allow"),
        ({"policy_arns": [f"arn:aws:iam::aws:policy/P{i}" for i in range(11)]}, "AWS allows at most 10"),
        ({"policy_arns": ["ReadOnlyAccess"]}, "is not an IAM policy ARN"),
    ],
)
def test_bad_session_policy_is_a_config_error_before_any_call(
    server: STSServer, pki: LabPKI, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        STSClient(endpoint_url=server.url, verify=str(pki.ca_file), **kwargs).assume_role_with_saml(  # type: ignore[arg-type]
            saml(pki), DEV, None
        )
    assert server.requests == 0


def test_policy_arn_of_another_partition_is_a_config_error(server: STSServer, pki: LabPKI) -> None:
    client = STSClient(
        endpoint_url=server.url,
        verify=str(pki.ca_file),
        policy_arns=["arn:aws-cn:iam::aws:policy/ReadOnlyAccess"],
    )
    with pytest.raises(ConfigError, match="partition aws-cn"):
        client.assume_role_with_saml(saml(pki), DEV, None)
    assert server.requests == 0


def test_exactly_ten_policy_arns_and_a_2048_character_policy_are_accepted() -> None:
    policy = json.dumps({"Sid": ""}, separators=(",", ":"))
    policy = policy.replace('""', '"' + "x" * (2048 - len(policy)) + '"')
    assert len(policy) == 2048
    client = STSClient(policy=policy, policy_arns=[f"arn:aws:iam::aws:policy/P{i}" for i in range(10)])
    assert client.policy == policy
    assert len(client.policy_arns) == 10


# -- import cost ------------------------------------------------------------------------------------------


def test_importing_sts_does_not_import_botocore() -> None:
    code = (
        "import sys, samlbroker.sts; print(sorted(m for m in sys.modules if m.split('.')[0] == 'botocore'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
