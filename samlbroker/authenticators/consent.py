"""Attribute-release consent pages some IdPs show after the password, before the SAMLResponse.

SimpleSAMLphp's ``consent:Consent`` filter (``module.php/consent/getconsent.php``) asks "Do you want to
send these attributes?" with a ``yes`` form (its ``StateId`` and, when consent can be remembered, a
``saveconsent`` checkbox) and a ``no`` form. The Shibboleth IdP's attribute-release page posts
``_shib_idp_consentIds`` and one of the ``_shib_idp_consentOptions`` (do not remember, remember until the
information changes, global) with its ``_eventId_proceed`` (Accept) or ``_eventId_AttributeReleaseRejected``
(Reject) button. samlbroker answers yes only when the endpoint says so (``forms_accept_consent = yes``):
consent is the user's decision, not the tool's. It then agrees for this one sign-in and never asks the
IdP to remember it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    import requests
    from bs4 import BeautifulSoup

    from .html import HtmlForm

_REMEMBER_FIELDS = frozenset({"saveconsent"})
_MAX_WORDS = 160
SHIB_ACCEPT = "_eventId_proceed"
SHIB_REJECT = "_eventId_AttributeReleaseRejected"
SHIB_OPTIONS = "_shib_idp_consentOptions"
SHIB_ASK_AGAIN = "_shib_idp_doNotRememberConsent"


@dataclass(frozen=True)
class ConsentPage:
    """A consent question: the form that says yes, who asks, and the question in the IdP's words."""

    form: HtmlForm
    asker: str
    question: str
    updates: tuple[tuple[str, str], ...] = ()  # what a yes sends besides the form's fields
    press_button: bool = True  # send the form's first button (SimpleSAMLphp's yes)

    def refuse_unless(self, accepted: bool) -> None:
        """Nothing when ``accepted``; otherwise the one-line error that says how to agree."""
        if accepted:
            return
        words = f": {self.question}" if self.question else ""
        raise ConfigError(
            f"{self.asker} asks for consent to send your attributes{words} "
            "(to agree from samlbroker, set forms_accept_consent = yes on the endpoint)"
        )

    def accept(self, session: requests.Session) -> requests.Response:
        """Press the yes button for this sign-in only (a 'remember my consent' box is left unticked)."""
        fields = {k: v for k, v in self.form.fields.items() if k not in _REMEMBER_FIELDS}
        form = replace(self.form, fields=fields)
        return form.submit(session, dict(self.updates), press_button=self.press_button)


def read_consent_page(page: BeautifulSoup, forms: list[HtmlForm]) -> ConsentPage | None:
    """The consent question on ``page``, or None when it asks none we know."""
    for form in forms:
        if _is_simplesamlphp_yes(form):
            return ConsentPage(form, "the IdP (SimpleSAMLphp)", _question(page))
        if form.has_field(SHIB_ACCEPT) and form.has_field(SHIB_REJECT):
            accept = next(
                (c for c in page.find_all(["input", "button"]) if c.get("name") == SHIB_ACCEPT), None
            )
            updates = [(SHIB_ACCEPT, str(accept.get("value", "")) if accept is not None else "")]
            if page.find("input", attrs={"name": SHIB_OPTIONS, "value": SHIB_ASK_AGAIN}) is not None:
                updates.append((SHIB_OPTIONS, SHIB_ASK_AGAIN))  # this sign-in only
            return ConsentPage(
                form, "the IdP (Shibboleth)", _heading(page), tuple(updates), press_button=False
            )
    return None


def _heading(page: BeautifulSoup) -> str:
    heading = page.find(["h1", "h2"])
    return " ".join(heading.get_text(" ").split())[:_MAX_WORDS] if heading is not None else ""


def _is_simplesamlphp_yes(form: HtmlForm) -> bool:
    path = form.action.split("?", 1)[0].rstrip("/")
    return (
        form.has_field("StateId")
        and form.submitter is not None
        and form.submitter[0] == "yes"
        and path.endswith("/consent/getconsent.php")
    )


def _question(page: BeautifulSoup) -> str:
    """The page's first paragraph (SimpleSAMLphp: 'You are about to login to the service ...')."""
    for paragraph in page.find_all("p"):
        text = " ".join(paragraph.get_text(" ").split())
        if text:
            return text if len(text) <= _MAX_WORDS else text[: _MAX_WORDS - 3] + "..."
    return ""
