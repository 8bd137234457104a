"""The ``credential-process`` cache hit with ``os`` alone: the AWS CLI and SDKs run it for every command.

Where the AWS config file and the cache's files are, and the ready answer of a profile whose pointer still
matches the config file's size and mtime and this process's identity environment. The entry format and
everything that writes are in :mod:`.cache`. Each module on this path costs a share of the hit, so this one
stays small and has no ``__future__`` import (neither have the two packages that import it there:
``samlbroker`` and ``samlbroker.cli``).
"""

import os
import time

# botocore re-fetches credentials with under 15 minutes left (its advisory window) and insists on more than
# 10 (mandatory): credentials are handed out only with more than ADVISORY_REFRESH seconds left.
ADVISORY_REFRESH = 15 * 60


# Who "the default identity" is can hang on these: a script with its own ticket cache (a service principal's
# keytab login, say) under the same HOME is someone else, and must not get the desktop user's credentials.
IDENTITY_VARIABLES = ("KRB5CCNAME", "NTLM_USER_FILE")


def identity_environment() -> str:
    """This process's values of :data:`IDENTITY_VARIABLES`, as one line (``NAME=value`` joined by NULs)."""
    return "\0".join(f"{name}={os.environ.get(name, '')}" for name in IDENTITY_VARIABLES).replace("\n", " ")


def config_path() -> str:
    """``AWS_CONFIG_FILE`` or ``~/.aws/config``."""
    return os.path.expanduser(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config")


def cache_dir() -> str:
    """``~/.aws/samlbroker/cache``."""
    return os.path.join(os.path.expanduser("~"), ".aws", "samlbroker", "cache")


def entry_path(key: str) -> str:
    """The entry file of cache key ``key``."""
    return os.path.join(cache_dir(), key + ".json")


def pointer_path(config: str, profile: str) -> str:
    """Where the pointer from (config file, profile) to its entry lives."""
    return os.path.join(cache_dir(), f"profile-{_safe(os.path.abspath(config))}--{_safe(profile)}")


def ready_answer(config: str, profile: str, min_seconds_left: float = ADVISORY_REFRESH) -> str | None:
    """The ready credential_process JSON of the profile's entry, or None (then take the full path)."""
    try:
        with open(pointer_path(config, profile), encoding="utf-8") as handle:
            mtime, size, key = handle.readline().split()
            written_for = handle.readline().rstrip("\n")
        stat = os.stat(config)
        if str(stat.st_mtime_ns) != mtime or str(stat.st_size) != size or not key.isalnum():
            return None
        if written_for != identity_environment():
            return None  # another ticket cache (or NTLM user file): the full path derives that identity's key
        with open(entry_path(key), encoding="utf-8") as handle:
            expires_at = float(handle.readline())
            ready = handle.readline().strip()
    except (OSError, ValueError):
        return None
    if expires_at - time.time() <= min_seconds_left or not ready.startswith("{"):
        return None
    return ready


def _safe(text: str) -> str:
    """``text`` as a file-name part: letters, digits, '-' and '.' kept, anything else escaped."""
    return "".join(c if c.isalnum() or c in "-." else f"_{ord(c):x}_" for c in text)
