"""Looking inside Windows-integrated tokens: the NTLM messages' user and channel bindings, Kerberos or not."""

from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class NtlmMessageInfo:
    """What the IdP reads from an NTLM message before (or whether or not) pyspnego accepts it."""

    kind: int
    user: str | None = None
    domain: str | None = None
    has_channel_bindings: bool = False

    @property
    def login(self) -> str | None:
        if not self.user:
            return None
        return f"{self.domain}\\{self.user}" if self.domain else self.user


def ntlm_message_info(token: bytes) -> NtlmMessageInfo | None:
    """Read the message type, and for AUTHENTICATE the user, domain and channel-bindings AV pair.

    ``token`` is a raw NTLM message or an SPNEGO token wrapping one (the NTLM message runs to its end;
    its fields are offsets from the message start, so trailing SPNEGO bytes do no harm).
    """
    start = token.find(b"NTLMSSP\x00")
    if start < 0 or len(token) - start < 12:
        return None
    msg = token[start:]
    (kind,) = struct.unpack_from("<I", msg, 8)
    if kind != 3 or len(msg) < 64:
        return NtlmMessageInfo(kind)

    def field_bytes(offset: int) -> bytes:
        length, _max, where = struct.unpack_from("<HHI", msg, offset)
        return msg[where : where + length]

    nt_response = field_bytes(20)
    (flags,) = struct.unpack_from("<I", msg, 60)
    encoding = "utf-16-le" if flags & 0x1 else "latin-1"
    domain = field_bytes(28).decode(encoding, "replace")
    user = field_bytes(36).decode(encoding, "replace")
    return NtlmMessageInfo(kind, user or None, domain or None, _has_channel_bindings(nt_response))


def _has_channel_bindings(nt_response: bytes) -> bool:
    """True when an NTLMv2 response carries a non-zero MsvAvChannelBindings AV pair."""
    if len(nt_response) <= 24:
        return False
    pairs, offset = nt_response[44:], 0  # NTProofStr (16) + the fixed client-challenge header (28)
    while offset + 4 <= len(pairs):
        av_id, av_len = struct.unpack_from("<HH", pairs, offset)
        value = pairs[offset + 4 : offset + 4 + av_len]
        if av_id == 0x0000:
            break
        if av_id == 0x000A:
            return value != b"\x00" * 16
        offset += 4 + av_len
    return False


def _initial_token(scheme: str, token: bytes, info: NtlmMessageInfo | None) -> bool:
    """True when ``token`` starts a new handshake (NTLM NEGOTIATE, or an SPNEGO NegTokenInit)."""
    if info is not None and info.kind == 1 and token.startswith(b"NTLMSSP\x00"):
        return True
    return scheme == "negotiate" and token[:1] == b"\x60"


KERBEROS_OIDS = (b"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02", b"\x2a\x86\x48\x82\xf7\x12\x01\x02\x02")


def _is_kerberos(token: bytes) -> bool:
    """True when a Negotiate token carries (or offers first) the Kerberos mechanism."""
    return any(oid in token[:64] for oid in KERBEROS_OIDS)


# --- Digest (RFC 7616, qop=auth, MD5 / MD5-sess) ---------------------------------------------------
