"""The one-line refusal of an IdP that will not start NTLM at all (no CHALLENGE for NTLM's first message)."""

from __future__ import annotations


def ntlm_refused_before_password(url: str) -> str:
    """One line for an IdP that answered NTLM's first message with a fresh challenge instead of its own."""
    return (
        f"the IdP refused NTLM at {url.split('?', 1)[0]} before any password was checked (its answer to "
        "NTLM's first message carried no challenge, as where it takes only Kerberos inside Negotiate): "
        "use auth_type = kerberos with a Kerberos ticket"
    )
