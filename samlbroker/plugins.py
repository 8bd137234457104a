"""Plugin lookup: built-ins by name, third-party authenticators and parsers through entry points.

Built-in names resolve without scanning entry points (fast, and a plugin cannot take over ``ntlm``);
any other name is looked up in the entry-point group, scanned once per process.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from .errors import ConfigError, DependencyMissingError, SAMLBrokerError

AUTHENTICATORS = "samlbroker.authenticators"
PARSERS = "samlbroker.parsers"

# The same names pyproject.toml registers as entry points, so `available()` lists them too.
BUILTINS: dict[str, dict[str, str]] = {
    AUTHENTICATORS: {
        "ntlm": "samlbroker.authenticators.windows:NtlmAuthenticator",
        "negotiate": "samlbroker.authenticators.windows:NegotiateAuthenticator",
        "kerberos": "samlbroker.authenticators.windows:KerberosAuthenticator",
        "digest": "samlbroker.authenticators.digest:DigestAuthenticator",
        "forms": "samlbroker.authenticators.forms:AdfsFormsAuthenticator",
        "browser": "samlbroker.authenticators.browser:BrowserAuthenticator",
    },
    PARSERS: {"adfs": "samlbroker.parsers.adfs:AdfsResponseParser"},
}


@cache
def available(group: str) -> dict[str, Any]:
    """Name -> entry point of every installed plugin of ``group`` (built-ins included)."""
    return {ep.name: ep for ep in entry_points(group=group)}


def load(group: str, name: str) -> Any:
    """The class registered as ``name`` in ``group``; a clear error when nothing is."""
    builtin = BUILTINS.get(group, {}).get(name)
    if builtin is not None:
        module, _, attribute = builtin.partition(":")
        return getattr(import_module(module), attribute)
    found = available(group)
    if name not in found:
        kind = group.rsplit(".", 1)[-1].rstrip("s")
        known = ", ".join(sorted(set(found) | set(BUILTINS.get(group, {})))) or "none installed"
        raise ConfigError(f"unknown {kind} {name!r} (known: {known})")
    try:
        return found[name].load()
    except ImportError as exc:
        raise DependencyMissingError(f"the {name!r} plugin cannot be loaded: {exc}") from exc


def endpoint_options(auth_type: str) -> Mapping[str, str]:
    """The endpoint keys the authenticator ``auth_type`` declares (``endpoint_options``); none if it won't load."""
    try:
        authenticator = load(AUTHENTICATORS, auth_type)
    except SAMLBrokerError:
        return {}
    return dict(getattr(authenticator, "endpoint_options", None) or {})
