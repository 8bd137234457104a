"""Kerberos off Windows (GSSAPI): a krb5 profile overlay, sign-in names as principals, tickets in memory.

Tickets are acquired with a password in memory (never a ``kinit`` subprocess or a file); the profile
overlay keeps hostname canonicalisation off unless asked for.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DEFAULT_KRB5_CONFIG = "/etc/krb5.conf"

_profile_lock = threading.RLock()
_overlays: dict[bool, Path] = {}


def _overlay(canonicalize: bool) -> Path:
    """A two-line krb5 profile that wins over the user's for hostname canonicalisation (created once)."""
    path = _overlays.get(canonicalize)
    if path is None:
        value = "true" if canonicalize else "false"
        fd, name = tempfile.mkstemp(prefix="samlbroker-krb5-", suffix=".conf")
        with os.fdopen(fd, "w") as handle:
            handle.write(f"[libdefaults]\n    dns_canonicalize_hostname = {value}\n    rdns = {value}\n")
        path = _overlays[canonicalize] = Path(name)
        atexit.register(path.unlink, missing_ok=True)
    return path


@contextlib.contextmanager
def krb5_profile(canonicalize: bool | None) -> Iterator[None]:
    """Run the block with ``KRB5_CONFIG`` = overlay:user's profile, so the overlay's settings win.

    MIT Kerberos (and Heimdal) read ``KRB5_CONFIG`` whenever a library context is made, and take a
    setting from the first file that has it. Process-wide while the block runs: serialised by a lock.
    """
    if canonicalize is None or sys.platform == "win32":
        yield
        return
    with _profile_lock:
        saved = os.environ.get("KRB5_CONFIG")
        user = saved or DEFAULT_KRB5_CONFIG
        os.environ["KRB5_CONFIG"] = f"{_overlay(canonicalize)}{os.pathsep}{user}"
        try:
            yield
        finally:
            if saved is None:
                os.environ.pop("KRB5_CONFIG", None)
            else:
                os.environ["KRB5_CONFIG"] = saved


def have_gssapi() -> bool:
    """True when pyspnego's GSSAPI (Kerberos) backend can be imported."""
    try:
        import gssapi  # noqa: F401
        import krb5  # noqa: F401
    except ImportError:
        return False
    return True


def default_realm() -> str | None:
    """The krb5 configuration's default realm, or None."""
    import krb5

    try:
        return krb5.get_default_realm(krb5.init_context()).decode()
    except Exception:
        return None


def kerberos_principal(username: str, realm: str | None) -> str:
    """The Kerberos principal for a sign-in name.

    ``alice@corp.example.com`` -> ``alice@CORP.EXAMPLE.COM`` (a UPN whose suffix is the realm);
    ``CORP\\alice`` -> ``alice@<default realm>`` when the realm's first label is ``CORP``, else
    ``alice@CORP``; a bare ``alice`` takes the default realm.
    """
    if "\\" in username:
        domain, account = username.split("\\", 1)
        if realm and realm.split(".", 1)[0].upper() == domain.upper():
            return f"{account}@{realm.upper()}"
        return f"{account}@{domain.upper()}"
    if "@" in username:
        account, suffix = username.rsplit("@", 1)
        return f"{account}@{suffix.upper()}"
    return f"{username}@{realm.upper()}" if realm else username


class TicketCache:
    """A MEMORY credential cache holding one TGT got with a password; ``close()`` destroys it."""

    def __init__(self, name: str, principal: str, handle: Any, context: Any) -> None:
        self.name = name
        self.principal = principal
        self._handle = handle
        self._context = context

    def credential(self) -> Any:
        import spnego

        return spnego.KerberosCCache(ccache=self.name, principal=self.principal)

    def close(self) -> None:
        import krb5

        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(Exception):
                krb5.cc_destroy(self._context, handle)


def acquire_ticket(principal: str, password: str, forwardable: bool = False) -> TicketCache:
    """One AS exchange with the password in memory, the TGT kept in a MEMORY cache (never on disk).

    Raises ``krb5.Krb5Error`` (see ``kerberos_failure``); a wrong password costs exactly one attempt.
    """
    import krb5

    context = krb5.init_context()
    client = krb5.parse_name_flags(context, principal.encode())
    options = krb5.get_init_creds_opt_alloc(context)
    krb5.get_init_creds_opt_set_canonicalize(options, True)
    krb5.get_init_creds_opt_set_forwardable(options, forwardable)
    creds = krb5.get_init_creds_password(context, client, options, password=password.encode("utf-8"))
    cache = krb5.cc_new_unique(context, b"MEMORY")
    krb5.cc_initialize(context, cache, creds.client)
    krb5.cc_store_cred(context, cache, creds)
    name = b"MEMORY:" + (cache.name or b"")
    # The KDC's spelling of the client (AD answers ALICE@ or CORP\\alice with the canonical alice@REALM):
    # the cache holds that name, and GSSAPI finds the ticket only by it.
    canonical = krb5.unparse_name_flags(context, creds.client).decode()
    return TicketCache(name.decode(), canonical, cache, context)
