"""Session policies (PolicyArns, Policy) on AssumeRoleWithSAML: checked locally, then seen arriving at the lab STS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from samlbroker.errors import ConfigError
from samlbroker.flow import login
from samlbroker.identity import UserCredentials
from samlbroker.profiles import Endpoint

DEVELOPER = "arn:aws:iam::111122223333:role/Developer"
READ_ONLY_ARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"
BOUNDARY_ARN = "arn:aws:iam::111122223333:policy/team/Boundary"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::lab-bucket/*"}],
}


@pytest.fixture
def endpoint(lab) -> Endpoint:  # type: ignore[no-untyped-def]
    return Endpoint(name="lab", url=lab.signon_url, auth_type="ntlm", ca_bundle=str(lab.ca_file))


def alice(password) -> UserCredentials:  # type: ignore[no-untyped-def]
    return UserCredentials("LAB\\alice", password("alice"))


def test_flow_login_passes_policy_arns_and_policy_to_assume_role_with_saml(
    lab, aws_home, endpoint, password
) -> None:
    lab.sts.reset()
    pretty = json.dumps(POLICY, indent=4)
    result = login(
        endpoint, alice(password), role=DEVELOPER, policy_arns=[READ_ONLY_ARN, BOUNDARY_ARN], policy=pretty
    )
    call = lab.sts.calls_for("AssumeRoleWithSAML")[-1]
    assert call.outcome == "ok"
    assert call.policy_arns == (READ_ONLY_ARN, BOUNDARY_ARN)
    assert json.loads(call.policy) == POLICY
    assert call.policy == json.dumps(POLICY, separators=(",", ":"))  # whitespace removed before sending
    session = lab.sts.issued[result.credentials.access_key_id]
    assert session.policy_arns == (READ_ONLY_ARN, BOUNDARY_ARN)


def test_flow_login_without_policies_sends_none(lab, aws_home, endpoint, password) -> None:
    lab.sts.reset()
    login(endpoint, alice(password), role=DEVELOPER)
    call = lab.sts.calls_for("AssumeRoleWithSAML")[-1]
    assert (call.policy, call.policy_arns) == (None, ())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"policy": "{not json"}, "not valid JSON"),
        ({"policy": "[]"}, "JSON object"),
        ({"policy": json.dumps({"Statement": ["x" * 2100]})}, "at most 2048"),
        ({"policy_arns": [f"arn:aws:iam::aws:policy/P{n}" for n in range(11)]}, "at most 10"),
        ({"policy_arns": ["ReadOnlyAccess"]}, "not an IAM policy ARN"),
    ],
)
def test_bad_session_policies_fail_before_the_idp_is_asked(
    lab, aws_home, endpoint, password, idp, kwargs: dict[str, object], message: str
) -> None:
    lab.sts.reset()
    with pytest.raises(ConfigError, match=message):
        login(endpoint, alice(password), role=DEVELOPER, **kwargs)  # type: ignore[arg-type]
    assert idp.requests == 0
    assert lab.sts.calls == []


def test_profile_saml_policy_arns_and_file_arrive_through_federated_credentials(
    lab, aws_home: Path, password
) -> None:
    from samlbroker.credentials import FederatedCredentials

    policy_file = aws_home / "session-policy.json"
    policy_file.write_text(json.dumps(POLICY, indent=2))
    (aws_home / ".aws" / "config").write_text(
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = ntlm\nca_bundle = {lab.ca_file}\n\n"
        f"[profile dev]\nsaml_endpoint = lab\nsaml_role_arn = {DEVELOPER}\nsaml_user = LAB\\alice\n"
        f"saml_policy_arns = {READ_ONLY_ARN}, {BOUNDARY_ARN}\nsaml_policy_file = {policy_file}\n"
    )
    lab.sts.reset()
    FederatedCredentials("dev", callback=lambda request: alice(password), use_cache=False).get_credentials()
    call = lab.sts.calls_for("AssumeRoleWithSAML")[-1]
    assert call.policy_arns == (READ_ONLY_ARN, BOUNDARY_ARN)
    assert json.loads(call.policy) == POLICY
