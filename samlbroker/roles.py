"""AWS role/principal pairs from a SAML assertion, and their friendly names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .errors import NoRolesError, RoleNotFoundError

# What IAM allows (the IAM API reference's patterns for names and paths; ARNs as IAM forms them).
_PARTITION = re.compile(r"aws(?:-[a-z]+)*", re.ASCII)  # aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, ...
_ACCOUNT = re.compile(r"[0-9]{12}", re.ASCII)
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
_ROLE_PATH = re.compile(r"/|/[\x21-\x7e]+/", re.ASCII)
_MAX_ROLE_PATH = 512
_PROVIDER_NAME = re.compile(r"[\w.-]{1,128}", re.ASCII)
_MAX_ARN = 2048  # STS's limit for RoleArn and PrincipalArn


@dataclass(frozen=True)
class RolePair:
    """One assumable role and the SAML provider that vouches for it."""

    role_arn: str
    principal_arn: str

    @property
    def partition(self) -> str:
        return _fields(self.role_arn)[1]

    @property
    def account_id(self) -> str:
        return _fields(self.role_arn)[4]

    @property
    def role_name(self) -> str:
        """The role's name, without its path."""
        return _fields(self.role_arn)[5].rsplit("/", 1)[-1]


def _fields(arn: str) -> list[str]:
    """``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`` split in its six fields (missing ones empty)."""
    fields = arn.split(":", 5)
    return fields + [""] * (6 - len(fields))


class InvalidRoleValue(ValueError):
    """A Role attribute value that is not a role/provider pair AWS would accept; ``str()`` says why."""


def parse_role_value(value: str) -> RolePair | None:
    """Read one ``Role`` attribute value: two comma-separated ARNs in either order, whitespace tolerated.

    None when it is not a pair AWS would accept (see :func:`read_role_value` for the reason).
    """
    try:
        return read_role_value(value)
    except InvalidRoleValue:
        return None


def read_role_value(value: str) -> RolePair:
    """The role/provider pair of one ``Role`` attribute value, validated as IAM defines the two ARNs.

    Raises InvalidRoleValue naming what is wrong. A role name or path may itself hold commas, so every
    comma that leaves an ARN on each side is tried.
    """
    if len(value) > 2 * _MAX_ARN + 64:
        raise InvalidRoleValue(f"longer ({len(value)} characters) than a role and a provider ARN can be")
    splits = [
        (value[:i].strip(), value[i + 1 :].strip())
        for i, char in enumerate(value)
        if char == "," and value[:i].strip().startswith("arn:") and value[i + 1 :].strip().startswith("arn:")
    ]
    if not splits:
        raise InvalidRoleValue("not two comma-separated ARNs (a role and a SAML provider)")
    pairs: list[RolePair] = []
    reason = ""
    for first, second in splits:
        try:
            pairs.append(_pair_of(first, second))
        except InvalidRoleValue as exc:
            reason = reason or str(exc)
    if len(pairs) == 1:
        return pairs[0]
    if pairs:
        raise InvalidRoleValue("it can be split into a role and a provider ARN in more than one way")
    raise InvalidRoleValue(reason)


def _pair_of(first: str, second: str) -> RolePair:
    by_kind: dict[str, tuple[str, list[str]]] = {}
    for arn in (first, second):
        fields = _checked_arn(arn)
        by_kind.setdefault(fields[5].split("/", 1)[0], (arn, fields))
    if len(by_kind) != 2:
        raise InvalidRoleValue(f"two {next(iter(by_kind))} ARNs: it needs one role and one saml-provider ARN")
    (role_arn, role), (provider_arn, provider) = by_kind["role"], by_kind["saml-provider"]
    if role[1] != provider[1]:
        raise InvalidRoleValue(f"the role is in partition {role[1]} but the provider in {provider[1]}")
    if role[4] != provider[4]:
        raise InvalidRoleValue(f"the role is in account {role[4]} but the provider in {provider[4]}")
    return RolePair(role_arn=role_arn, principal_arn=provider_arn)


def _checked_arn(arn: str) -> list[str]:
    """The fields of an IAM role or saml-provider ARN, or InvalidRoleValue saying what IAM would refuse."""
    shown = arn if len(arn) <= 80 else arn[:77] + "..."
    fields = _fields(arn)
    _, partition, service, region, account, resource = fields
    if len(arn) > _MAX_ARN:
        raise InvalidRoleValue(f"an ARN is longer than {_MAX_ARN} characters")
    if service != "iam" or region:
        raise InvalidRoleValue(f"{shown!r} is not an IAM ARN (arn:PARTITION:iam::ACCOUNT:...)")
    if not _PARTITION.fullmatch(partition):
        raise InvalidRoleValue(f"{shown!r} names no AWS partition (aws, aws-cn, aws-us-gov, ...)")
    if not _ACCOUNT.fullmatch(account):
        raise InvalidRoleValue(f"{shown!r} has no 12-digit account id")
    kind, _, rest = resource.partition("/")
    if kind == "role":
        path, _, name = ("/" + rest).rpartition("/")
        path += "/"
        if not _ROLE_NAME.fullmatch(name):
            what = "an empty role name" if not name else "a role name IAM does not allow"
            raise InvalidRoleValue(f"{shown!r} has {what} (1 to 64 of A-Z a-z 0-9 + = , . @ _ -)")
        if len(path) > _MAX_ROLE_PATH or not _ROLE_PATH.fullmatch(path):
            raise InvalidRoleValue(
                f"{shown!r} has a role path IAM does not allow (/.../, printable, up to 512)"
            )
    elif kind == "saml-provider":
        if not _PROVIDER_NAME.fullmatch(rest):
            raise InvalidRoleValue(
                f"{shown!r} has a SAML provider name IAM does not allow (1 to 128 of A-Z a-z 0-9 . _ -)"
            )
    else:
        raise InvalidRoleValue(f"{shown!r} is neither a role nor a saml-provider ARN")
    return fields


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
