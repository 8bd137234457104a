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
FIRST_PAGES = ("none", "meta-refresh", "auto-post")
IDENTIFIER_FIRST = ("off", "prefilled", "password-only")
# AD FS's own claims provider (its identifier in HomeRealmSelection) and a partner one, for home realm discovery.
AD_REALM = ("AD AUTHORITY", "Active Directory")
PARTNER_REALM = ("http://partner.lab.example/adfs/services/trust", "Partner Corp")
MFA_CHOICES = ("list", "default")
MFA_OPTION_STYLES = ("links", "buttons")


@dataclass(frozen=True)
class IdPVariant:
    """One deployment shape of the lab IdP.

    - ``final_token``: send the acceptor's last Negotiate token with the answer that completes the
      handshake (RFC 4559 makes it optional; proxies and load balancers drop it).
    - ``offers``: ``WWW-Authenticate`` offers in ``"several-headers"`` or ``"one-header"`` (comma-joined).
    - ``wia_schemes``: what ``/adfs/ls/wia`` offers and accepts: ``"negotiate"`` (SPNEGO: Kerberos or
      NTLM inside), ``"ntlm"`` (raw NTLM), ``"kerberos"`` (SPNEGO that accepts only Kerberos inside);
      ``()`` offers neither (Digest alone, where it is on).
    - ``close_after_challenge``: close the connection after the first 401, the one that answers a request
      without credentials (``Connection: close``); the handshake then runs on a new connection.
    - ``close_after_ntlm_challenge``: close the connection after the NTLM CHALLENGE (raw, or inside SPNEGO),
      as a load balancer without connection affinity or keep-alive does; the AUTHENTICATE then arrives on
      a connection without that challenge, where it is refused without counting as a failed sign-in.
    - ``chunked``: send bodies with ``Transfer-Encoding: chunked`` instead of ``Content-Length``.
    - ``adfs_page``: the forms sign-in page as AD FS ``2012r2``, ``2016``, ``2019`` or ``2022`` serves it.
    - ``relative_form_action``: the sign-in form's action is relative (``?client-request-id=...``).
    - ``extra_query``: query parameters AD FS adds to the form action (``RedirectToIdentityProvider`` ...).
    - ``wia_as_forms``: a WIA-capable User-Agent is answered with the forms page
      (``WIASupportedUserAgents`` not matching the client).
    - ``delay``: seconds each answer waits before it is sent (a slow IdP).
    - ``home_realms``: the claims providers AD FS offers as ``(identifier, name)``; with two or more, a
      forms client first gets the home realm discovery page ("Sign in with one of these accounts").
    - ``identifier_first``: the PingFederate-style login asks for the user name on its own page first;
      the password page then repeats it (``"prefilled"``) or only shows it (``"password-only"``).
    - ``first_page``: the first GET of a sign-on URL is answered with a JavaScript-free
      ``"meta-refresh"`` page or an ``"auto-post"`` page (a form the page submits itself) first.
    - ``extra_forms``: sign-in and first pages also carry a search form and a language chooser.
    - ``shibboleth_consent``: the Shibboleth-style login asks for consent to the attribute release
      (``_shib_idp_consentOptions``, Reject / Accept) after the password.
    - ``mfa_choice``: a user with several second factors first gets the method-choice page (``"list"``),
      or the first method's page with the others under "Sign in using another method" (``"default"``).
    - ``mfa_options``: the choice offers each method as an action link (``"links"``) or a button
      (``"buttons"``).
    - ``held_polls``: a push poll is held open until the user answers on the device (the answer, approved
      or refused, comes on that same request).
    """

    final_token: bool = True
    offers: str = "several-headers"
    wia_schemes: tuple[str, ...] = ("negotiate", "ntlm")
    close_after_challenge: bool = False
    close_after_ntlm_challenge: bool = False
    chunked: bool = False
    adfs_page: str = "2016"
    relative_form_action: bool = False
    extra_query: tuple[tuple[str, str], ...] = ()
    wia_as_forms: bool = False
    delay: float = 0.0
    home_realms: tuple[tuple[str, str], ...] = ()
    identifier_first: str = "off"
    first_page: str = "none"
    extra_forms: bool = False
    shibboleth_consent: bool = False
    mfa_choice: str = "list"
    mfa_options: str = "links"
    held_polls: bool = False

    def __post_init__(self) -> None:
        if self.offers not in OFFER_STYLES:
            raise ValueError(f"offers must be one of {', '.join(OFFER_STYLES)}")
        if set(self.wia_schemes) - set(WIA_SCHEMES):
            raise ValueError(f"wia_schemes must be taken from {', '.join(WIA_SCHEMES)}")
        if self.adfs_page not in ADFS_PAGES:
            raise ValueError(f"adfs_page must be one of {', '.join(ADFS_PAGES)}")
        if self.identifier_first not in IDENTIFIER_FIRST:
            raise ValueError(f"identifier_first must be one of {', '.join(IDENTIFIER_FIRST)}")
        if self.first_page not in FIRST_PAGES:
            raise ValueError(f"first_page must be one of {', '.join(FIRST_PAGES)}")
        if self.delay < 0:
            raise ValueError("delay must not be negative")
        if self.mfa_choice not in MFA_CHOICES:
            raise ValueError(f"mfa_choice must be one of {', '.join(MFA_CHOICES)}")
        if self.mfa_options not in MFA_OPTION_STYLES:
            raise ValueError(f"mfa_options must be one of {', '.join(MFA_OPTION_STYLES)}")

    def but(self, **changes: Any) -> IdPVariant:
        """A copy with some fields changed."""
        return replace(self, **changes)


DEFAULT_VARIANT = IdPVariant()
