"""Role pairs and friendly names, as the contract fixes them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from samlbroker.errors import NoRolesError, RoleNotFoundError
from samlbroker.roles import (
    InvalidRoleValue,
    RolePair,
    choose_role,
    friendly_names,
    parse_role_value,
    read_role_value,
)

ROLE = "arn:aws:iam::111122223333:role/Dev"
PROVIDER = "arn:aws:iam::111122223333:saml-provider/ADFS"


@pytest.mark.parametrize(
    "value",
    [f"{ROLE},{PROVIDER}", f"{PROVIDER},{ROLE}", f"  {ROLE} ,\n {PROVIDER}  "],
)
def test_role_value_is_read_in_either_order_with_whitespace(value: str) -> None:
    assert parse_role_value(value) == RolePair(ROLE, PROVIDER)


@pytest.mark.parametrize(
    "value", [ROLE, f"{ROLE},{ROLE}", f"{ROLE},{PROVIDER},{ROLE}", "arn:aws:s3:::bucket,x", ""]
)
def test_values_that_are_not_a_role_pair_are_refused(value: str) -> None:
    assert parse_role_value(value) is None


def test_role_with_path_gives_its_bare_name_and_partition() -> None:
    pair = RolePair(
        "arn:aws-us-gov:iam::123456789012:role/team/ops/Admin",
        "arn:aws-us-gov:iam::123456789012:saml-provider/ADFS",
    )
    assert (pair.role_name, pair.account_id, pair.partition) == ("Admin", "123456789012", "aws-us-gov")


def test_shared_role_names_are_qualified_by_account_or_alias() -> None:
    a = RolePair("arn:aws:iam::111122223333:role/Dev", "arn:aws:iam::111122223333:saml-provider/P")
    b = RolePair("arn:aws:iam::444455556666:role/Dev", "arn:aws:iam::444455556666:saml-provider/P")
    c = RolePair("arn:aws:iam::444455556666:role/Ops", "arn:aws:iam::444455556666:saml-provider/P")
    assert set(friendly_names([a, b, c])) == {"111122223333:Dev", "444455556666:Dev", "Ops"}
    aliased = friendly_names([a, b], {"111122223333": "prod"})
    assert set(aliased) == {"prod:Dev", "444455556666:Dev"}


def test_choose_by_friendly_name_or_arn() -> None:
    roles = friendly_names([RolePair(ROLE, PROVIDER)])
    assert choose_role(roles, "Dev").role_arn == ROLE
    assert choose_role(roles, ROLE).role_arn == ROLE
    assert choose_role(roles, None).role_arn == ROLE


def test_unknown_role_and_ambiguous_choice_list_the_choices() -> None:
    a = RolePair(ROLE, PROVIDER)
    b = RolePair("arn:aws:iam::111122223333:role/Ops", PROVIDER)
    roles = friendly_names([a, b])
    with pytest.raises(RoleNotFoundError, match=r"Dev, Ops|Ops, Dev") as missing:
        choose_role(roles, "Admin")
    assert set(missing.value.choices) == {"Dev", "Ops"}
    with pytest.raises(RoleNotFoundError, match="2 roles"):
        choose_role(roles, None)
    with pytest.raises(NoRolesError):
        choose_role({}, None)


# --- role values as IAM defines the two ARNs ---------------------------------------------------------------

A = "111122223333"
B = "444455556666"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (
            f"arn:aws:iam::{A}:role/Dev,arn:aws:iam::{B}:saml-provider/ADFS",
            f"account {A} but the provider in {B}",
        ),
        (
            f"arn:aws:iam::{A}:role/Dev,arn:aws-us-gov:iam::{A}:saml-provider/ADFS",
            "partition aws but the provider",
        ),
        (f"arn:aws:iam::{A}:role//,{PROVIDER}", "an empty role name"),
        (f"arn:aws:iam::{A}:role/,{PROVIDER}", "an empty role name"),
        (f"arn:aws:iam::{A}:role/team/,{PROVIDER}", "an empty role name"),
        (f"arn:aws:iam::{A}:role/{'R' * 65},{PROVIDER}", "a role name IAM does not allow"),
        (f"arn:aws:iam::{A}:role/Dev!,{PROVIDER}", "a role name IAM does not allow"),
        (f"arn:aws:iam::{A}:role/D\u00e9v,{PROVIDER}", "a role name IAM does not allow"),
        (f"arn:aws:iam::{A}:role//Dev,{PROVIDER}", "a role path IAM does not allow"),
        (f"arn:aws:iam::{A}:role/my team/Dev,{PROVIDER}", "a role path IAM does not allow"),
        (f"arn:aws:iam::{A}:role/{'p/' * 256}Dev,{PROVIDER}", "a role path IAM does not allow"),
        (f"{ROLE},arn:aws:iam::{A}:saml-provider/", "a SAML provider name IAM does not allow"),
        (f"{ROLE},arn:aws:iam::{A}:saml-provider/corp/adfs", "a SAML provider name IAM does not allow"),
        (f"{ROLE},arn:aws:iam::{A}:saml-provider/{'p' * 129}", "a SAML provider name IAM does not allow"),
        (f"arn:aws:iam::11112222333:role/Dev,{PROVIDER}", "no 12-digit account id"),
        (
            f"arn:aws:iam::{A}:role/Dev,arn:aws:iam::1111222233334:saml-provider/ADFS",
            "no 12-digit account id",
        ),
        (f"arn:AWS:iam::{A}:role/Dev,arn:AWS:iam::{A}:saml-provider/ADFS", "names no AWS partition"),
        (f"arn:aws-:iam::{A}:role/Dev,arn:aws-:iam::{A}:saml-provider/ADFS", "names no AWS partition"),
        (f"arn:aws:sts::{A}:role/Dev,{PROVIDER}", "is not an IAM ARN"),
        (f"arn:aws:iam:us-east-1:{A}:role/Dev,{PROVIDER}", "is not an IAM ARN"),
        (f"arn:aws:iam::{A}:user/Dev,{PROVIDER}", "neither a role nor a saml-provider ARN"),
        (f"{ROLE},{ROLE}", "two role ARNs"),
        (f"{PROVIDER},{PROVIDER}", "two saml-provider ARNs"),
        ("CN=AWS-Dev,OU=Groups", "not two comma-separated ARNs"),
        (ROLE, "not two comma-separated ARNs"),
    ],
)
def test_a_value_aws_would_refuse_is_refused_with_the_reason(value: str, reason: str) -> None:
    assert parse_role_value(value) is None
    with pytest.raises(InvalidRoleValue) as caught:
        read_role_value(value)
    assert reason in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("role", "name"),
    [
        (f"arn:aws:iam::{A}:role/{'R' * 64}", "R" * 64),
        (f"arn:aws:iam::{A}:role/svc+deploy=ci,prod.eu@team_x-1", "svc+deploy=ci,prod.eu@team_x-1"),
        (f"arn:aws:iam::{A}:role/{'p/' * 255}Dev", "Dev"),  # a 511-character path
        (f"arn:aws:iam::{A}:role/a:b,c/~!$/Dev", "Dev"),  # any printable ASCII in a path
        (f"arn:aws-iso-f:iam::{A}:role/Dev", "Dev"),
        (f"arn:aws-eusc:iam::{A}:role/Dev", "Dev"),
    ],
)
def test_every_name_and_path_iam_allows_is_accepted(role: str, name: str) -> None:
    partition = role.split(":")[1]
    provider = f"arn:{partition}:iam::{A}:saml-provider/{'P' * 128}"
    for value in (f"{role},{provider}", f"{provider} , {role}"):
        pair = read_role_value(value)
        assert pair == RolePair(role, provider)
        assert (pair.role_name, pair.account_id, pair.partition) == (name, A, partition)


_partitions = st.sampled_from(
    ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f"]
)
_accounts = st.from_regex(r"\A[0-9]{12}\Z")
_role_names = st.from_regex(r"\A[A-Za-z0-9_+=,.@-]{1,64}\Z")
_paths = st.one_of(st.just("/"), st.from_regex(r"\A/[\x21-\x7e]{1,60}/\Z"))
_provider_names = st.from_regex(r"\A[A-Za-z0-9_.-]{1,128}\Z")


@settings(max_examples=300, deadline=None)
@given(
    partition=_partitions,
    account=_accounts,
    path=_paths,
    name=_role_names,
    provider=_provider_names,
    provider_first=st.booleans(),
    space=st.sampled_from(["", " ", "\n\t "]),
)
def test_any_pair_iam_allows_is_read_back_in_either_order(
    partition: str, account: str, path: str, name: str, provider: str, provider_first: bool, space: str
) -> None:
    role_arn = f"arn:{partition}:iam::{account}:role{path}{name}"
    provider_arn = f"arn:{partition}:iam::{account}:saml-provider/{provider}"
    first, second = (provider_arn, role_arn) if provider_first else (role_arn, provider_arn)
    pair = read_role_value(f"{space}{first}{space},{space}{second}{space}")
    assert pair == RolePair(role_arn, provider_arn)
    assert (pair.role_name, pair.account_id, pair.partition) == (name, account, partition)


@settings(max_examples=300, deadline=None)
@given(
    partition=_partitions,
    other_partition=_partitions,
    account=_accounts,
    other_account=_accounts,
    name=_role_names,
    provider=_provider_names,
)
def test_a_role_and_a_provider_of_two_accounts_or_partitions_are_never_paired(
    partition: str, other_partition: str, account: str, other_account: str, name: str, provider: str
) -> None:
    role = f"arn:{partition}:iam::{account}:role/{name}"
    pair = parse_role_value(f"{role},arn:{other_partition}:iam::{other_account}:saml-provider/{provider}")
    assert (pair is not None) == (partition == other_partition and account == other_account)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(max_size=120),
        st.lists(
            st.from_regex(
                r"\Aarn:[a-z-]{0,10}:[a-z]{0,4}:[a-z0-9-]{0,3}:[0-9]{0,13}:[a-z-]{0,14}[\x20-\x7e]{0,20}\Z"
            ),
            min_size=1,
            max_size=4,
        ).map(",".join),
    )
)
def test_any_text_is_a_pair_or_a_reason_and_nothing_else(value: str) -> None:
    try:
        pair = read_role_value(value)
    except InvalidRoleValue as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert pair.role_name and pair.account_id == pair.principal_arn.split(":")[4]
