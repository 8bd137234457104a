"""Remembered passwords (opt-in, ``saml_password_store = keyring``): the OS keyring through ``keyring``.

Never a file of ours. A password the IdP rejects is removed at once and never tried again (AD lockout).
"""

from __future__ import annotations

import logging
from typing import Any

from .errors import ConfigError, DependencyMissingError

log = logging.getLogger("samlbroker")

SERVICE = "samlbroker"
KEYRING = "keyring"


def _keyring() -> Any:
    try:
        import keyring
    except ImportError:
        raise DependencyMissingError(
            "saml_password_store = keyring needs the keyring extra: pip install 'samlbroker[keyring]'"
        ) from None
    return keyring


def require_keyring() -> None:
    """Fail now (before a sign-in whose password would then be stored) when the keyring extra is missing."""
    _keyring()


def _account(endpoint_url: str, user: str) -> str:
    """The keyring entry's name: the user at this endpoint (the same user at two IdPs stays apart)."""
    return f"{user} @ {endpoint_url}"


def recall(endpoint_url: str, user: str) -> str | None:
    """The remembered password, or None (nothing stored, or the keyring is locked or unavailable)."""
    keyring = _keyring()
    try:
        return keyring.get_password(SERVICE, _account(endpoint_url, user))
    except keyring.errors.KeyringError as exc:
        log.warning("the keyring did not answer (%s): asking for the password instead", type(exc).__name__)
        return None


def remember(endpoint_url: str, user: str, password: str) -> None:
    """Keep ``password`` in the OS keyring."""
    keyring = _keyring()
    try:
        keyring.set_password(SERVICE, _account(endpoint_url, user), password)
    except keyring.errors.KeyringError as exc:
        raise ConfigError(f"cannot store the password in the keyring: {type(exc).__name__}") from None


def forget(endpoint_url: str, user: str) -> bool:
    """Remove the remembered password; True when there was one."""
    keyring = _keyring()
    try:
        keyring.delete_password(SERVICE, _account(endpoint_url, user))
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:
        raise ConfigError(f"cannot remove the password from the keyring: {type(exc).__name__}") from None
    return True
