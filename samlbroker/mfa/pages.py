"""Reading an IdP answer as a second-factor page (AD FS's additional-authentication form)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..authenticators.html import HtmlForm, find_form
from .base import MFAPage

if TYPE_CHECKING:
    import requests

_MESSAGE_IDS = ("errorText", "error", "instructions", "mfaGreetingDescription", "message")


def _is_additional_auth_form(form: HtmlForm) -> bool:
    return (
        form.has_field("AuthMethod")
        and form.has_field("Context")
        and not form.has_field("SAMLResponse")
        and not form.has_field("Password")
    )


def read_mfa_page(response: requests.Response) -> MFAPage | None:
    """The second-factor page in ``response``, or None when it is something else (e.g. the auto-post form)."""
    text = response.text
    if "AuthMethod" not in text or "Context" not in text or "SAMLResponse" in text:
        return None  # cheap test first: most answers are not MFA pages
    form = find_form(text, response.url, _is_additional_auth_form)
    if form is None:
        return None
    return MFAPage(
        url=response.url, form=form, auth_method=form.fields.get("AuthMethod", ""), message=_message(text)
    )


def _message(html: str) -> str | None:
    """The IdP's own words on the page: its error text first, else its instructions."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for element_id in _MESSAGE_IDS:
        element = soup.find(id=element_id)
        if element is not None:
            words = " ".join(element.get_text(" ").split())
            if words:
                return words[:300]
    return None
