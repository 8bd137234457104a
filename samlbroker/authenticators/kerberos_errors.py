"""One-line descriptions of Kerberos failures, by the words MIT Kerberos and Heimdal use."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from .kerberos import default_realm, have_gssapi

# Kerberos failures, by the words MIT and Heimdal use (regular expressions on the lower-cased text).
_KERBEROS_FAILURES: tuple[tuple[str, str], ...] = (
    (r"preauthentication failed|password incorrect|decrypt integrity check failed", "password"),
    (r"credentials have been revoked|client locked out|account disabled", "revoked"),
    (r"password has expired|key has expired", "password_expired"),
    (r"client's entry in database has expired", "account_expired"),
    (r"kdc policy rejects request", "policy"),
    (r"clock skew too great", "skew"),
    (r"ticket expired|credentials? ha(?:s|ve) expired", "expired"),
    (r"server \S* ?not found in kerberos database|server principal unknown|server not found", "unknown_spn"),
    (r"client \S* ?not found in kerberos database|client principal unknown", "unknown_client"),
    (r"no kerberos credentials available|no credentials cache found|no credentials were supplied"
     r"|matching credential not found|can't find client principal", "no_ticket"),
    (r"cannot contact any kdc|unable to reach any kdc|cannot resolve network address for kdc", "unreachable"),
    (r"cannot find kdc for (?:requested )?realm|realm not local to kdc|does not specify default realm"
     r"|cannot determine realm", "no_realm"),
)  # fmt: skip

# Failures where Kerberos is simply not available for this user: Negotiate may then use NTLM.
KERBEROS_UNAVAILABLE = {"unreachable", "no_realm", "unknown_client", "no_ticket"}


def kerberos_failure(exc: BaseException) -> str | None:
    """The kind of a Kerberos failure (see ``_KERBEROS_FAILURES``), or None when not recognised."""
    text = " ".join(str(e) for e in _chain(exc)).lower()
    for pattern, kind in _KERBEROS_FAILURES:
        if re.search(pattern, text):
            return kind
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "base_error", None) or current.__cause__ or current.__context__


def describe_kerberos_failure(
    kind: str | None, exc: BaseException, *, who: str | None, spn: str | None, principal: str | None = None
) -> str:
    """One line for a Kerberos failure; ``who`` is the user's sign-in name (None: default identity)."""
    realm = (principal or "").rpartition("@")[2] or default_realm_or_hint()
    cache = os.environ.get("KRB5CCNAME") or "the default ticket cache"
    kinit = f"run kinit USER@{realm}, or give --user"
    if kind == "password":
        return (
            f"Kerberos refused the password for {who or principal} "
            "(KDC_ERR_PREAUTH_FAILED; one attempt made, not retried)"
        )
    if kind == "revoked":
        return (
            f"the KDC refused {who or principal}: the account is disabled or locked out "
            "(KDC_ERR_CLIENT_REVOKED); the password was not retried"
        )
    if kind == "password_expired":
        return (
            f"the password of {who or principal} has expired or must be changed at next logon "
            "(KDC_ERR_KEY_EXPIRED): change it, then sign in again"
        )
    if kind == "account_expired":
        return f"the account {who or principal} has expired (KDC_ERR_NAME_EXP)"
    if kind == "policy":
        return (
            f"the KDC's policy refuses {who or principal} (KDC_ERR_POLICY: logon hours, workstation "
            "or other account restrictions)"
        )
    if kind == "skew":
        return (
            "Kerberos failed: this computer's clock differs too much from the KDC's or the IdP's "
            "(clock skew too great); fix the time (NTP) and try again"
        )
    if kind == "expired":
        return f"the Kerberos ticket in {cache} has expired: {kinit}"
    if kind == "no_ticket":
        if who:
            return f"no Kerberos ticket could be had for {who}"
        return f"no Kerberos ticket in {cache}: {kinit}"
    if kind == "unreachable":
        return f"cannot reach a Kerberos KDC for realm {realm} (check krb5.conf, DNS and the network)"
    if kind == "no_realm":
        return (
            f"no Kerberos realm is configured for {principal or 'this user'} (check krb5.conf or KRB5_CONFIG)"
        )
    if kind == "unknown_spn":
        return (
            f"the KDC does not know the service principal {spn or 'of the IdP'} (server not found in Kerberos "
            "database): check the sign-on URL's host name (a DNS alias needs hostname canonicalisation)"
        )
    if kind == "unknown_client":
        return f"the KDC does not know the user {principal or who}"
    reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return f"Kerberos sign-in failed: {reason}"


def default_realm_or_hint() -> str:
    return (default_realm() if have_gssapi() else None) or "REALM"
