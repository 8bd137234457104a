"""Parts written elsewhere, started once per test run (see tests/support)."""

from pysaml2_idp import pysaml2_idp  # noqa: F401  (a second IdP written elsewhere: pysaml2's Server)
from samba_dc import ad_idp, ad_lab, realm_env, samba_dc  # noqa: F401  (the Samba DC, its lab, per-test views)
from simplesamlphp import simplesamlphp, simplesamlphp_consent  # noqa: F401  (the session fixtures)
