"""How the lab IdP differs from one run to the next, as real deployments differ: one settings object.

The handlers read these fields; tests build a variant per deployment shape and run the same login
across them. Defaults are the lab's historical behaviour (AD FS 2016 on IIS, both WIA schemes offered
in separate headers, the acceptor's last token sent).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

WIA_SCHEMES = ("negotiate", "ntlm", "kerberos")
ADFS_PAGES = ("2012r2", "2016", "2019", "2022")
OFFER_STYLES = ("several-headers", "one-header")


@dataclass(frozen=True)
class IdPVariant:
    """One deployment shape of the lab IdP.

    - ``final_token``: send the acceptor's last Negotiate token with the answer that completes the
      handshake (RFC 4559 makes it optional; proxies and load balancers drop it).
    - ``offers``: ``WWW-Authenticate`` offers in ``"several-headers"`` or ``"one-header"`` (comma-joined).
    - ``wia_schemes``: what ``/adfs/ls/wia`` offers and accepts: ``"negotiate"`` (SPNEGO: Kerberos or
      NTLM inside), ``"ntlm"`` (raw NTLM), ``"kerberos"`` (SPNEGO that accepts only Kerberos inside).
    - ``close_after_challenge``: close the connection after the first 401, the one that answers a request
      without credentials (``Connection: close``); the handshake then runs on a new connection.
    - ``chunked``: send bodies with ``Transfer-Encoding: chunked`` instead of ``Content-Length``.
    - ``adfs_page``: the forms sign-in page as AD FS ``2012r2``, ``2016``, ``2019`` or ``2022`` serves it.
    - ``relative_form_action``: the sign-in form's action is relative (``?client-request-id=...``).
    - ``extra_query``: query parameters AD FS adds to the form action (``RedirectToIdentityProvider`` ...).
    - ``wia_as_forms``: a WIA-capable User-Agent is answered with the forms page
      (``WIASupportedUserAgents`` not matching the client).
    - ``delay``: seconds each answer waits before it is sent (a slow IdP).
    """

    final_token: bool = True
    offers: str = "several-headers"
    wia_schemes: tuple[str, ...] = ("negotiate", "ntlm")
    close_after_challenge: bool = False
    chunked: bool = False
    adfs_page: str = "2016"
    relative_form_action: bool = False
    extra_query: tuple[tuple[str, str], ...] = ()
    wia_as_forms: bool = False
    delay: float = 0.0

    def __post_init__(self) -> None:
        if self.offers not in OFFER_STYLES:
            raise ValueError(f"offers must be one of {', '.join(OFFER_STYLES)}")
        if not self.wia_schemes or set(self.wia_schemes) - set(WIA_SCHEMES):
            raise ValueError(f"wia_schemes must be taken from {', '.join(WIA_SCHEMES)}")
        if self.adfs_page not in ADFS_PAGES:
            raise ValueError(f"adfs_page must be one of {', '.join(ADFS_PAGES)}")
        if self.delay < 0:
            raise ValueError("delay must not be negative")

    def but(self, **changes: Any) -> IdPVariant:
        """A copy with some fields changed."""
        return replace(self, **changes)


DEFAULT_VARIANT = IdPVariant()
