"""Who checks the Windows-integrated tokens the lab IdP receives: a small interface and the default.

The IdP asks its acceptor for one security context per TCP connection and handshake
(``new_context(scheme, hostname)``, scheme ``"negotiate"`` or ``"ntlm"``); a context has pyspnego's
acceptor shape: ``step(token, channel_bindings=None) -> bytes | None``, ``complete``,
``client_principal`` and ``negotiated_protocol``. The default, ``PyspnegoAcceptor``, is pyspnego's
acceptor (NTLM from ``NTLM_USER_FILE``, Kerberos from ``KRB5_KTNAME``). ``samlbroker.lab.samba_bridge``
has one that asks a Samba domain controller instead, so that account states are Active Directory's.

An acceptor that knows why it refused a token raises ``AcceptorRefused`` with the IdP's outcome name.
"""

from __future__ import annotations

from typing import Any, Protocol

# NTSTATUS names a domain controller gives for a refused NTLM logon -> the IdP's outcome names.
NTSTATUS_OUTCOMES = {
    "NT_STATUS_WRONG_PASSWORD": "bad_password",
    "NT_STATUS_LOGON_FAILURE": "bad_password",
    "NT_STATUS_NO_SUCH_USER": "unknown_user",
    "NT_STATUS_ACCOUNT_DISABLED": "disabled",
    "NT_STATUS_ACCOUNT_LOCKED_OUT": "locked_out",
    "NT_STATUS_ACCOUNT_EXPIRED": "account_expired",
    "NT_STATUS_PASSWORD_EXPIRED": "password_expired",
    "NT_STATUS_PASSWORD_MUST_CHANGE": "must_change_password",
    "NT_STATUS_INVALID_LOGON_HOURS": "logon_hours",
    "NT_STATUS_INVALID_WORKSTATION": "workstation",
}


class AcceptorContext(Protocol):
    """One security context, as pyspnego's acceptor contexts are."""

    complete: bool

    @property
    def client_principal(self) -> str | None: ...

    @property
    def negotiated_protocol(self) -> str | None: ...

    def step(self, in_token: bytes, *, channel_bindings: Any = None) -> bytes | None: ...


class Acceptor(Protocol):
    """Makes the lab IdP's security contexts."""

    def new_context(self, scheme: str, hostname: str) -> AcceptorContext: ...


class AcceptorRefused(Exception):
    """A token the acceptor refused; ``outcome`` is the IdP's event name (``bad_password``, ``locked_out``...)."""

    def __init__(self, message: str, outcome: str = "bad_password", status: str | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.status = status


class PyspnegoAcceptor:
    """pyspnego's acceptor: the lab's own users (``NTLM_USER_FILE``) and keytab (``KRB5_KTNAME``)."""

    def new_context(self, scheme: str, hostname: str) -> AcceptorContext:
        import spnego

        return spnego.server(hostname=hostname, service="HTTP", protocol=scheme)  # type: ignore[return-value]


DEFAULT_ACCEPTOR = PyspnegoAcceptor()
