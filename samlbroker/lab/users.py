"""The lab's user directory, read from an INI file (see ``lab-users.ini`` shipped beside this module)."""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..identity import UserCredentials
from ..roles import RolePair

DEFAULT_USERS_RESOURCE = "lab-users.ini"
_ROLE_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):role/.+$")
_TRUE = {"yes", "true", "on", "1"}
_FALSE = {"no", "false", "off", "0", ""}


@dataclass(frozen=True)
class LabUser:
    """One lab account; ``password`` never shows in repr."""

    name: str
    password: str = field(repr=False)
    display_name: str = ""
    roles: tuple[RolePair, ...] = ()
    disabled: bool = False
    mfa: str = "none"
    mfa_methods: tuple[str, ...] = ()  # several enabled adapters: the user picks one (AD FS's choice page)
    mfa_secret: str = field(default="", repr=False)
    push: str = "approve"
    number_match: bool = False
    pin: str = field(default="", repr=False)
    next_tokencode: bool = False
    session_duration: int | None = None

    def role_tuples(self, partition: str | None = None) -> list[tuple[str, str]]:
        """``(role_arn, principal_arn)`` pairs, optionally only those of one partition."""
        return [(r.role_arn, r.principal_arn) for r in self.roles if partition in (None, r.partition)]


