"""AWS role/principal pairs from a SAML assertion, and their friendly names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .errors import NoRolesError, RoleNotFoundError

_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):(?P<kind>role|saml-provider)/(?P<rest>.+)$"
)


@dataclass(frozen=True)
class RolePair:
    """One assumable role and the SAML provider that vouches for it."""

    role_arn: str
    principal_arn: str

    @property
    def partition(self) -> str:
        return _ARN.match(self.role_arn).group("partition")  # type: ignore[union-attr]

    @property
    def account_id(self) -> str:
        return _ARN.match(self.role_arn).group("account")  # type: ignore[union-attr]

    @property
    def role_name(self) -> str:
        """The role's name, without its path."""
        return _ARN.match(self.role_arn).group("rest").rsplit("/", 1)[-1]  # type: ignore[union-attr]


def parse_role_value(value: str) -> RolePair | None:
    """Read one ``Role`` attribute value: two comma-separated ARNs in either order, whitespace tolerated."""
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 2:
        return None
    kinds = {}
    for arn in parts:
        match = _ARN.match(arn)
        if not match:
            return None
        kinds[match.group("kind")] = arn
    if set(kinds) != {"role", "saml-provider"}:
        return None
    return RolePair(role_arn=kinds["role"], principal_arn=kinds["saml-provider"])


def friendly_names(
    pairs: Iterable[RolePair], account_names: Mapping[str, str] | None = None
) -> dict[str, RolePair]:
    """Key each pair by its role name, or ``account:role`` when two accounts share that name.

    ``account_names`` (account id -> alias) replaces the id in the qualified form when given.
    """
    unique: list[RolePair] = list(dict.fromkeys(pairs))
    counts: dict[str, int] = {}
    for pair in unique:
        counts[pair.role_name] = counts.get(pair.role_name, 0) + 1
    names: dict[str, RolePair] = {}
    for pair in unique:
        if counts[pair.role_name] == 1:
            key = pair.role_name
        else:
            account = (account_names or {}).get(pair.account_id, pair.account_id)
            key = f"{account}:{pair.role_name}"
        if key in names:  # same account and role name through two paths or providers: use the ARN
            key = pair.role_arn
        names[key] = pair
    return names


def choose_role(roles: Mapping[str, RolePair], wanted: str | None) -> RolePair:
    """Pick a role by friendly name or ARN; with none named, the only one there is."""
    if not roles:
        raise NoRolesError("the SAML assertion grants no AWS role: ask your IdP administrator for access")
    if wanted is None:
        if len(roles) == 1:
            return next(iter(roles.values()))
        raise RoleNotFoundError(
            f"the assertion grants {len(roles)} roles; choose one with --role: " + ", ".join(roles),
            choices=tuple(roles),
        )
    if wanted in roles:
        return roles[wanted]
    for pair in roles.values():
        if pair.role_arn == wanted:
            return pair
    raise RoleNotFoundError(
        f"role {wanted!r} is not in the SAML assertion; available: " + ", ".join(roles), choices=tuple(roles)
    )
