"""The credentials cache: one JSON file per identity under ``~/.aws/samlbroker/cache/``.

A file is named by a hash of what its credentials are for (endpoint URL, user or the default identity,
role, partition), never by profile name alone, so editing a profile's role or user can never serve another
identity's credentials. It holds the temporary AWS credentials and their expiry, never a password.

An entry file starts with two plain lines, the expiry (epoch seconds) and the ready ``credential_process``
JSON, then the entry as JSON. With a profile pointer (``profile-*``: the config file's size and mtime, the
entry's key, and the identity environment it was written under), :func:`.cache_hit.ready_answer` serves a
cache hit with ``os`` alone: no configparser, json or hashlib. Any edit of the config file changes its stat
and sends the next call down the full path, which re-derives the key. Writing (atomic, 0600, under a lock)
imports :mod:`.store`.
"""

from __future__ import annotations

import os
import time

from .cache_hit import ADVISORY_REFRESH as ADVISORY_REFRESH
from .cache_hit import entry_path, identity_environment, pointer_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    import configparser
    import datetime
    from contextlib import AbstractContextManager

    from .sts import Credentials

FORMAT = 2
DEFAULT_IDENTITY = "default identity"
# ADVISORY_REFRESH (15 minutes, botocore's advisory window) lives with the hit; botocore insists on more
# than MANDATORY_REFRESH seconds left.
MANDATORY_REFRESH = 10 * 60


def partition_of(role: str | None) -> str:
    """The partition of a role ARN (``arn:PARTITION:iam::...``); empty when the role is not an ARN."""
    if role and role.startswith("arn:"):
        return role.split(":", 2)[1]
    return ""


def key_for(endpoint_url: str, user: str | None, role: str | None) -> str:
    """The cache key of credentials for ``role`` got by ``user`` at the endpoint.

    ``user`` None is the default identity, told apart by this process's ticket cache and NTLM user file
    variables (:func:`.cache_hit.identity_environment`).
    """
    try:
        from _sha256 import sha256  # the C module alone: hashlib's OpenSSL set-up costs milliseconds
    except ImportError:  # pragma: no cover - builds without it
        from hashlib import sha256
    import json

    who = user or f"{DEFAULT_IDENTITY}\0{identity_environment()}"
    identity = [FORMAT, endpoint_url, who, role or "", partition_of(role)]
    return sha256(json.dumps(identity, separators=(",", ":")).encode()).hexdigest()[:40]


def profile_key(parser: configparser.ConfigParser, name: str) -> str | None:
    """The cache key of profile ``name`` read straight from a parsed config (None: not a usable profile).

    Reads the same keys, the same way, as :func:`samlbroker.profiles.load_profile` does.
    """
    from .ini import ENDPOINT_PREFIX, profile_section

    section = profile_section(parser, name)
    if not parser.has_section(section):
        return None
    endpoint = parser.get(section, "saml_endpoint", fallback="")
    url = parser.get(ENDPOINT_PREFIX + endpoint, "url", fallback="") if endpoint else ""
    if not url:
        return None
    user = parser.get(section, "saml_user", fallback="") or None
    role = parser.get(section, "saml_role_arn", fallback="") or None
    return key_for(url, user, role)


def load(key: str) -> dict[str, object] | None:
    """The cached entry for ``key`` (a dict with the credential fields and ``expires_at``), or None."""
    import json

    try:
        with open(entry_path(key), encoding="utf-8") as handle:
            handle.readline()
            handle.readline()
            entry = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    fields = ("access_key_id", "secret_access_key", "session_token", "expiration", "expires_at")
    if not isinstance(entry, dict) or entry.get("format") != FORMAT or not all(f in entry for f in fields):
        return None
    return entry


def remember_profile(config: str, profile: str, key: str) -> None:
    """Point (config file, profile) at ``key``'s entry while the config file keeps its size and mtime.

    The pointer also records the identity environment it was written under: a process with another one
    takes the full path.

    Written with ``os`` alone (temp file, rename), as it happens on the cache-hit path.
    """
    try:
        stat = os.stat(config)
    except OSError:
        return
    path = pointer_path(config, profile)
    if len(os.path.basename(path)) > 240:
        return  # an unusually long path: the full path still works
    _ensure_private_dir(os.path.dirname(path))
    temp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, f"{stat.st_mtime_ns} {stat.st_size} {key}\n{identity_environment()}\n".encode())
    finally:
        os.close(fd)
    os.replace(temp, path)