@dataclass(frozen=True)
class LabUsers:
    """The directory: a NetBIOS domain, a DNS realm, and users keyed by lower-case name."""

    domain: str
    realm: str
    session_duration: int
    users: dict[str, LabUser]
    account_aliases: dict[str, str] = field(default_factory=dict)

    def __iter__(self) -> Iterator[LabUser]:
        return iter(self.users.values())

    def __len__(self) -> int:
        return len(self.users)

    def __getitem__(self, name: str) -> LabUser:
        user = self.lookup(name)
        if user is None:
            raise KeyError(name)
        return user

    def account_name(self, login: str) -> str:
        """The bare account part of ``DOMAIN\\user``, ``user@realm`` or ``user``, lower-cased."""
        return UserCredentials(login, "").account.lower()

    def lookup(self, login: str) -> LabUser | None:
        """Find a user by ``LAB\\alice``, ``alice@lab.example`` or ``alice`` (case-insensitive).

        A name qualified with another domain or realm finds no one.
        """
        login = login.strip()
        domains = {self.domain.lower(), self.realm.lower()}
        if "\\" in login:
            domain = login.split("\\", 1)[0].lower()
            if domain not in domains:
                return None
        elif "@" in login and login.rsplit("@", 1)[1].lower() not in domains:
            return None
        return self.users.get(self.account_name(login))

    def upn(self, user: LabUser) -> str:
        return f"{user.name}@{self.realm.lower()}"

    def windows_name(self, user: LabUser) -> str:
        return f"{self.domain}\\{user.name}"

    def provider_arns(self) -> set[str]:
        """Every saml-provider ARN any user's roles name."""
        return {role.principal_arn for user in self for role in user.roles}

    def ntlm_user_file_text(self) -> str:
        """The ``NTLM_USER_FILE`` lines (``DOMAIN:USER:PASSWORD``), one per spelling a client may send."""
        lines = []
        for user in self:
            lines.append(f"{self.domain}:{user.name}:{user.password}")
            lines.append(f"{self.realm}:{user.name}:{user.password}")
            lines.append(f":{self.upn(user)}:{user.password}")
            lines.append(f":{user.name}:{user.password}")
        return "\n".join(lines) + "\n"

    def write_ntlm_user_file(self, path: Path) -> Path:
        """Write the NTLM credential file, mode 0600, and return its path."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(self.ntlm_user_file_text())
        os.chmod(path, 0o600)
        return path


def default_users_text() -> str:
    """The lab users file shipped in the package."""
    return resources.files("samlbroker.lab").joinpath(DEFAULT_USERS_RESOURCE).read_text(encoding="utf-8")


def _flag(value: str, key: str, section: str) -> bool:
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"[{section}] {key} must be yes or no, not {value!r}")


PUSH_POLICIES = ("approve", "deny", "timeout", "app")


def _mfa(value: str, section: str) -> str:
    from .mfa_pages import ADAPTERS

    kinds = ("none", *ADAPTERS)
    kind = value.strip().lower()
    if kind not in kinds:
        raise ValueError(f"[{section}] mfa must be one of {', '.join(kinds)}, not {kind!r}")
    return kind


def _mfa_methods(value: str, section: str) -> tuple[str, ...]:
    """Several adapters (kinds, comma-separated) the user may pick among; each AuthMethod once."""
    from .mfa_pages import METHODS

    kinds = tuple(_mfa(part, section) for part in value.split(",") if part.strip())
    if not kinds:
        return ()
    if len(kinds) < 2 or "none" in kinds:
        raise ValueError(f"[{section}] mfa_methods must name two or more second factors")
    if len({METHODS[kind] for kind in kinds}) != len(kinds):
        raise ValueError(f"[{section}] mfa_methods names one AuthMethod twice")
    return kinds


def _push(value: str, section: str) -> str:
    policy = value.strip().lower()
    if policy not in PUSH_POLICIES:
        raise ValueError(f"[{section}] push must be one of {', '.join(PUSH_POLICIES)}, not {policy!r}")
    return policy


def _roles(text: str, provider: str, section: str) -> tuple[RolePair, ...]:
    pairs = []
    for arn in (part.strip() for part in re.split(r"[,\n]", text)):
        if not arn:
            continue
        match = _ROLE_ARN.match(arn)
        if not match:
            raise ValueError(f"[{section}] roles: {arn!r} is not an IAM role ARN")
        principal = f"arn:{match['partition']}:iam::{match['account']}:saml-provider/{provider}"
        pairs.append(RolePair(role_arn=arn, principal_arn=principal))
    return tuple(pairs)


def parse_users(text: str, source: str = "<lab users>") -> LabUsers:
    """Parse the users INI text; a malformed file raises ValueError naming the section."""
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",), interpolation=None)
    parser.read_string(text, source=source)
    lab = parser["lab"] if parser.has_section("lab") else {}
    users: dict[str, LabUser] = {}
    for section in parser.sections():
        if not section.startswith("user "):
            continue
        name = section[len("user ") :].strip()
        entry = parser[section]
        duration = entry.get("session_duration", "").strip()
        methods = _mfa_methods(entry.get("mfa_methods", ""), section)
        user = LabUser(
            name=name,
            password=entry.get("password", ""),
            display_name=entry.get("display_name", name),
            roles=_roles(entry.get("roles", ""), entry.get("provider", "lab-adfs").strip(), section),
            disabled=_flag(entry.get("disabled", "no"), "disabled", section),
            mfa=methods[0] if methods else _mfa(entry.get("mfa", "none"), section),
            mfa_methods=methods,
            mfa_secret=entry.get("totp_secret", "").strip(),
            push=_push(entry.get("push", "approve"), section),
            number_match=_flag(entry.get("number_match", "no"), "number_match", section),
            pin=entry.get("pin", "").strip(),
            next_tokencode=_flag(entry.get("next_tokencode", "no"), "next_tokencode", section),
            session_duration=int(duration) if duration else None,
        )
        users[name.lower()] = user
    return LabUsers(
        domain=lab.get("domain", "LAB").strip(),
        realm=lab.get("realm", "LAB.EXAMPLE").strip(),
        session_duration=int(lab.get("session_duration", "3600")),
        users=users,
        account_aliases=dict(parser["accounts"]) if parser.has_section("accounts") else {},
    )


def load_users(path: str | Path | None = None) -> LabUsers:
    """Read a users file; ``None`` reads the one shipped in the package."""
    if path is None:
        return parse_users(default_users_text(), source=DEFAULT_USERS_RESOURCE)
    path = Path(path)
    return parse_users(path.read_text(encoding="utf-8"), source=str(path))
