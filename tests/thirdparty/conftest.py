"""Parts written elsewhere, started once per test run (see tests/support)."""

from simplesamlphp import simplesamlphp  # noqa: F401  (the session fixture)
