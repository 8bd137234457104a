"""Parts written elsewhere, started once per test run (see tests/support)."""

from samba_dc import ad_lab, samba_dc  # noqa: F401  (the session fixtures: one DC and its lab per run)
from simplesamlphp import simplesamlphp  # noqa: F401  (the session fixture)