def seconds_left(entry: dict[str, object], now: float | None = None) -> float:
    """How long the cached credentials stay valid, in seconds (negative once expired)."""
    expires_at = entry.get("expires_at")
    if not isinstance(expires_at, (int, float)):
        return -1.0
    return float(expires_at) - (time.time() if now is None else now)


def process_json(entry: dict[str, object]) -> str:
    """The AWS ``credential_process`` v1 JSON of a cache entry, with ``AccountId`` where the role's ARN names it
    (the AWS SDK for JavaScript and botocore take it for account-based endpoints)."""
    import json

    answer = {
        "Version": 1,
        "AccessKeyId": entry["access_key_id"],
        "SecretAccessKey": entry["secret_access_key"],
        "SessionToken": entry["session_token"],
        "Expiration": entry["expiration"],
    }
    account = account_of(entry.get("assumed_role_arn")) or account_of(entry.get("role_arn"))
    if account:
        answer["AccountId"] = account
    return json.dumps(answer)


def iso_utc(when: datetime.datetime) -> str:
    """``when`` in UTC as AWS writes expirations: ``2026-12-04T05:00:00Z``."""
    import datetime as dt

    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def account_of(arn: object) -> str | None:
    """The account id of a role or assumed-role ARN (``arn:aws:iam::123456789012:role/x``), or None."""
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[4] if len(parts) > 5 and len(parts[4]) == 12 and parts[4].isdigit() else None


def to_credentials(entry: dict[str, object]) -> Credentials:
    """A cache entry as :class:`~samlbroker.sts.Credentials`."""
    import datetime as dt

    from .sts import Credentials

    return Credentials(
        access_key_id=str(entry["access_key_id"]),
        secret_access_key=str(entry["secret_access_key"]),
        session_token=str(entry["session_token"]),
        expiration=dt.datetime.fromtimestamp(float(entry["expires_at"]), dt.timezone.utc),  # type: ignore[arg-type]
        assumed_role_arn=entry.get("assumed_role_arn") or None,  # type: ignore[arg-type]
    )


def store(key: str, credentials: Credentials, **about: str | None) -> str:
    """Write ``credentials`` as the entry for ``key`` (atomic, 0600, folder 0700); returns the file's path.

    ``about`` adds descriptive fields (endpoint, user, role): what the entry is for, never a secret of the user.
    """
    import datetime as dt
    import json

    from .store import atomic_write

    expiration = credentials.expiration.astimezone(dt.timezone.utc)
    entry = {
        "format": FORMAT,
        "access_key_id": credentials.access_key_id,
        "secret_access_key": credentials.secret_access_key,
        "session_token": credentials.session_token,
        "expiration": iso_utc(expiration),
        "expires_at": expiration.timestamp(),
        "assumed_role_arn": credentials.assumed_role_arn,
        **{k: v for k, v in about.items() if v is not None},
    }
    path = entry_path(key)
    _ensure_private_dir(os.path.dirname(path))
    atomic_write(path, f"{entry['expires_at']!r}\n{process_json(entry)}\n{json.dumps(entry, indent=1)}\n")
    return path


def remove(key: str) -> None:
    """Forget the entry for ``key`` (nothing happens when there is none)."""
    import contextlib

    with contextlib.suppress(FileNotFoundError):
        os.unlink(entry_path(key))


def locked(key: str) -> AbstractContextManager[None]:
    """The inter-process lock of ``key``'s entry: whoever holds it is the one logging in for that identity."""
    from .store import file_lock

    path = entry_path(key)
    _ensure_private_dir(os.path.dirname(path))
    return file_lock(path)


def _ensure_private_dir(folder: str) -> None:
    os.makedirs(folder, mode=0o700, exist_ok=True)
    if os.name != "nt" and os.stat(folder).st_mode & 0o077:
        os.chmod(folder, 0o700)
