"""Attribute-release consent pages some IdPs show after the password, before the SAMLResponse.

SimpleSAMLphp's ``consent:Consent`` filter (``module.php/consent/getconsent.php``) asks "Do you want to
send these attributes?" with a ``yes`` form (its ``StateId`` and, when consent can be remembered, a
``saveconsent`` checkbox) and a ``no`` form. samlbroker answers yes only when the endpoint says so
(``forms_accept_consent = yes``): consent is the user's decision, not the tool's. It then agrees for this
one sign-in and never asks the IdP to remember it.
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


@dataclass(frozen=True)
class ConsentPage:
    """A consent question: the form that says yes, who asks, and the question in the IdP's words."""

    form: HtmlForm
    asker: str
    question: str

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
        return replace(self.form, fields=fields).submit(session, {}, press_button=True)


def read_consent_page(page: BeautifulSoup, forms: list[HtmlForm]) -> ConsentPage | None:
    """The consent question on ``page``, or None when it asks none we know."""
    for form in forms:
        if _is_simplesamlphp_yes(form):
            return ConsentPage(form, "the IdP (SimpleSAMLphp)", _question(page))
    return None


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
