"""User credentials handed to an authenticator (the .NET NetworkCredential)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class UserCredentials:
    """A user name (``DOMAIN\\user`` or ``user@domain``) and a password that never shows in repr/str."""

    username: str
    password: str = field(repr=False)

    def __str__(self) -> str:
        return self.username

    @property
    def domain(self) -> str | None:
        """The NetBIOS domain of a ``DOMAIN\\user`` name, or the realm of ``user@realm``."""
        if "\\" in self.username:
            return self.username.split("\\", 1)[0]
        if "@" in self.username:
            return self.username.rsplit("@", 1)[1]
        return None

    @property
    def account(self) -> str:
        """The bare account name, without domain."""
        if "\\" in self.username:
            return self.username.split("\\", 1)[1]
        if "@" in self.username:
            return self.username.rsplit("@", 1)[0]
        return self.username
