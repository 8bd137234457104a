"""HTTP Digest (RFC 7616, qop=auth) as the lab's /adfs/ls/wia checks it: nonces, counts, responses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from urllib.parse import urlsplit

from .users import LabUsers


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - Digest's own algorithm


def parse_auth_params(text: str) -> dict[str, str]:
    """``name=value`` pairs of an Authorization header's parameters; quoted values unescaped.

    Only ``\\"`` and ``\\\\`` are escapes, so a ``DOMAIN\\user`` name sent unescaped survives.
    """
    params: dict[str, str] = {}
    for match in re.finditer(r'\s*([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)\s*,?', text):
        name, raw, quoted = match.group(1), match.group(2), match.group(3)
        value = re.sub(r'\\(["\\])', r"\1", quoted) if raw.startswith('"') else raw
        params[name.lower()] = value
    return params


class DigestAuthority:
    """Issues Digest challenges and checks answers: nonce integrity and age, and nonce-count replay."""

    def __init__(self, realm: str, nonce_lifetime: float = 300.0) -> None:
        self.realm = realm
        self.nonce_lifetime = nonce_lifetime
        self.opaque = secrets.token_hex(16)
        self._key = secrets.token_bytes(32)
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def challenge(self, stale: bool = False) -> str:
        stamp = f"{time.time():.6f}"
        mac = hmac.new(self._key, stamp.encode(), hashlib.sha256).hexdigest()[:32]
        nonce = base64.b64encode(f"{stamp}:{mac}".encode()).decode()
        value = (
            f'Digest realm="{self.realm}", qop="auth", nonce="{nonce}", algorithm=MD5, opaque="{self.opaque}"'
        )
        return value + (", stale=true" if stale else "")

    def nonce_state(self, nonce: str) -> str:
        """``"valid"``, ``"stale"`` (ours, but too old) or ``"invalid"``."""
        try:
            stamp, mac = base64.b64decode(nonce, validate=True).decode().split(":", 1)
            issued = float(stamp)
        except (ValueError, UnicodeDecodeError):
            return "invalid"
        expected = hmac.new(self._key, stamp.encode(), hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(mac, expected):
            return "invalid"
        return "valid" if time.time() - issued <= self.nonce_lifetime else "stale"

    def verify(
        self, method: str, uri: str, params: dict[str, str], users: LabUsers
    ) -> tuple[str, str | None]:
        """Check one Authorization: Digest answer; returns ``(outcome, user name or None)``."""
        needed = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
        if any(not params.get(name) for name in needed):
            return "malformed", None
        login = params["username"]
        user = users.lookup(login)
        name = user.name if user else users.account_name(login)
        algorithm = params.get("algorithm", "MD5").upper()
        if (
            params["realm"] != self.realm
            or params.get("opaque", self.opaque) != self.opaque
            or params["qop"] != "auth"
            or algorithm not in ("MD5", "MD5-SESS")
            or not _same_request_target(params["uri"], uri)
            or not re.fullmatch(r"[0-9a-fA-F]{8}", params["nc"])
        ):
            return "malformed", name
        state = self.nonce_state(params["nonce"])
        if state != "valid":
            return ("stale" if state == "stale" else "malformed"), name
        count = int(params["nc"], 16)
        with self._lock:
            if count <= self._counts.get(params["nonce"], 0):
                return "replay", name
        if user is None:
            return "unknown_user", name
        ha1 = _md5(f"{login}:{self.realm}:{user.password}")
        if algorithm == "MD5-SESS":
            ha1 = _md5(f"{ha1}:{params['nonce']}:{params['cnonce']}")
        ha2 = _md5(f"{method}:{params['uri']}")
        expected = _md5(f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:auth:{ha2}")
        if not hmac.compare_digest(expected, params["response"].lower()):
            return "bad_password", name
        with self._lock:
            self._counts[params["nonce"]] = count
            if len(self._counts) > 4096:
                self._counts = {n: c for n, c in self._counts.items() if self.nonce_state(n) == "valid"}
        return ("disabled" if user.disabled else "success"), name

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


def _same_request_target(sent: str, actual: str) -> bool:
    """The Digest ``uri`` must name the request target (absolute-form tolerated)."""
    if sent == actual:
        return True
    parts = urlsplit(sent)
    return bool(parts.scheme) and (parts.path + ("?" + parts.query if parts.query else "")) == actual


# --- pages -----------------------------------------------------------------------------------------
