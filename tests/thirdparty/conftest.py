"""Parts written elsewhere, started once per test run (see tests/support)."""

from samba_dc import ad_idp, ad_lab, realm_env, samba_dc  # noqa: F401  (the Samba DC, its lab, per-test views)
from simplesamlphp import simplesamlphp, simplesamlphp_consent  # noqa: F401  (the session fixtures)
