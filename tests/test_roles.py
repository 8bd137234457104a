"""Role pairs and friendly names, as the contract fixes them."""

from __future__ import annotations

import pytest

from samlbroker.errors import NoRolesError, RoleNotFoundError
from samlbroker.roles import RolePair, choose_role, friendly_names, parse_role_value

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
