"""Entry-point lookup for authenticators, parsers and other plugin kinds (scanned only when needed)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import Any

from .errors import ConfigError, DependencyMissingError

AUTHENTICATORS = "samlbroker.authenticators"
PARSERS = "samlbroker.parsers"


@cache
def available(group: str) -> dict[str, Any]:
    """Name -> entry point of every installed plugin of ``group`` (built-ins included)."""
    return {ep.name: ep for ep in entry_points(group=group)}


def load(group: str, name: str) -> Any:
    """The class registered as ``name`` in ``group``; a clear error when nothing is."""
    found = available(group)
    if name not in found:
        kind = group.rsplit(".", 1)[-1].rstrip("s")
        known = ", ".join(sorted(found)) or "none installed"
        raise ConfigError(f"unknown {kind} {name!r} (known: {known})")
    try:
        return found[name].load()
    except ImportError as exc:
        raise DependencyMissingError(f"the {name!r} plugin cannot be loaded: {exc}") from exc
